"""Sentence boundaries for operative notes: punctuation, blank lines, list items, form lines
and section headers split; a line wrapped mid-sentence does not; run-on text is cut into
bounded pieces."""

from __future__ import annotations

import re

from reviewer.note.lines import SENTENCE_END, ends_sentence
from reviewer.note.lines import char_before as _char_before
from reviewer.note.lines import line_start as _line_start
from reviewer.note.lines import line_starts as _line_starts
from reviewer.note.sections import Section

# A line in capitals ("FASCIA EXCISED: NO") is a statement of its own.
_CAPS_ONLY = re.compile(r"(?=[^a-z]*[A-Z]{3})[^a-z]{3,80}")
# A line that opens a form field ("Crepitus: [x] yes") starts a new statement.
_FIELD_LINE = re.compile(r"(?:[>*\u2022#-]+[ \t]*)?[a-z][a-z0-9 /&()'-]{1,40}:(?!//)")
# A form answer in capitals ends its statement even when the next sentence follows on the same
# line without a full stop ("FASCIA EXCISED: NO The wound was packed"): read in the original case.
_CAPS_ANSWER = re.compile(r"[:\-][ \t]*(?:NO|N|NONE|NIL|N/A|NA|NEG|YES|Y)(?=[ \t]+[A-Z][a-z])")


def sentence_spans(text: str, norm: str, sections: list[Section]) -> list[tuple[int, int, bool]]:
    """Sentence boundaries for operative notes: punctuation, blank lines, list items and
    section headers split; a line wrapped mid-sentence does not."""
    lines = _line_starts(norm)
    cuts: set[int] = {0}
    for s in sections:
        cuts.add(s.start)
        # A "Key: value" field is one statement ("Fascial excision: none"): not cut after the key.
        if s.name != "other":
            cuts.add(s.body_start)
    for m in SENTENCE_END.finditer(norm):
        end = m.end()
        if not ends_sentence(norm, end):  # "Dr.", "approx.", "e.g."
            continue
        # "1." numbering a list item does not end a sentence either.
        line = _line_start(lines, end - 1)
        if end - line <= 12 and re.fullmatch(r"\s*(?:\d{1,2}|[a-z])\.", norm[line:end]):
            continue
        cuts.add(end)
    cuts.update(m.end() for m in _CAPS_ANSWER.finditer(text))
    # In a note written in mixed case, a line in capitals stands alone.
    head = text[:20000]
    mixed_case = sum(map(str.isupper, head)) < 0.5 * sum(map(str.isalpha, head))
    for m in re.finditer(r"\n", norm):
        i = m.start()
        prev = _char_before(norm, i)
        nxt = norm[i + 1 : i + 40].lstrip(" \t")
        if (
            not prev
            or prev in ".:;!?"
            or nxt.startswith("\n")
            or re.match(r"(?:\d{1,2}[.)]|[-*\u2022#>])\s", nxt)
            or _FIELD_LINE.match(nxt)
            or (mixed_case and _CAPS_ONLY.fullmatch(text[_line_start(lines, i) : i].strip()))
            or not nxt
        ):
            cuts.add(i + 1)
    ordered = sorted(c for c in cuts if c < len(text))
    spans: list[tuple[int, int, bool]] = []
    for i, start in enumerate(ordered):
        end = ordered[i + 1] if i + 1 < len(ordered) else len(text)
        # Trim surrounding whitespace so spans start and end on text.
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.extend(_bounded(norm, start, end))
    return spans


# Longer "sentences" (text with no breaks at all) are cut at clause punctuation, else at a
# space: assertion scopes never need more, and the work per note stays linear.
MAX_SENTENCE_CHARS = 600


def _bounded(norm: str, start: int, end: int) -> list[tuple[int, int, bool]]:
    """The sentence [start, end) in pieces of at most MAX_SENTENCE_CHARS, each with whether
    one of its edges had to be cut at a bare space (a run-on piece: no clause punctuation to
    cut at, so what governs what is uncertain)."""
    pieces: list[tuple[int, int, bool]] = []
    forced_before = False
    while end - start > MAX_SENTENCE_CHARS:
        low, limit = start + MAX_SENTENCE_CHARS // 2, start + MAX_SENTENCE_CHARS
        window = norm[low:limit]
        at = max(window.rfind(", "), window.rfind("; "), window.rfind(": "))
        forced = at < 0
        if forced:
            at = max(window.rfind(" "), window.rfind("\n"))
        cut = low + at + 1 if at >= 0 else limit
        pieces.append((start, cut, forced or forced_before))
        forced_before = forced
        start = cut
        while start < end and norm[start].isspace():
            start += 1
    if end > start:
        pieces.append((start, end, forced_before))
    return pieces
