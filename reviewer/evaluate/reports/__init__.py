"""Reports on an evaluation (`reviewer eval`): a terminal table (rich), Markdown for a
pull-request description, JSON for machines, and one self-contained HTML page listing every
failing case with its note and the evidence highlighted."""

from __future__ import annotations

from reviewer.evaluate.reports.html import eval_html
from reviewer.evaluate.reports.json import eval_json
from reviewer.evaluate.reports.markdown import eval_markdown
from reviewer.evaluate.reports.summary import eval_headline, eval_standing, format_delta, format_value
from reviewer.evaluate.reports.text import eval_text

__all__ = [
    "eval_headline",
    "eval_html",
    "eval_json",
    "eval_markdown",
    "eval_standing",
    "eval_text",
    "format_delta",
    "format_value",
]
