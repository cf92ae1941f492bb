"""Reports on a `Review`: a text report for the terminal, one self-contained HTML page with
the note and its evidence highlighted, and the JSON form of the review itself."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reviewer.pipeline import Review
from reviewer.report.text import render_text

if TYPE_CHECKING:
    from reviewer.report.html import render_html

__all__ = ["render_html", "render_json", "render_text"]


def __getattr__(name: str) -> Any:
    # The HTML renderer (jinja2, its compiled template) loads only when asked for.
    if name == "render_html":
        from reviewer.report.html import render_html

        return render_html
    raise AttributeError(name)


def render_json(review: Review) -> str:
    """The review as indented JSON (the public schema)."""
    return review.model_dump_json(indent=2)
