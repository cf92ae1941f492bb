"""No note text in any log record, at any level.

The openai client logs whole request bodies at DEBUG (with `OPENAI_LOG=debug`, or when a host
application sets the root logger to DEBUG), httpx/httpcore trace requests at DEBUG, and
instructor's messages quote the model's answers (which quote the note) at every level. A filter on
each of their loggers drops those records before any handler, or a parent logger, sees them: what
is left is INFO and above from openai, httpx and httpcore (URLs, status codes, retries).
"""

from __future__ import annotations

import logging

CHATTY = ("openai", "httpx", "httpcore", "instructor", "vcr")
# Loggers some of them create only when a module is first used.
KNOWN = (
    "openai._base_client",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.socks",
    "instructor.v2",
    "instructor.v2.retry",
)
SILENT = ("instructor",)  # every record may quote the model's answer


class PayloadFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        name = record.name
        if any(name == s or name.startswith(s + ".") for s in SILENT):
            return False
        return record.levelno >= logging.INFO


_FILTER = PayloadFilter("reviewer-no-payloads")


def keep_note_text_out_of_logs() -> None:
    """Attach the filter to every logger of the LLM libraries that exists now (call again after
    importing more of them: a filter on a parent logger does not see its children's records)."""
    names = [
        name
        for name in list(logging.root.manager.loggerDict)
        if any(name == p or name.startswith(p + ".") for p in CHATTY)
    ]
    for name in {*CHATTY, *KNOWN, *names}:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
