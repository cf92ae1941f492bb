"""The LLM extractor: any OpenAI-compatible endpoint through `openai` + `instructor`.

Before anything is sent, identifiers are masked (`mask_phi`: on by default for an endpoint that
is not on the loopback) and every quote the model returns is mapped back from the masked text to
the original note. Each HTTP request must finish within `timeout` seconds in all (a trickling
server cannot hold it); transport failures (timeouts, connection errors, 429 honouring
Retry-After, 5xx) are retried with `tenacity` (exponential backoff with jitter, bounded in
attempts and total time), and a Retry-After longer than the time left ends the review at once;
validation failures are re-asked by instructor (bounded, and stopped by the token budget). Token
usage is counted per call (one extractor may serve many threads) and summed over every attempt.
No request or answer text reaches any log. Any failure ends as an `Extraction` with `error` set,
never as an exception: the pipeline turns it into a `query` verdict.
"""

from __future__ import annotations

import ipaddress
import os
import random
import threading
import time
import tomllib
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reviewer.audit import LlmAttempt, Masking, recorder
from reviewer.extract import Extraction, Usage
from reviewer.extract.llm_schema import LlmExtraction, to_findings
from reviewer.extract.prompt import load_prompt
from reviewer.findings import Evidence, Finding, Findings
from reviewer.note import Note
from reviewer.privacy.masked import PLACEHOLDER, MaskedText

Mode = Literal["tools", "json", "json_schema", "md_json"]
ENV_PREFIX = "REVIEWER_LLM_"


class LlmNotConfigured(ValueError):
    """No endpoint or model was configured: one line for the user."""


class LlmConfig(BaseModel):
    """Where and how to call the model. From REVIEWER_LLM_* variables and/or a TOML file."""

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = None
    api_key: str | None = Field(default=None, repr=False)
    model: str
    mode: Mode = "tools"
    temperature: float = 0.0
    seed: int | None = 0
    timeout: float = Field(default=120.0, gt=0)
    max_tokens: int = Field(default=2048, gt=0)
    max_reasks: int = Field(default=1, ge=0, le=5)
    transport_attempts: int = Field(default=4, ge=1, le=10)
    max_wait_seconds: float = Field(default=90.0, ge=0)
    token_budget: int | None = Field(default=None, gt=0)
    mask_phi: bool | None = None  # None: mask unless the endpoint is on the loopback
    cassette: Path | None = None  # replay recorded traffic from this vcrpy cassette (offline)

    @property
    def masks_phi(self) -> bool:
        """Whether identifiers are masked before the note is sent."""
        return self.mask_phi if self.mask_phi is not None else not is_loopback(self.base_url)

    @classmethod
    def load(cls, path: Path | None = None, env: dict[str, str] | None = None) -> LlmConfig:
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {}
        config_file = path or (Path(env[ENV_PREFIX + "CONFIG"]) if env.get(ENV_PREFIX + "CONFIG") else None)
        if config_file is not None:
            try:
                values.update(tomllib.loads(config_file.read_text("utf-8")).get("llm", {}))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise LlmNotConfigured(f"LLM config {config_file}: {exc}") from None
        for name in cls.model_fields:
            key = ENV_PREFIX + name.upper()
            if key in env:
                values[name] = env[key]
        values.setdefault("api_key", env.get("OPENAI_API_KEY"))
        values.setdefault("base_url", env.get("OPENAI_BASE_URL"))
        if not values.get("model"):
            raise LlmNotConfigured(
                "LLM extractor not configured: set REVIEWER_LLM_BASE_URL and REVIEWER_LLM_MODEL "
                "(or REVIEWER_LLM_CONFIG=path/to/llm.toml)"
            )
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise LlmNotConfigured(f"LLM config: {'.'.join(map(str, err['loc']))}: {err['msg']}") from None


def is_loopback(base_url: str | None) -> bool:
    """True for an endpoint on this machine (localhost, 127.0.0.0/8, ::1); the default endpoint
    (None: OpenAI) is not."""
    if not base_url:
        return False
    host = urlsplit(base_url if "//" in base_url else "//" + base_url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class _Attempts:
    """Usage and a record of each HTTP attempt of one call, fed by per-call instructor hooks (a
    hook on the shared client would see every thread's calls)."""

    usage: Usage
    records: list[dict[str, Any]] = field(default_factory=list)
    _started: float = 0.0

    def on_kwargs(self, *args: Any, **kwargs: Any) -> None:
        self.usage.attempts += 1
        self.records.append({"number": len(self.records) + 1, "status": "sent"})
        self._started = time.monotonic()

    def _last(self) -> dict[str, Any]:
        if not self.records:  # pragma: no cover - instructor emits kwargs first
            self.on_kwargs()
        self.records[-1]["latency_ms"] = round((time.monotonic() - self._started) * 1000)
        return self.records[-1]

    def on_response(self, response: Any) -> None:
        record = self._last()
        record["status"] = "answered"
        choices = getattr(response, "choices", None) or []
        if choices and getattr(choices[0], "finish_reason", None) == "length":
            record["status"] = "truncated"
        usage = getattr(response, "usage", None)
        if usage is None:
            return
        prompt = int(getattr(usage, "prompt_tokens", 0) or 0)
        completion = int(getattr(usage, "completion_tokens", 0) or 0)
        cached = int(getattr(getattr(usage, "prompt_tokens_details", None), "cached_tokens", 0) or 0)
        self.usage.prompt_tokens += prompt
        self.usage.completion_tokens += completion
        self.usage.cached_tokens += cached
        record.update(prompt_tokens=prompt, completion_tokens=completion, cached_tokens=cached)

    def on_error(self, exc: BaseException, *args: Any, **kwargs: Any) -> None:
        record = self._last()
        record["status"], record["http_status"] = _attempt_status(exc)

    def on_parse_error(self, exc: BaseException, *args: Any, **kwargs: Any) -> None:
        self.records[-1]["status"] = "invalid_answer"

    def finished(self, ok: bool) -> list[LlmAttempt]:
        if ok and self.records:
            self.records[-1]["status"] = "ok"
        return [LlmAttempt.model_validate(r) for r in self.records]


def _attempt_status(exc: BaseException) -> tuple[str, int | None]:
    status = getattr(exc, "status_code", None)
    kind = type(_root(exc)).__name__
    if kind == "APITimeoutError":
        return "timeout", None
    if kind == "APIConnectionError":
        return "connection_error", None
    if status == 429:
        return "rate_limited", status
    if isinstance(status, int) and status >= 500:
        return "server_error", status
    if isinstance(status, int):
        return "refused", status
    return "error", None


class RetryAfterTooLong(Exception):
    """The endpoint asked us to wait longer than the time left for this review."""

    def __init__(self, asked: float, limit: float) -> None:
        super().__init__(f"Retry-After {asked:.0f} s > {limit:.0f} s")
        self.asked = asked
        self.limit = limit


def _retry_after(exc: BaseException) -> float | None:
    """Seconds the endpoint asked us to wait: Retry-After (seconds or an HTTP date) or retry-after-ms."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    value = headers.get("retry-after")
    try:
        if millis is not None:
            return max(0.0, float(millis) / 1000)
        if value is None:
            return None
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class LlmExtractor:
    name = "llm"

    def __init__(self, config: LlmConfig | None = None) -> None:
        self.config = config or LlmConfig.load()
        self.prompt = load_prompt()
        self._client: Any = None
        self._replay: Any = None
        self._cassette: Any = None
        self._lock = threading.Lock()  # one extractor may serve many threads

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._build_client()
            return self._client

    def _build_client(self) -> Any:
        import instructor
        import openai

        from reviewer.deadline import bound
        from reviewer.privacy.logs import keep_note_text_out_of_logs

        modes = {
            "tools": instructor.Mode.TOOLS,
            "json": instructor.Mode.JSON,
            "json_schema": instructor.Mode.JSON_SCHEMA,
            "md_json": instructor.Mode.MD_JSON,
        }
        http = bound(openai.DefaultHttpxClient(), self.config.timeout)
        raw = openai.OpenAI(
            base_url=self.config.base_url,
            api_key=self.config.api_key or "not-needed",
            timeout=self.config.timeout,
            max_retries=0,  # tenacity owns transport retries
            http_client=http,
        )
        keep_note_text_out_of_logs()
        return instructor.from_openai(raw, mode=modes[self.config.mode])

    def _ensure_replay(self) -> None:
        """With a cassette configured, every request is answered from it (record mode none):
        opened once, for the life of this extractor."""
        with self._lock:
            if self.config.cassette is None or self._replay is not None:
                return
            from reviewer.extract.cassette import replaying

            if not self.config.cassette.is_file():
                raise LlmNotConfigured(f"LLM cassette {self.config.cassette}: no such file")
            self._replay = replaying(self.config.cassette)
            self._cassette = self._replay.__enter__()
            # A request missing from the cassette will never succeed: fail it at once.
            self.config = self.config.model_copy(update={"transport_attempts": 1})

    def close(self) -> int:
        """Stop replaying: vcrpy's patch of the HTTP client is undone. Returns how many recorded
        interactions no request asked for (a replayed run that leaves some is stale)."""
        with self._lock:
            if self._replay is None:
                return 0
            unplayed = len(self._cassette) - self._cassette.play_count
            self._replay.__exit__(None, None, None)
            self._replay = self._cassette = None
            return int(unplayed)

    def masked(self, text: str) -> MaskedText | None:
        """The note as it will be sent, when masking is on."""
        if not self.config.masks_phi:
            return None
        from reviewer.privacy import mask

        return mask(text)

    def extract(self, note: Note) -> Extraction:
        usage = Usage()
        attempts = _Attempts(usage)
        record = recorder()
        ok = False
        try:
            self._ensure_replay()
            masked = self._masked_or_refuse(note.text)
            if record is not None:
                record.prompt_sha256 = self.prompt.sha256
                record.masking = _masking_audit(masked)
            parsed = self._call(masked.text if masked is not None else note.text, attempts)
            ok = True
        except LlmNotConfigured:
            raise
        except Exception as exc:  # every failure becomes an error state, never a crash
            return Extraction(
                findings=Findings(),
                extractor=self.name,
                model=self.config.model,
                prompt_version=self.prompt.version,
                usage=usage,
                error=_describe(exc),
            )
        finally:
            if record is not None:
                record.attempts.extend(attempts.finished(ok))
        findings = to_findings(parsed)
        if masked is not None:
            findings = restore_quotes(findings, masked)
        return Extraction(
            findings=findings,
            extractor=self.name,
            model=self.config.model,
            prompt_version=self.prompt.version,
            usage=usage,
            reads_secondary_facts=False,
        )

    def _masked_or_refuse(self, text: str) -> MaskedText | None:
        try:
            return self.masked(text)
        except ImportError as exc:
            raise PhiMaskingFailed(f"PHI masking needs presidio-analyzer ({exc.name} is missing)") from None
        except Exception as exc:  # never send an unmasked note because masking broke
            raise PhiMaskingFailed(f"PHI masking failed ({type(exc).__name__})") from None

    def _call(self, text: str, counter: _Attempts) -> LlmExtraction:
        """One structured extraction: instructor re-asks on a schema miss (`max_reasks`),
        tenacity retries transport failures (`transport_attempts`, within `max_wait_seconds`)."""
        from reviewer.privacy.logs import keep_note_text_out_of_logs

        cfg = self.config
        client = self.client
        keep_note_text_out_of_logs()  # loggers created since the client was built
        hooks = _hooks(counter)
        extra: dict[str, Any] = {"temperature": cfg.temperature, "max_tokens": cfg.max_tokens}
        if cfg.seed is not None:
            extra["seed"] = cfg.seed
        if cfg.token_budget is not None:
            extra["token_budget"] = cfg.token_budget
        started = time.monotonic()
        for attempt in _transport_retries(cfg, started):
            with attempt:
                try:
                    result: LlmExtraction = client.chat.completions.create(
                        model=cfg.model,
                        response_model=LlmExtraction,
                        messages=self.prompt.messages(text),
                        max_retries=cfg.max_reasks,
                        hooks=hooks,
                        **extra,
                    )
                except Exception as exc:
                    asked = _retry_after(_root(exc))
                    left = cfg.max_wait_seconds - (time.monotonic() - started)
                    if asked is not None and asked > left:
                        raise RetryAfterTooLong(asked, cfg.max_wait_seconds) from exc
                    raise
                return result
        raise RuntimeError("unreachable")  # pragma: no cover


def _hooks(counter: _Attempts) -> Any:
    """instructor hooks that count every attempt (tokens, status; never text) for the audit."""
    from instructor.core.hooks import Hooks

    hooks = Hooks()
    hooks.on("completion:kwargs", counter.on_kwargs)
    hooks.on("completion:response", counter.on_response)
    hooks.on("completion:error", counter.on_error)
    hooks.on("parse:error", counter.on_parse_error)
    return hooks


def _transport_retries(cfg: LlmConfig, started: float) -> Any:
    """Retries of timeouts, lost connections, 429s and 5xx: exponential backoff with jitter, or
    the server's Retry-After, never past `max_wait_seconds` since `started`."""
    import openai
    from tenacity import Retrying, retry_if_exception, stop_after_attempt, stop_after_delay

    transient = (
        openai.APITimeoutError,
        openai.APIConnectionError,
        openai.RateLimitError,
        openai.InternalServerError,
    )

    def wait(state: Any) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = _retry_after(_root(exc)) if exc is not None else None
        if hinted is not None:
            return hinted  # already checked against the time left
        number: int = state.attempt_number
        backoff = min(30.0, 0.5 * 2.0 ** (number - 1)) * (0.5 + random.random() / 2)
        return min(backoff, max(0.0, cfg.max_wait_seconds - (time.monotonic() - started)))

    return Retrying(
        retry=retry_if_exception(lambda e: isinstance(_root(e), transient)),
        stop=stop_after_attempt(cfg.transport_attempts) | stop_after_delay(cfg.max_wait_seconds),
        wait=wait,
        reraise=True,
    )


class PhiMaskingFailed(RuntimeError):
    """Masking could not run: the note is not sent."""


def _masking_audit(masked: MaskedText | None) -> Masking:
    if masked is None:
        return Masking(enabled=False)
    from reviewer.privacy.phi import load_patterns

    return Masking(enabled=True, patterns_version=load_patterns().version, placeholders=masked.counts())


def restore_quotes(findings: Findings, masked: MaskedText) -> Findings:
    """Each quote of the masked text the model returned, carried back to the original note: the
    quote becomes the original's words (a placeholder becomes the identifier it hides) with their
    offsets, so the guardrails verify it against the original. A quote the masked text does not
    hold is left as it is (the guardrails will try, and mark it unaligned if they fail)."""

    def restore(e: Evidence) -> Evidence:
        found = masked.locate(e.quote, relaxed=PLACEHOLDER.search(e.quote) is not None)
        if found is None:
            return e
        start, end = found
        return e.model_copy(update={"quote": masked.original[start:end], "start": start, "end": end})

    update: dict[str, object] = {}
    for name in type(findings).model_fields:
        value = getattr(findings, name)
        if isinstance(value, list) and value and isinstance(value[0], Finding):
            update[name] = [f.model_copy(update={"evidence": restore(f.evidence)}) for f in value]
    return findings.model_copy(update=update)


def _root(exc: BaseException) -> BaseException:
    """instructor wraps transport errors in InstructorRetryException: look through it."""
    while type(exc).__name__ == "InstructorRetryException" and exc.__cause__ is not None:
        exc = exc.__cause__
    return exc


def _describe(exc: BaseException) -> str:
    """One line naming the failure, without any note text."""
    if isinstance(exc, RetryAfterTooLong):
        return (
            f"LLM extraction failed: the LLM endpoint asked to wait {exc.asked:.0f} s (Retry-After), "
            f"longer than the maximum wait of {exc.limit:.0f} s: stopped without waiting"
        )
    if isinstance(exc, PhiMaskingFailed):
        return f"LLM extraction failed: {exc}; the note was not sent"
    exc = _root(exc)
    kind = type(exc).__name__
    status = getattr(exc, "status_code", None)
    known = {
        "APIConnectionError": "the LLM endpoint could not be reached",
        "APITimeoutError": "the LLM endpoint timed out (no complete answer within the request timeout)",
        "RateLimitError": "the LLM endpoint kept answering 429 (rate limited)",
        "InternalServerError": f"the LLM endpoint kept failing (HTTP {status})",
        "IncompleteOutputException": "the LLM answer was cut off (finish_reason=length): raise max_tokens",
        "TokenBudgetError": "the per-note token budget was exceeded",
        "TokenBudgetExceeded": "the per-note token budget was exceeded",
        "InstructorRetryException": "the LLM answer did not fit the schema after the allowed re-asks",
        "ValidationError": "the LLM answer did not fit the schema after the allowed re-asks",
        "JSONDecodeError": "the LLM answer was not valid JSON after the allowed re-asks",
        "AuthenticationError": "the LLM endpoint refused the API key",
        "NotFoundError": "the LLM endpoint does not know this model or path",
        "BadRequestError": f"the LLM endpoint rejected the request (HTTP {status})",
    }
    return f"LLM extraction failed: {known.get(kind, kind)}"
