"""`reviewer serve`: the coder's page and the JSON API, wired to reviewer.web.serve."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from reviewer.cli.common import (
    fail,
)

if TYPE_CHECKING:
    pass


def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to bind; keep 127.0.0.1 behind a reverse proxy.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.", min=0, max=65535)] = 8000,
    root_path: Annotated[
        str,
        typer.Option(
            "--root-path", help="URL prefix the reverse proxy serves the app under, e.g. /reviewer."
        ),
    ] = "",
    workers: Annotated[
        int, typer.Option("--workers", help="Worker processes (about one per core).", min=1)
    ] = 1,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds one request may take, queueing included.", min=1)
    ] = 120.0,
) -> None:
    """Serve the coder's page and the JSON API (POST /api/review; docs at /docs)."""
    from reviewer.web import serve as server

    try:
        server.check_options(root_path)
    except ValueError as exc:
        fail(str(exc))
    warning = server.exposure_warning(host)
    if warning:
        typer.echo(f"reviewer: warning: {warning}", err=True)
    server.run(host=host, port=port, root_path=root_path, workers=workers, timeout=timeout)
