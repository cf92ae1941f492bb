"""The note: original text kept byte-for-byte, sections, sentences, and a same-length
normalised copy for matching (so every offset found in `norm` indexes `text` too)."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from itertools import pairwise
from typing import Any

# One-to-one character folds applied before anything else (dashes, quotes, spaces, line ends).
_FOLD = str.maketrans(
    {
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00a0": " ",
        "\u2007": " ",
        "\u202f": " ",
        "\t": " ",
        "\r": "\n",
        "\u00d7": "x",
    }
)

# The surgeon's diagnoses: before the operation, and the conclusions after it.
DIAGNOSIS = frozenset({"preoperative_diagnosis", "postoperative_diagnosis", "assessment"})


@lru_cache(maxsize=1)
def _confusables() -> dict[str, str]:
    raw: dict[str, Any] = json.loads(
        resources.files("reviewer.data").joinpath("confusables.json").read_text("utf-8")
    )
    return dict(raw["map"])


@lru_cache(maxsize=8192)
def _fold_char(c: str) -> str:
    """What a reader sees in one character, for matching: NFKC compatibility forms (fullwidth
    letters, ligatures), accents and other combining marks off, look-alike letters of other
    scripts folded to Latin, invisible format characters (soft hyphen, zero-width, bidi
    controls) removed. May return "" or several characters."""
    simple = c.translate(_FOLD)
    if simple != c:
        return simple
    category = unicodedata.category(c)
    if category == "Cf":
        return ""
    if category == "Cs":  # a lone surrogate: keep one character in its place
        return "\ufffd"
    if category in ("Zl", "Zp"):
        return "\n"
    if category == "Zs":
        return " "
    decomposed = unicodedata.normalize("NFKD", c)
    table = _confusables()
    base = "".join(table.get(ch, ch) for ch in decomposed if unicodedata.category(ch) not in ("Mn", "Me"))
    return unicodedata.normalize("NFKC", base).translate(_FOLD)


_RLO, _LRO, _PDF = "\u202e", "\u202d", "\u202c"


def _display_order(text: str) -> list[int]:
    """The order in which a reader sees the characters: a right-to-left override (U+202E) shows
    its run, up to the matching pop (U+202C) or the line's end, reversed ("\u202eton\u202c"
    reads "not"). Other characters keep their place."""
    order: list[int] = []
    i = 0
    while i < len(text):
        if text[i] != _RLO:
            order.append(i)
            i += 1
            continue
        end = i + 1
        depth = 1
        while end < len(text) and text[end] != "\n":
            if text[end] in (_RLO, _LRO):
                depth += 1
            elif text[end] == _PDF:
                depth -= 1
                if depth == 0:
                    break
            end += 1
        order.append(i)
        order.extend(range(end - 1, i, -1))
        if end < len(text) and text[end] == _PDF:
            order.append(end)
            end += 1
        i = end
    return order


def fold(text: str) -> tuple[str, array[int] | None]:
    """The text as a reader sees it (case kept) and, unless it is the same length and order as
    the original, the offset in `text` of each character (plus one end sentinel)."""
    # A Windows line end is one line end: its carriage return reads as a space.
    text = text.replace("\r\n", " \n")
    if text.isascii():
        return text.translate(_FOLD), None
    order = _display_order(text) if _RLO in text else range(len(text))
    parts: list[str] = []
    index: array[int] = array("q")
    identity = isinstance(order, range)
    for i in order:
        c = text[i]
        f = _fold_char(c) if ord(c) > 127 else c.translate(_FOLD)
        if len(f) != 1:
            identity = False
        parts.append(f)
        index.extend([i] * len(f))
    folded = "".join(parts)
    if identity:
        return folded, None
    index.append(len(text))
    return folded, index


def _lower(text: str) -> str:
    """Lower case without changing the length ('İ' lower-cases to two characters: kept)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def normalise(text: str) -> str:
    """The text folded (see `fold`) and lower-cased: what every matcher reads."""
    return _lower(fold(text)[0])


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


def _line_starts(norm: str) -> list[int]:
    return [0, *(m.end() for m in re.finditer("\n", norm))]


def _line_start(lines: list[int], offset: int) -> int:
    return lines[bisect_right(lines, offset) - 1]


def _char_before(norm: str, offset: int) -> str:
    """The last character before `offset` that is not a space or tab ("" at the start)."""
    i = offset
    while i > 0 and norm[i - 1] in " \t":
        i -= 1
    return norm[i - 1] if i > 0 else ""


def _find_sections(text: str, norm: str) -> list[Section]:
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
        after_sentence = prev in ".!?" and upper
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
    fascia was excised" in a narrative does not turn the rest of the note into staff names)."""
    out: list[tuple[int, int, str, str]] = []
    for i, item in enumerate(found):
        out.append(item)
        _, body_start, name, _ = item
        if name not in _LINE_FIELDS:
            continue
        line_end = norm.find("\n", body_start)
        next_start = found[i + 1][0] if i + 1 < len(found) else len(norm)
        if line_end < 0 or not norm[body_start:line_end].strip() or not norm[line_end:next_start].strip():
            continue
        resumed = next((n for _, _, n, _ in reversed(out[:-1]) if n not in _LINE_FIELDS), "body")
        out.append((line_end + 1, line_end + 1, resumed, ""))
    return out


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
        if name is None:
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


# A line in capitals ("FASCIA EXCISED: NO") is a statement of its own.
_CAPS_ONLY = re.compile(r"(?=[^a-z]*[A-Z]{3})[^a-z]{3,80}")
# A line that opens a form field ("Crepitus: [x] yes") starts a new statement.
_FIELD_LINE = re.compile(r"(?:[>*\u2022#-]+[ \t]*)?[a-z][a-z0-9 /&()'-]{1,40}:(?!//)")
_SENTENCE_END = re.compile(r"[.!?](?=[\s\"')\]]|$)")


def _sentence_spans(text: str, norm: str, sections: list[Section]) -> list[tuple[int, int, bool]]:
    """Sentence boundaries for operative notes: punctuation, blank lines, list items and
    section headers split; a line wrapped mid-sentence does not."""
    lines = _line_starts(norm)
    cuts: set[int] = {0}
    for s in sections:
        cuts.add(s.start)
        # A "Key: value" field is one statement ("Fascial excision: none"): not cut after the key.
        if s.name != "other":
            cuts.add(s.body_start)
    for m in _SENTENCE_END.finditer(norm):
        end = m.end()
        # "Dr.", "approx.", "e.g." and decimals do not end a sentence.
        if norm[end - 1] == "." and re.search(
            r"(?:\b(?:dr|mr|mrs|ms|approx|vs|e\.g|i\.e|st|no)|\b[a-z])\.$",
            norm[max(0, end - 6) : end],
        ):
            continue
        # "1." numbering a list item does not end a sentence either.
        line = _line_start(lines, end - 1)
        if end - line <= 12 and re.fullmatch(r"\s*(?:\d{1,2}|[a-z])\.", norm[line:end]):
            continue
        cuts.add(end)
    # In a note written in mixed case, a line in capitals stands alone.
    letters = [c for c in text[:20000] if c.isalpha()]
    mixed_case = sum(c.isupper() for c in letters) < 0.5 * len(letters)
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


# spaCy's default limit; an operative note is a few kilobytes.
MAX_NOTE_CHARS = 1_000_000
_SURROGATE = re.compile("[\ud800-\udfff]")


def checked_text(text: object) -> str:
    """The text of a note, or ValueError with a one-line reason: not text, empty, over the
    size limit, binary-looking, or without a word. Lone surrogates (undecodable bytes smuggled
    in by `surrogateescape`) become U+FFFD, one for one, so offsets still hold."""
    if not isinstance(text, str):
        raise ValueError(f"the note must be text (str), not {type(text).__name__}")
    if not text.strip():
        raise ValueError("the note is empty")
    if len(text) > MAX_NOTE_CHARS:
        raise ValueError(
            f"the note has {len(text):,} characters; the limit is {MAX_NOTE_CHARS:,} (is this one note?)"
        )
    head = text[:8192]
    control = sum(1 for c in head if ord(c) < 32 and c not in "\t\n\r\f")
    if "\x00" in head or control > len(head) / 10:
        raise ValueError("this looks like binary data, not a text note")
    if not any(c.isalpha() for c in text):
        raise ValueError("the note has no words in it")
    return _SURROGATE.sub("\ufffd", text)


@dataclass(frozen=True)
class Note:
    """An operative (or any clinical) note. `text` is never modified.

    Matching runs on `norm` (see `normalise`); sections, sentences and every offset a matcher
    finds are in `norm` coordinates. `text_span` maps them back to `text`, and `norm_offset`
    maps an offset of `text` (an evidence offset) into `norm`."""

    text: str
    id: str = ""

    @cached_property
    def _folded(self) -> tuple[str, array[int] | None]:
        return fold(self.text)

    @property
    def folded(self) -> str:
        """The text as a reader sees it, case kept (same coordinates as `norm`)."""
        return self._folded[0]

    @cached_property
    def norm(self) -> str:
        return _lower(self.folded)

    def text_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of `text` that the span [start, end) of `norm` was read from."""
        index = self._folded[1]
        if index is None:
            return start, end
        if end <= start:
            return index[start], index[start]
        if self._monotonic:
            return index[start], index[end - 1] + 1
        covered = index[start:end]
        return min(covered), max(covered) + 1

    def norm_offset(self, offset: int) -> int:
        """The offset in `norm` of the first character read from `text[offset:]`."""
        index = self._folded[1]
        if index is None:
            return offset
        if self._monotonic:
            return bisect_left(index, offset)
        return self._inverse[min(max(offset, 0), len(self._inverse) - 1)]

    @cached_property
    def _monotonic(self) -> bool:
        index = self._folded[1]
        return index is None or all(a <= b for a, b in pairwise(index))

    @cached_property
    def _inverse(self) -> list[int]:
        """For each offset of `text`, the first `norm` offset read from it or after it (a
        reversed right-to-left run is read out of order)."""
        index = self._folded[1]
        assert index is not None
        inverse = [-1] * (len(self.text) + 1)
        for i, p in enumerate(index):
            if inverse[p] < 0:
                inverse[p] = i
        nxt = len(index) - 1
        for p in range(len(inverse) - 1, -1, -1):
            if inverse[p] < 0:
                inverse[p] = nxt
            else:
                nxt = inverse[p]
        return inverse

    @cached_property
    def squashed(self) -> tuple[str, list[int]]:
        """`norm` with whitespace runs collapsed to one space, and the offset in `norm` of each
        character: lets a quote re-wrapped by an extractor be found in the note."""
        out: list[str] = []
        index: list[int] = []
        prev_space = False
        for i, ch in enumerate(self.norm):
            space = ch.isspace()
            if space and prev_space:
                continue
            out.append(" " if space else ch)
            index.append(i)
            prev_space = space
        return "".join(out), index

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8", "surrogatepass")).hexdigest()

    @cached_property
    def sections(self) -> list[Section]:
        return _find_sections(self.folded, self.norm)

    @cached_property
    def _segments(self) -> list[tuple[int, int, bool]]:
        return _sentence_spans(self.folded, self.norm, self.sections)

    @cached_property
    def sentences(self) -> list[tuple[int, int]]:
        return [(start, end) for start, end, _ in self._segments]

    @cached_property
    def run_on(self) -> frozenset[tuple[int, int]]:
        """Sentences cut out of text with no sentence or clause punctuation for hundreds of
        characters: their words cannot be tied to one another with confidence."""
        return frozenset((start, end) for start, end, forced in self._segments if forced)

    @cached_property
    def _section_starts(self) -> list[int]:
        return [s.start for s in self.sections]

    @cached_property
    def sentence_starts(self) -> list[int]:
        return [start for start, _ in self.sentences]

    def section_at(self, offset: int) -> Section:
        """The section holding `norm` offset `offset`."""
        i = bisect_right(self._section_starts, offset) - 1
        return self.sections[max(i, 0)]

    def section_of(self, text_offset: int) -> Section:
        """The section holding `text` offset `text_offset` (an evidence offset)."""
        return self.section_at(self.norm_offset(text_offset))

    def sentence_at(self, offset: int) -> tuple[int, int]:
        """The sentence (in `norm` coordinates) holding `norm` offset `offset`."""
        i = bisect_right(self.sentence_starts, offset) - 1
        if i >= 0:
            start, end = self.sentences[i]
            if start <= offset < end:
                return start, end
        return offset, offset
