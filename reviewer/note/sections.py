"""The operative-note sectionizer: headers from the lexicon (data/sections.json), numbered and
inline headers, lines in capitals, flat exports, unlisted headers mapped by keyword, template
"Key: value" fields; and the guards that keep a history list's "Diagnosis:" in the history."""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from reviewer.note.lines import SENTENCE_END, ends_sentence
from reviewer.note.lines import char_before as _char_before
from reviewer.note.lines import line_start as _line_start
from reviewer.note.lines import line_starts as _line_starts
from reviewer.note.reading import normalise

# The surgeon's diagnoses: before the operation, and the conclusions after it.
DIAGNOSIS = frozenset({"preoperative_diagnosis", "postoperative_diagnosis", "assessment"})


@dataclass(frozen=True)
class Section:
    name: str  # canonical name, e.g. "postoperative_diagnosis"; "body" before any header
    start: int  # start of the header (or of the text)
    body_start: int  # first character after the header and its colon
    end: int
    header: str  # the header as written


@dataclass(frozen=True)
class _HeaderLexicon:
    version: str
    pattern: re.Pattern[str]
    canonical: dict[str, str]
    keywords: tuple[tuple[re.Pattern[str], str], ...]

    def by_keyword(self, header: str) -> str | None:
        for pattern, name in self.keywords:
            if pattern.search(header):
                return name
        return None


@lru_cache(maxsize=1)
def _headers() -> _HeaderLexicon:
    raw: dict[str, Any] = json.loads(
        resources.files("reviewer.data").joinpath("sections.json").read_text("utf-8")
    )
    canonical: dict[str, str] = {}
    for name, spellings in raw["sections"].items():
        for spelling in spellings:
            canonical[_key(spelling)] = name
    alternatives = sorted(canonical, key=len, reverse=True)
    body = "|".join(re.escape(a).replace(r"\ ", r"[ ]+") for a in alternatives)
    # The header must not be glued to a word on either side.
    pattern = re.compile(rf"(?<![\w/&-])(?:{body})(?![\w/&-])")
    keywords = tuple((re.compile(k), name) for k, name in raw.get("keywords", []))
    return _HeaderLexicon(raw["version"], pattern, canonical, keywords)


def _key(header: str) -> str:
    return re.sub(r"\s+", " ", normalise(header).strip())


def section_lexicon_version() -> str:
    return _headers().version


_QUALIFIER = re.compile(r"\([^()\n]{1,40}\)[ \t]*(?=:)")
_LINE_PREFIX = re.compile(r"[ \t]*(?:(?:\d{1,2}|[ivx]{1,4}|[a-h])[.)][ \t]*|[-*\u2022#>][ \t]*)?$")


def find_sections(text: str, norm: str) -> list[Section]:
    lex = _headers()
    lines = _line_starts(norm)
    found: list[tuple[int, int, str, str]] = []  # start, body_start, name, header text
    for m in lex.pattern.finditer(norm):
        start, end = m.span()
        after = end
        while after < len(norm) and norm[after] in " \t":
            after += 1
        # "Procedure (bedside):" qualifies a header in parentheses.
        qualifier = _QUALIFIER.match(norm, after)
        if qualifier:
            after = qualifier.end()
        has_colon = after < len(norm) and norm[after] == ":"
        line_end = after >= len(norm) or norm[after] == "\n"
        line_start = _line_start(lines, start)
        prefix = norm[line_start:start]
        prev = _char_before(norm, start) or "\n"
        at_line_start = _LINE_PREFIX.match(prefix) is not None
        after_separator = prev in ",;|"
        upper = text[start:end].isupper()
        # After a full stop, a header in capitals or capitalised with its colon ("... Irrigated.
        # Postoperative Diagnosis: Same.") opens a section: flat exports lose the line breaks.
        after_sentence = prev in ".!?" and (upper or text[start : start + 1].isupper())
        accepted = (
            (at_line_start and (has_colon or (line_end and _looks_like_header_line(text, start, end))))
            or (after_separator and has_colon)
            or (after_sentence and has_colon)
        )
        if not accepted:
            continue
        body_start = after + 1 if has_colon else after
        if at_line_start:  # a numbered or bulleted header starts at its number
            start = line_start + len(prefix) - len(prefix.lstrip())
        found.append((start, body_start, lex.canonical[_key(m.group())], text[start:end]))

    found = _unguarded(found)
    found = _with_keyword_headers(text, norm, found, lex)
    found = _with_field_headers(text, norm, found)
    found = _story_of_operation(found)
    found = _fields_end_with_their_line(norm, found)
    sections: list[Section] = []
    first = found[0][0] if found else len(text)
    if first > 0 or not found:
        sections.append(Section("body", 0, 0, first, ""))
    for i, (start, body_start, name, header) in enumerate(found):
        end = found[i + 1][0] if i + 1 < len(found) else len(text)
        sections.append(Section(name, start, body_start, end, header))
    return sections


# One-line fields ("Assistant: Dr. A", "EBL: 50 mL"): their value is the rest of the line.
_LINE_FIELDS = frozenset(
    {"personnel", "anesthesia", "ebl", "fluids", "complications", "disposition", "implants"}
)


def _fields_end_with_their_line(
    norm: str, found: list[tuple[int, int, str, str]]
) -> list[tuple[int, int, str, str]]:
    """A one-line field with its value on its own line ends there: prose on the following lines,
    before the next header, belongs to the section the field interrupted (a line "Assistant: the
    fascia was excised" in a narrative does not turn the rest of the note into staff names). A
    field written inside a line ("... packed. Assistant: Dr. A. The fascia ...") ends with its
    sentence."""
    out: list[tuple[int, int, str, str]] = []
    for i, item in enumerate(found):
        out.append(item)
        start, body_start, name, _ = item
        if name not in _LINE_FIELDS:
            continue
        next_start = found[i + 1][0] if i + 1 < len(found) else len(norm)
        end = _field_end(norm, start, body_start)
        if end is None or not norm[body_start:end].strip() or not norm[end:next_start].strip():
            continue
        resumed = next((n for _, _, n, _ in reversed(out[:-1]) if n not in _LINE_FIELDS), "body")
        out.append((end, end, resumed, ""))
    return out


def _field_end(norm: str, start: int, body_start: int) -> int | None:
    """Where a one-line field's value ends: its line's end (None on the last line), or, for a
    field that starts inside a line, the end of its sentence when that comes first."""
    line_end = norm.find("\n", body_start)
    inline = bool(norm[norm.rfind("\n", 0, start) + 1 : start].strip())
    if inline:
        limit = len(norm) if line_end < 0 else line_end
        stop = next(
            (m.end() for m in SENTENCE_END.finditer(norm, body_start, limit) if ends_sentence(norm, m.end())),
            None,
        )
        if stop is not None:
            return stop
    return None if line_end < 0 else line_end + 1


# Headers that make a note an operative report (a progress note has none of them).
_OPERATIVE_REPORT = frozenset(
    {"description", "findings", "preoperative_diagnosis", "postoperative_diagnosis"}
)


def _story_of_operation(found: list[tuple[int, int, str, str]]) -> list[tuple[int, int, str, str]]:
    """In an operative report the history of present illness is the story that led to the
    operation: it is read like the indications (a working diagnosis, never today's procedure).
    A progress note's subjective part may report the day's procedure, so it keeps its name."""
    if not any(name in _OPERATIVE_REPORT for _, _, name, _ in found):
        return found
    return [(a, b, "indications" if name == "hpi" else name, h) for a, b, name, h in found]


def _unguarded(found: list[tuple[int, int, str, str]]) -> list[tuple[int, int, str, str]]:
    """Inside a history or risks section, a diagnosis header not in capitals ("Diagnosis:
    Fournier gangrene 2019") is an item of that list, not the diagnosis of today."""
    kept: list[tuple[int, int, str, str]] = []
    for item in sorted(found):
        enclosing = kept[-1][2] if kept else "body"
        if enclosing in _GUARDED and item[2] in DIAGNOSIS and not item[3].isupper():
            continue
        kept.append(item)
    return kept


_CANDIDATE = re.compile(
    r"(?m)(?:^[ \t]*(?:(?:\d{1,2}|[ivx]{1,4}|[a-h])[.)][ \t]*|[-*\u2022][ \t]*)?|(?P<sep>[,;|.!?])[ \t]*)"
    r"(?P<h>[a-z][a-z0-9 /&()'-]{1,58}?)[ \t]*:(?!//)"
)
_GUARDED = frozenset({"history", "family_history", "risks"})
# A negative answer or a checkbox after a form's question, on its line or the next: "Findings of
# necrotizing fasciitis: absent", "Evidence of NSTI: [ ] yes [x] no". A label answered like this
# is a question, not a section header: its terms stay with their answer (ruleset decision
# affirmed-today). A positive answer ("... : present") keeps the header, as before.
_BARE_ANSWER = re.compile(
    r"[ \t]*(?:\n[ \t]*)?(?:no|n|none|nil|absent|negative|neg|not (?:seen|present|found|identified)|"
    r"[\[(] *[x\u2713\u2714v ]? *[\])][^\n]*)[ \t]*[.;]?[ \t]*(?:\n|$)"
)
_CAPS_LINE = re.compile(r"(?m)^[ \t]*(?P<h>[A-Z][A-Z /&()'-]{2,58}[A-Z)])[ \t]*$")


class _Spans:
    """Header spans sorted by start, for "is this offset inside a header?" in log time."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        self.spans = sorted(spans)
        self.starts = [s for s, _ in self.spans]

    def covers(self, offset: int) -> bool:
        i = bisect_right(self.starts, offset) - 1
        return i >= 0 and self.spans[i][0] <= offset < self.spans[i][1]

    def add(self, start: int, end: int) -> None:
        i = bisect_right(self.starts, start)
        self.starts.insert(i, start)
        self.spans.insert(i, (start, end))


def _with_keyword_headers(
    text: str, norm: str, found: list[tuple[int, int, str, str]], lex: _HeaderLexicon
) -> list[tuple[int, int, str, str]]:
    """Headers the lexicon does not list, mapped by keyword ("DESCRIPTION OF OPERATIVE
    PROCEDURE:" is a description)."""
    merged = sorted(found)
    taken = _Spans([(start, body) for start, body, *_ in merged])
    for m in _CANDIDATE.finditer(norm):
        start, end = m.span("h")
        header = m.group("h")
        if len(header.split()) > 6 or taken.covers(start):
            continue
        upper = text[start:end].isupper()
        if m.group("sep") and not upper:
            continue  # flat exports and run-on text: only headers in capitals
        name = lex.by_keyword(header)
        if name is None or _BARE_ANSWER.match(norm, m.end()):
            continue
        i = bisect_right([h[0] for h in merged], start - 1) - 1
        enclosing = merged[i][2] if i >= 0 else "body"
        if enclosing in _GUARDED and not upper:
            continue  # "Diagnosis: Fournier 2019" inside a history list stays history
        merged.append((start, m.end(), name, text[start:end]))
        taken.add(start, m.end())
        merged.sort()
    # A line in capitals with nothing else on it: "DESCRIPTION OF THE OPERATION"
    for m in _CAPS_LINE.finditer(text):
        start, end = m.span("h")
        if len(m.group("h").split()) > 6 or taken.covers(start):
            continue
        name = lex.by_keyword(norm[start:end])
        if name is not None:
            merged.append((start, end, name, text[start:end]))
            taken.add(start, end)
            merged.sort()
    return merged


# Template notes carry "Key: value" lines our lexicon does not know ("Wound Location:").
# They start a new, neutral section only after short-field sections; inside a history or a
# risks section they stay part of it, so a past diagnosis never becomes today's.
_FIELD_HEADER = re.compile(r"(?m)^[ \t]*(?:[-*\u2022][ \t]*)?([a-z][a-z/&()' -]{1,40}?)[ \t]*:(?!//)")
_SHORT_FIELDS = frozenset(
    {
        "body",
        "anesthesia",
        "personnel",
        "ebl",
        "fluids",
        "complications",
        "disposition",
        "drains",
        "specimens",
        "implants",
        "other",
    }
)


def _with_field_headers(
    text: str, norm: str, found: list[tuple[int, int, str, str]]
) -> list[tuple[int, int, str, str]]:
    known = {start for start, *_ in found}
    merged = sorted(found)
    starts = [h[0] for h in merged]
    for m in _FIELD_HEADER.finditer(norm):
        start = m.start(1)
        if start in known or len(m.group(1).split()) > 5:
            continue
        i = bisect_right(starts, start) - 1
        if i < 0:
            enclosing = "body"
        elif merged[i][1] > start:
            enclosing = ""  # inside a known header
        else:
            enclosing = merged[i][2]
        if enclosing in _SHORT_FIELDS:
            header = (start, m.end(), "other", text[start : m.end(1)])
            at = bisect_right(starts, start)
            starts.insert(at, start)
            merged.insert(at, header)
    return merged


def _looks_like_header_line(text: str, start: int, end: int) -> bool:
    """A header alone on its line with no colon: capitals or title case."""
    word = text[start:end]
    return word.isupper() or word.istitle()
