"""Regular expressions rewritten so that Python's `re` can skip ahead, with the same matches.

Our lexicon and cue patterns start with a look-behind, `(?<![a-z0-9])(?:a...|b...|...)`: `re`
then tries the whole alternation at every position of a note. When every alternative starts with
a literal character, `re` instead jumps between the positions holding one of those characters
(its "charset prefix"), several times faster. `accelerate(pattern)` gives an equivalent pattern
of that shape, built on the parsed pattern by rewrites that keep `re`'s backtracking order, so
every match (start, end, which alternative) is the same:

- a look-behind before a character moves after it: `(?<!S)c` == `c(?<!Sc)`; likewise a word
  boundary before a word character, `\\bc` == `c(?<!\\wc)` (and before a non-word character,
  `c(?<=\\wc)`);
- an alternation before the rest distributes over it, in order: `(?:A|B)R` == `(?:AR|BR)`;
- an optional or repeated part opens two ways, in `re`'s order: `X?R` == `(?:XR|R)`,
  `X??R` == `(?:R|XR)`, `X{m,n}R` == `XX{m-1,n-1}R`, `X*R` == `(?:XX*R|R)`;
- a small character class opens one way per character: `[sz]R` == `(?:sR|zR)`.

A pattern with groups, flags, or a start these rules do not reach (`\\d`, `.`, a look-ahead) is
returned unchanged. tests/test_fastregex.py compares matches on every note and on generated text.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

_c: Any = importlib.import_module("re._constants")
_sre: Any = importlib.import_module("re._parser")
_compiler: Any = importlib.import_module("re._compiler")

_MAX_ALTERNATIVES = 4000
_MAX_CLASS = 64

Seq = list[tuple[Any, Any]]


class _Unsupported(Exception):
    pass


@lru_cache(maxsize=512)
def accelerate(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """An equivalent pattern whose every alternative starts with a literal character, or
    `pattern` itself when that cannot be had."""
    if not isinstance(pattern.pattern, str) or pattern.flags & ~re.UNICODE or pattern.groups:
        return pattern
    try:
        parsed = _sre.parse(pattern.pattern, pattern.flags)
        state = parsed.state
        alternatives = _expand(list(parsed.data), state)
        # At one position only the alternatives starting with its character can match: grouping
        # them by that character (in their order) changes no match, and lets their shared
        # beginning (the character and its look-behind) be tried once.
        by_first: dict[int, list[Seq]] = {}
        for alt in alternatives:
            by_first.setdefault(alt[0][1], []).append(alt)
        items = [alts[0] if len(alts) == 1 else _shared(state, alts) for alts in by_first.values()]
        top: Seq = [(_c.BRANCH, (None, [_sre.SubPattern(state, a) for a in items]))]
        fast: re.Pattern[str] = _compiler.compile(_sre.SubPattern(state, top), pattern.flags)
    except (_Unsupported, re.error, RecursionError):
        return pattern
    return fast


def _chars(items: Any) -> list[int]:
    """The characters of a small, positive character class."""
    out: list[int] = []
    for op, av in items:
        if op is _c.LITERAL:
            out.append(av)
        elif op is _c.RANGE and av[1] - av[0] < _MAX_CLASS:
            out.extend(range(av[0], av[1] + 1))
        else:
            raise _Unsupported  # NEGATE, a category (\d, \w), a wide range
    if len(out) > _MAX_CLASS:
        raise _Unsupported
    return list(dict.fromkeys(out))


def _sub(state: Any, seq: Seq) -> Any:
    return _sre.SubPattern(state, list(seq))


def _expand(seq: Seq, state: Any, depth: int = 0) -> list[Seq]:
    """Alternatives, in `re`'s order, each starting with a LITERAL, that together match as
    `seq` does."""
    if depth > 60:
        raise _Unsupported
    if not seq:
        raise _Unsupported  # the empty match: no first character to skip to
    (op, av), rest = seq[0], seq[1:]
    if op is _c.LITERAL:
        return [seq]
    if op is _c.IN:
        return [[(_c.LITERAL, ch), *rest] for ch in _chars(av)]
    if op is _c.BRANCH:
        return _limited([a for item in av[1] for a in _expand([*item.data, *rest], state, depth + 1)])
    if op is _c.SUBPATTERN:
        group, add_flags, del_flags, sub = av
        if group is not None or add_flags or del_flags:
            raise _Unsupported
        return _expand([*sub.data, *rest], state, depth + 1)
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
        low, high, item = av
        if item.getwidth()[0] == 0:
            raise _Unsupported  # a repeat that can match empty loops differently
        once = list(item.data)
        if low >= 1:
            more = [] if high == 1 else [(op, (low - 1, high if high == _c.MAXREPEAT else high - 1, item))]
            return _expand([*once, *more, *rest], state, depth + 1)
        more = [] if high == 1 else [(op, (0, high if high == _c.MAXREPEAT else high - 1, item))]
        taken = _expand([*once, *more, *rest], state, depth + 1)
        skipped = _expand(list(rest), state, depth + 1)
        return _limited(taken + skipped if op is _c.MAX_REPEAT else skipped + taken)
    if op in (_c.ASSERT, _c.ASSERT_NOT) and av[0] == -1:
        # a look-behind before the first character: after it, looking one character further back
        _direction, behind = av
        out = []
        for alt in _expand(list(rest), state, depth + 1):
            first = alt[0]
            out.append([first, (op, (-1, _sub(state, [*behind.data, first]))), *alt[1:]])
        return out
    if op is _c.AT and av in (_c.AT_BOUNDARY, _c.AT_NON_BOUNDARY):
        # \b (\B) before a character: whether the character before is a word character
        word = _sub(state, [(_c.IN, [(_c.CATEGORY, _c.CATEGORY_WORD)])])
        out = []
        for alt in _expand(list(rest), state, depth + 1):
            first = alt[0]
            is_word = chr(first[1]).isalnum() or chr(first[1]) == "_"
            if is_word == (av is _c.AT_BOUNDARY):
                check = (_c.ASSERT_NOT, (-1, _sub(state, [*word.data, first])))
            else:
                check = (_c.ASSERT, (-1, _sub(state, [*word.data, first])))
            out.append([first, check, *alt[1:]])
        return out
    raise _Unsupported


def _key(x: Any) -> Any:
    """A comparable form of a parsed item."""
    if isinstance(x, _sre.SubPattern):
        return ("sub", tuple(_key(i) for i in x.data))
    if isinstance(x, list | tuple):
        return tuple(_key(i) for i in x)
    return (type(x).__name__, int(x)) if isinstance(x, int) else x


def _factor(state: Any, alts: list[Seq]) -> list[Seq]:
    """Consecutive alternatives with the same first item share it: `(?:PA|PB)` == `P(?:A|B)`."""
    out: list[Seq] = []
    i = 0
    while i < len(alts):
        j = i + 1
        if alts[i]:
            first = _key(alts[i][0])
            while j < len(alts) and alts[j] and _key(alts[j][0]) == first:
                j += 1
        out.append(alts[i] if j == i + 1 else _shared(state, alts[i:j]))
        i = j
    return out


def _shared(state: Any, alts: list[Seq]) -> Seq:
    """Alternatives with the same first item, as that item then the alternation of the rests."""
    rests = _factor(state, [a[1:] for a in alts])
    if len(rests) == 1:
        return [alts[0][0], *rests[0]]
    return [alts[0][0], (_c.BRANCH, (None, [_sre.SubPattern(state, r) for r in rests]))]


def _limited(alternatives: list[Seq]) -> list[Seq]:
    if len(alternatives) > _MAX_ALTERNATIVES:
        raise _Unsupported
    return alternatives


# Accelerating costs a parse and a compile (about half a millisecond a pattern): a pattern is
# accelerated once it has read enough text for that to pay, so a one-note process pays nothing.
_WORTH_IT = 20_000
# By id: hashing a compiled pattern hashes its whole program, on every lookup.
_seen: dict[int, tuple[re.Pattern[str], list[int], list[re.Pattern[str]]]] = {}


def finditer(
    pattern: re.Pattern[str], text: str, pos: int = 0, endpos: int | None = None
) -> Iterator[re.Match[str]]:
    """`pattern.finditer(text, pos, endpos)`, through the accelerated pattern once that pays."""
    end = len(text) if endpos is None else endpos
    entry = _seen.get(id(pattern))
    if entry is None or entry[0] is not pattern:
        entry = _seen[id(pattern)] = (pattern, [0], [])
    _, read, fast = entry
    if fast:
        return fast[0].finditer(text, pos, end)
    read[0] += max(0, end - pos)
    if read[0] >= _WORTH_IT:
        fast.append(accelerate(pattern))
    return pattern.finditer(text, pos, end)
