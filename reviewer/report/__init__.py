"""Reports on a `Review`: a text report for the terminal, one self-contained HTML page with
the note and its evidence highlighted, and the JSON form of the review itself."""

from __future__ import annotations

from reviewer.pipeline import Review
from reviewer.report.html import render_html
from reviewer.report.text import render_text

__all__ = ["render_html", "render_json", "render_text"]


def render_json(review: Review) -> str:
    """The review as indented JSON (the public schema)."""
    return review.model_dump_json(indent=2)
