"""Operative-note reviewer for CPT 11004: evidence, verdict, codes, queries and claim edits.

Public surface: `review`, `Review`, `Findings`, `Decision`. Importing this package is cheap;
models and data load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reviewer.version import __version__

__all__ = ["Decision", "Findings", "Review", "__version__", "review"]

if TYPE_CHECKING:
    from reviewer.decision import Decision
    from reviewer.findings import Findings
    from reviewer.pipeline import Review, review


def __getattr__(name: str) -> Any:
    if name in ("review", "Review"):
        from reviewer import pipeline

        return getattr(pipeline, name)
    if name == "Findings":
        from reviewer.findings import Findings

        return Findings
    if name == "Decision":
        from reviewer.decision import Decision

        return Decision
    raise AttributeError(name)
