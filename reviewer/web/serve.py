"""Running the web app as `reviewer serve` does: the options checked before anything starts, a
warning when the port is open beyond this machine, and uvicorn with one app per worker."""

from __future__ import annotations

import ipaddress
import os

__all__ = ["check_options", "exposure_warning", "run"]


def check_options(root_path: str) -> None:
    """ValueError (one line) when the server could not start as asked: a bad URL prefix, or an
    LLM asked for in the environment but misconfigured."""
    from reviewer.web.app import check_llm_config

    if root_path and not root_path.startswith("/"):
        raise ValueError(f"--root-path must start with '/', not {root_path!r}")
    check_llm_config()


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def exposure_warning(host: str) -> str | None:
    """What to tell whoever binds `host` when anyone else may reach it (None: loopback only)."""
    if _is_loopback(host):
        return None
    return (
        f"listening on {host}: anyone who can reach this port can send notes; "
        "serve it behind the hospital's reverse proxy (TLS and sign-on)"
    )


def run(*, host: str, port: int, root_path: str, workers: int, timeout: float) -> None:
    """Serve until stopped. The per-request timeout reaches each worker through the environment."""
    import uvicorn

    os.environ["REVIEWER_SERVE_TIMEOUT"] = str(timeout)
    uvicorn.run(
        "reviewer.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        root_path=root_path.rstrip("/"),
        workers=workers,
        server_header=False,
        date_header=False,
        log_config=_log_config(),
    )


def _log_config() -> dict[str, object]:
    """uvicorn's logging, plus the app's own logger (errors by type only, never note text)."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, object] = {**LOGGING_CONFIG}
    loggers = dict(LOGGING_CONFIG["loggers"])
    loggers["reviewer"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    config["loggers"] = loggers
    return config
