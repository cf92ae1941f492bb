"""The web app: the coder's page, `POST /api/review`, a file reader for dropped notes, the HTML
report, `GET /api/health`, and OpenAPI docs at /docs (assets served locally, no CDN).

Extractors, lexicons and tables load once, when the app is created (the rules extractor is
warmed on the bundled sample note). A review runs in a worker thread under a per-request
deadline. Nothing is kept: a note lives only as long as its request. Nothing about a note is
logged: no handler logs, errors log the exception's type and never its message (which may
quote the note), and uvicorn's access log has the request line only (no URL carries note text).
Every error is JSON `{"error": "<one line>"}`.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from importlib.resources import files
from typing import Annotated, Any, Literal, TypeVar

import anyio
from fastapi import FastAPI, File, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartParser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import reviewer
from reviewer.extract import Extractor, get_extractor
from reviewer.inputs import (
    FORMAT_NAMES,
    MAX_NOTE_BYTES,
    MAX_NOTE_CHARS,
    check_text,
    parse_document,
)
from reviewer.pipeline import Review, review_with
from reviewer.report import render_html

__all__ = ["ApiError", "Settings", "check_llm_config", "create_app"]

log = logging.getLogger("reviewer.web")
T = TypeVar("T")

STATIC = files("reviewer.web") / "static"
# A JSON request with the longest note (4 bytes a character at worst), or a file and its form.
MAX_BODY_BYTES = 2 * MAX_NOTE_BYTES
# A dropped file is held in memory, never spooled to a temporary file on disk (it is PHI).
MultiPartParser.spool_max_size = MAX_BODY_BYTES + 1

_PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'self'; form-action 'none'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class Settings:
    """Server settings; `reviewer serve` passes them to each worker through the environment."""

    timeout: float = 120.0  # seconds for one request, queueing included
    max_body_bytes: int = MAX_BODY_BYTES

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        return cls(
            timeout=float(env.get("REVIEWER_SERVE_TIMEOUT", cls.timeout)),
            max_body_bytes=int(env.get("REVIEWER_SERVE_MAX_BODY", cls.max_body_bytes)),
        )


class ApiError(Exception):
    """An error answered as JSON with this status and one-line message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class ErrorBody(BaseModel):
    error: str = Field(description="What went wrong, in one line.")


class ReviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(description=f"The operative note (at most {MAX_NOTE_CHARS:,} characters).")
    sex: str | None = Field(default=None, max_length=16, description="Patient sex: M or F; empty if unknown.")
    claimed_codes: list[str] = Field(
        default=[],
        max_length=50,
        description="Codes the coder intends to bill, e.g. 11004, 11042-XS, N49.3.",
    )
    extractor: Literal["rules", "llm", "hybrid"] = Field(
        default="rules", description="How findings are read; llm and hybrid only when the server has an LLM."
    )
    note_id: str | None = Field(default=None, max_length=200, description="An id to put in the review.")


class NoteFile(BaseModel):
    name: str = Field(description="The file name as sent.")
    format: str = Field(description="Detected format: " + ", ".join(FORMAT_NAMES) + ".")
    format_name: str
    text: str = Field(description="The note text.")
    sex: str | None = Field(default=None, description="Patient sex (M or F), when the message says.")
    date_of_service: str | None = Field(default=None, description="ISO date, when the message says.")
    warnings: list[str] = []


class ReportRequest(BaseModel):
    text: str = Field(description="The note the review was made on.")
    review: Review


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str
    ruleset_version: str
    extractors: list[str] = Field(description="Extractors this server offers (llm/hybrid when configured).")
    max_note_chars: int
    max_file_bytes: int


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    meaning = {
        400: "The request asks for something this server does not offer.",
        413: "The request or the note is over the size limit.",
        422: "The input is not valid (empty note, unknown sex, bad claimed code, unsupported file...).",
        504: "The review took longer than the server's per-request timeout.",
    }
    return {s: {"model": ErrorBody, "description": meaning[s]} for s in statuses}


def check_llm_config() -> None:
    """Raise ValueError (one line) when an LLM is asked for in the environment but misconfigured."""
    _load_extractors()


def _load_extractors() -> dict[str, Extractor]:
    engines: dict[str, Extractor] = {"rules": get_extractor("rules")}
    try:
        from reviewer.extract.llm import LlmConfig, LlmExtractor, LlmNotConfigured
    except ImportError:  # the `llm` extra is not installed: the rules path only
        return engines
    try:
        config = LlmConfig.load()
    except LlmNotConfigured:
        if os.environ.get("REVIEWER_LLM_CONFIG") or os.environ.get("REVIEWER_LLM_MODEL"):
            raise  # asked for, but wrong: say so at start-up
        return engines
    llm = LlmExtractor(config)  # one client for every request; its key and endpoint stay here
    engines["llm"] = llm
    engines["hybrid"] = get_extractor("hybrid", llm=llm)
    return engines


def _one_line(message: str, limit: int = 300) -> str:
    line = " ".join(message.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _safe_name(name: str | None) -> str:
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(c if c.isprintable() else "?" for c in base)[:120]
    return base or "upload"


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app, with its extractors loaded and warmed. Called once per uvicorn worker."""
    settings = settings or Settings.from_env()
    engines = _load_extractors()
    # Review the sample once now: lexicons, ConText, tables and ICD-10 load before the first coder.
    warmed = review_with(engines["rules"], (STATIC / "sample-note.txt").read_text("utf-8"))
    page = (STATIC / "index.html").read_text("utf-8")
    threads = _Threads(engines, settings.timeout)

    app = FastAPIOffline(
        title="op-note-reviewer",
        version=reviewer.__version__,
        summary="Reviews operative notes for CPT 11004: verdict, evidence, codes, queries, claim edits.",
        description=(
            "Notes are protected health information: nothing sent here is stored or logged. "
            'Errors are JSON `{"error": "..."}` with a one-line message.'
        ),
        redoc_url=None,
        static_url="/docs-static",
        favicon_url="static/favicon.svg",
    )
    app.add_middleware(_Shield, max_body=settings.max_body_bytes)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    _add_error_handlers(app)
    _add_page(app, page)
    _add_health(app, engines, warmed.ruleset_version)
    _add_review(app, engines, threads)
    _add_documents(app, threads)
    return app


class _Threads:
    """Where reviews and file reading run: worker threads, under the per-request deadline.
    Rules reviews (and file reading) are CPU-bound: two threads at a time, so that one very long
    note shares the worker with short ones instead of holding them up. LLM calls mostly wait."""

    def __init__(self, engines: dict[str, Extractor], timeout: float) -> None:
        self.timeout = timeout
        self.limiters = {name: anyio.CapacityLimiter(2 if name == "rules" else 8) for name in engines}

    async def run(self, limiter: str, fn: Callable[[], T]) -> T:
        try:
            with anyio.fail_after(self.timeout):
                return await anyio.to_thread.run_sync(
                    fn, abandon_on_cancel=True, limiter=self.limiters[limiter]
                )
        except TimeoutError:
            raise ApiError(504, f"the request took longer than {self.timeout:g} s and was stopped") from None


def _add_error_handlers(app: FastAPI) -> None:
    """Every error as JSON `{"error": "<one line>"}`."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    @app.exception_handler(ValueError)
    async def _bad_value(request: Request, exc: ValueError) -> JSONResponse:
        # NoteInputError, a bad sex or claimed code, a misconfigured LLM: the caller's input.
        return JSONResponse({"error": _one_line(str(exc))}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"error": _validation_message(exc)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"error": _one_line(str(exc.detail)).lower()}, status_code=exc.status_code, headers=exc.headers
        )


def _add_page(app: FastAPI, page: str) -> None:
    """The coder's page, with links relative to the prefix the app is served under."""

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    async def index(request: Request) -> HTMLResponse:
        base = html.escape(request.scope.get("root_path", "").rstrip("/") + "/", quote=True)
        return HTMLResponse(page.replace("{{base}}", base), headers={"Content-Security-Policy": _PAGE_CSP})


def _add_health(app: FastAPI, engines: dict[str, Extractor], ruleset_version: str) -> None:
    @app.get("/api/health", response_model=Health, summary="Server status and what it offers")
    async def health() -> Health:
        return Health(
            version=reviewer.__version__,
            ruleset_version=ruleset_version,
            extractors=list(engines),
            max_note_chars=MAX_NOTE_CHARS,
            max_file_bytes=MAX_NOTE_BYTES,
        )


def _check_length(text: str) -> None:
    if len(text) > MAX_NOTE_CHARS:
        raise ApiError(413, f"text: the note has {len(text):,} characters; the limit is {MAX_NOTE_CHARS:,}")


def _add_review(app: FastAPI, engines: dict[str, Extractor], threads: _Threads) -> None:
    @app.post(
        "/api/review",
        response_model=Review,
        responses=_errors(400, 413, 422, 504),
        summary="Review one note for CPT 11004",
    )
    async def api_review(body: ReviewRequest) -> Response:
        _check_length(body.text)
        check_text(body.text, "text")
        extractor = engines.get(body.extractor)
        if extractor is None:
            raise ApiError(400, f"extractor: {body.extractor} is not configured on this server")
        job = partial(
            review_with,
            extractor,
            body.text,
            sex=body.sex,
            claimed_codes=body.claimed_codes,
            note_id=body.note_id or None,
        )
        result = await threads.run(body.extractor, job)
        return Response(result.model_dump_json(), media_type="application/json")


def _add_documents(app: FastAPI, threads: _Threads) -> None:
    """A dropped note file read into text, and a review made into its HTML report."""

    @app.post(
        "/api/note-file",
        response_model=NoteFile,
        responses=_errors(413, 422, 504),
        summary="Read a dropped note file (.txt, .rtf, .docx, .pdf, FHIR JSON, HL7 v2)",
    )
    async def api_note_file(
        file: Annotated[UploadFile, File(description="The note file.")],
    ) -> NoteFile:
        name = _safe_name(file.filename)
        data = await file.read(MAX_NOTE_BYTES + 1)
        await file.close()
        if len(data) > MAX_NOTE_BYTES:
            raise ApiError(413, f"{name}: the file is over {MAX_NOTE_BYTES / 1e6:.1f} MB")
        doc = await threads.run("rules", partial(parse_document, name, data))
        return NoteFile(
            name=name,
            format=doc.format,
            format_name=doc.format_name,
            text=doc.text,
            sex=doc.sex,
            date_of_service=doc.date_of_service,
            warnings=doc.warnings + doc.context_notes(),
        )

    @app.post(
        "/api/report",
        response_class=HTMLResponse,
        responses={200: {"content": {"text/html": {}}}, **_errors(413, 422, 504)},
        summary="The self-contained HTML report of a review",
    )
    async def api_report(body: ReportRequest) -> HTMLResponse:
        _check_length(body.text)
        page = await threads.run("rules", partial(render_html, body.review, body.text))
        return HTMLResponse(
            page,
            headers={"Content-Disposition": f'attachment; filename="review-{_file_id(body.review)}.html"'},
        )


def _file_id(review: Review) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", review.note_id)[:80] or "note"


def _validation_message(exc: RequestValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "the request is not valid"
    err = errors[0]
    if err.get("type") == "json_invalid":
        return "the request body is not valid JSON"
    loc = [str(p) for p in err.get("loc", ()) if p != "body"]
    where = ".".join(loc) or "request body"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return _one_line(f"{where}: {err.get('msg', 'invalid')}{more}")


class _Shield:
    """The outermost layer: the request-size limit (a JSON 413 before the app sees the body),
    headers that keep responses out of caches and frames, and the last word on any error (a
    JSON 500; the log gets the exception's type, never its message, which may quote the note)."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = _json_message(
            413,
            f"the request is over {self.max_body / 1e6:.1f} MB; a note is at most {MAX_NOTE_CHARS:,} characters",
        )
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            size += len(message.get("body", b""))
            more = message.get("more_body", False)
            if size <= self.max_body:
                chunks.append(message.get("body", b""))
            elif not more or size > 4 * self.max_body:
                # Drained (or far too much to drain): the client reads the answer, not a reset.
                await _send(send, *too_large)
                return
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                headers += [
                    (b"cache-control", b"no-store"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, replay, send_with_headers)
        except Exception as exc:
            log.error(
                "internal error on %s %s: %s", scope.get("method"), scope.get("path"), type(exc).__name__
            )
            if not started:
                await _send(send_with_headers, *_json_message(500, "internal error; nothing was kept"))


def _json_message(status: int, message: str) -> tuple[int, bytes]:
    return status, json.dumps({"error": message}).encode()


async def _send(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
