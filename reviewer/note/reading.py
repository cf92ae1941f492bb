"""Reading a note as a reader sees it: NFKC compatibility forms, accents and invisible format
characters off, look-alike letters of other scripts folded to Latin, right-to-left overrides in
display order, lower case. Every matcher reads this; offsets map back to the original text."""

from __future__ import annotations

import json
import re
import unicodedata
from array import array
from functools import lru_cache
from importlib import resources
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
    if _RLO in text:
        return _fold_reordered(text, _display_order(text))
    # ASCII runs are copied whole (translated one for one); only the other characters are
    # folded one at a time, so a long note with a few of them costs about an ASCII one.
    parts: list[str] = []
    index: array[int] = array("q")
    identity = True
    pos = 0
    for m in _NON_ASCII.finditer(text):
        if m.start() > pos:
            parts.append(text[pos : m.start()].translate(_FOLD))
            index.extend(range(pos, m.start()))
        for i in range(m.start(), m.end()):
            f = _fold_char(text[i])
            identity = identity and len(f) == 1
            parts.append(f)
            index.extend([i] * len(f))
        pos = m.end()
    parts.append(text[pos:].translate(_FOLD))
    index.extend(range(pos, len(text)))
    folded = "".join(parts)
    if identity:
        return folded, None
    index.append(len(text))
    return folded, index


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _fold_reordered(text: str, order: list[int]) -> tuple[str, array[int] | None]:
    """`fold` for text holding a right-to-left override: character by character, in the order
    a reader sees them."""
    parts: list[str] = []
    index: array[int] = array("q")
    for i in order:
        c = text[i]
        f = _fold_char(c) if ord(c) > 127 else c.translate(_FOLD)
        parts.append(f)
        index.extend([i] * len(f))
    index.append(len(text))
    return "".join(parts), index


def _lower(text: str) -> str:
    """Lower case without changing the length ('İ' lower-cases to two characters: kept)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def normalise(text: str) -> str:
    """The text folded (see `fold`) and lower-cased: what every matcher reads."""
    return _lower(fold(text)[0])
