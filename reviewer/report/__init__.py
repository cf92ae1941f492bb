"""Reports on a `Review`: a text report for the terminal, one self-contained HTML page with
the note and its evidence highlighted, and the JSON form of the review itself."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reviewer.pipeline import Review
from reviewer.report.text import render_text

if TYPE_CHECKING:
    from reviewer.report.html import render_html

__all__ = ["FORMATS", "render", "render_html", "render_json", "render_text"]

FORMATS = ("text", "json", "html")


def __getattr__(name: str) -> Any:
    # The HTML renderer (jinja2, its compiled template) loads only when asked for.
    if name == "render_html":
        from reviewer.report.html import render_html

        return render_html
    raise AttributeError(name)


def render_json(review: Review) -> str:
    """The review as indented JSON (the public schema)."""
    return review.model_dump_json(indent=2)


def render(
    review: Review, note_text: str, output_format: str, *, color: bool = False, width: int = 80
) -> str:
    """The review in one of FORMATS: text (the coder's report, `width` columns, ANSI colours when
    `color`), json (the Review on one line, as the API answers) or html (the self-contained page)."""
    if output_format == "json":
        return review.model_dump_json()
    if output_format == "html":
        from reviewer.report.html import render_html

        return render_html(review, note_text)
    if output_format == "text":
        return render_text(review, note_text, color=color, width=width)
    raise ValueError(f"unknown report format {output_format!r} (choose from: {', '.join(FORMATS)})")
