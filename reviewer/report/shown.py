"""What a report may show of a review's id and warnings: control characters escaped (an id or a
file name can hold an ESC sequence that would steer the terminal or garble a page)."""

from __future__ import annotations

from reviewer.pipeline import Review
from reviewer.terminal import printable


def shown(review: Review) -> Review:
    note_id = printable(review.note_id)
    warnings = [printable(w) for w in review.warnings]
    if note_id == review.note_id and warnings == review.warnings:
        return review
    return review.model_copy(update={"note_id": note_id, "warnings": warnings})
