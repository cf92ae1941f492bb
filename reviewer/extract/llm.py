"""The LLM extractor: any OpenAI-compatible endpoint through `openai` + `instructor`.

Transport failures (timeouts, connection errors, 429 honouring Retry-After, 5xx) are retried
with `tenacity` (exponential backoff with jitter, bounded in attempts and total time);
validation failures are re-asked by instructor (bounded, and stopped by the token budget).
Token usage is summed over every attempt. Any failure ends as an `Extraction` with `error`
set, never as an exception: the pipeline turns it into a `query` verdict.
"""

from __future__ import annotations

import logging
import os
import random
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reviewer.extract import Extraction, Usage
from reviewer.extract.llm_schema import LlmExtraction, to_findings
from reviewer.extract.prompt import load_prompt
from reviewer.findings import Findings
from reviewer.note import Note

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
    cassette: Path | None = None  # replay recorded traffic from this vcrpy cassette (offline)

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


@dataclass
class _Attempts:
    usage: Usage

    def on_kwargs(self, *args: Any, **kwargs: Any) -> None:
        self.usage.attempts += 1

    def on_response(self, response: Any) -> None:
        usage = getattr(response, "usage", None)
        if usage is None:
            return
        self.usage.prompt_tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
        self.usage.completion_tokens += int(getattr(usage, "completion_tokens", 0) or 0)
        details = getattr(usage, "prompt_tokens_details", None)
        self.usage.cached_tokens += int(getattr(details, "cached_tokens", 0) or 0)


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    value = headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class LlmExtractor:
    name = "llm"

    def __init__(self, config: LlmConfig | None = None) -> None:
        self.config = config or LlmConfig.load()
        self.prompt = load_prompt()
        self._client: Any = None
        self._replay: Any = None
        logging.getLogger("instructor").setLevel(logging.CRITICAL)  # its error lines may echo payloads

    @property
    def client(self) -> Any:
        if self._client is None:
            import instructor
            import openai

            modes = {
                "tools": instructor.Mode.TOOLS,
                "json": instructor.Mode.JSON,
                "json_schema": instructor.Mode.JSON_SCHEMA,
                "md_json": instructor.Mode.MD_JSON,
            }
            raw = openai.OpenAI(
                base_url=self.config.base_url,
                api_key=self.config.api_key or "not-needed",
                timeout=self.config.timeout,
                max_retries=0,  # tenacity owns transport retries
            )
            self._client = instructor.from_openai(raw, mode=modes[self.config.mode])
        return self._client

    def _ensure_replay(self) -> None:
        """With a cassette configured, every request is answered from it (record mode none):
        opened once, for the life of this extractor."""
        if self.config.cassette is None or self._replay is not None:
            return
        from reviewer.extract.cassette import replaying

        if not self.config.cassette.is_file():
            raise LlmNotConfigured(f"LLM cassette {self.config.cassette}: no such file")
        self._replay = replaying(self.config.cassette)
        self._replay.__enter__()
        # A request missing from the cassette will never succeed: fail it at once.
        self.config = self.config.model_copy(update={"transport_attempts": 1})

    def extract(self, note: Note) -> Extraction:
        usage = Usage()
        self._ensure_replay()
        try:
            parsed = self._call(note, usage)
        except Exception as exc:  # every failure becomes an error state, never a crash
            return Extraction(
                findings=Findings(),
                extractor=self.name,
                model=self.config.model,
                prompt_version=self.prompt.version,
                usage=usage,
                error=_describe(exc),
            )
        findings = to_findings(parsed)
        return Extraction(
            findings=_with_secondary_facts(note, findings),
            extractor=self.name,
            model=self.config.model,
            prompt_version=self.prompt.version,
            usage=usage,
        )

    def _call(self, note: Note, usage: Usage) -> LlmExtraction:
        import openai
        from tenacity import Retrying, retry_if_exception, stop_after_attempt, stop_after_delay

        cfg = self.config
        counter = _Attempts(usage)
        client = self.client
        client.on("completion:kwargs", counter.on_kwargs)
        client.on("completion:response", counter.on_response)
        transient = (
            openai.APITimeoutError,
            openai.APIConnectionError,
            openai.RateLimitError,
            openai.InternalServerError,
        )

        def wait(state: Any) -> float:
            exc = state.outcome.exception() if state.outcome else None
            hinted = _retry_after(_root(exc)) if exc is not None else None
            backoff = min(30.0, 0.5 * 2 ** (state.attempt_number - 1)) * (0.5 + random.random() / 2)
            return min(hinted if hinted is not None else backoff, 60.0)

        extra: dict[str, Any] = {"temperature": cfg.temperature, "max_tokens": cfg.max_tokens}
        if cfg.seed is not None:
            extra["seed"] = cfg.seed
        if cfg.token_budget is not None:
            extra["token_budget"] = cfg.token_budget
        try:
            for attempt in Retrying(
                retry=retry_if_exception(lambda e: isinstance(_root(e), transient)),
                stop=stop_after_attempt(cfg.transport_attempts) | stop_after_delay(cfg.max_wait_seconds),
                wait=wait,
                reraise=True,
            ):
                with attempt:
                    result: LlmExtraction = client.chat.completions.create(
                        model=cfg.model,
                        response_model=LlmExtraction,
                        messages=self.prompt.messages(note.text),
                        max_retries=cfg.max_reasks,
                        **extra,
                    )
                    return result
        finally:
            client.off("completion:kwargs", counter.on_kwargs)
            client.off("completion:response", counter.on_response)
        raise RuntimeError("unreachable")  # pragma: no cover


def _root(exc: BaseException) -> BaseException:
    """instructor wraps transport errors in InstructorRetryException: look through it."""
    while type(exc).__name__ == "InstructorRetryException" and exc.__cause__ is not None:
        exc = exc.__cause__
    return exc


def _describe(exc: BaseException) -> str:
    """One line naming the failure, without any note text."""
    exc = _root(exc)
    kind = type(exc).__name__
    status = getattr(exc, "status_code", None)
    known = {
        "APIConnectionError": "the LLM endpoint could not be reached",
        "APITimeoutError": "the LLM endpoint timed out",
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


def _with_secondary_facts(note: Note, findings: Findings) -> Findings:
    """Organisms, sepsis and comorbidities (ICD-10 only, never decisive) come from the
    deterministic pass: the LLM schema stays small and its answers stay about 11004."""
    from reviewer.extract.lexicon import load_lexicon
    from reviewer.extract.rules import build_findings

    rules = build_findings(note, load_lexicon())
    return findings.model_copy(
        update={"organisms": rules.organisms, "sepsis": rules.sepsis, "comorbidities": rules.comorbidities}
    )
