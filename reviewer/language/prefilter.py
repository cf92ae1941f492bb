"""A literal prefilter for regular expressions: for a pattern, a set of strings one of which
every match contains ("fourn" or "fg" for the Fournier pattern). A text that holds none of them
cannot match, and the pattern need not run over it. Most lexicon and cue patterns find nothing
in a given note, so checking a few hundred short strings with `in` replaces most regex scans.

The strings are read off the parsed pattern (`re._parser`): runs of literal characters that
every match must pass through, through groups, alternations (one string per branch) and
repeats of at least one. Anything else (classes, optional parts, lookarounds, backreferences)
only ends a run, so the answer errs on the safe side: a pattern whose matches need no literal,
or that ignores case, has no prefilter and always runs. Whitespace never enters a string, so
a text changed only by blanking characters to spaces holds no string it did not hold before.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

# The parser behind `re` (Python 3.11+), untyped in typeshed.
_c: Any = importlib.import_module("re._constants")
_sre: Any = importlib.import_module("re._parser")

Anchors = frozenset[str]


def required(pattern: re.Pattern[str]) -> Anchors | None:
    """Strings one of which every match of `pattern` contains, or None when there are none
    to be had (the pattern must always run)."""
    if pattern.flags & re.IGNORECASE:
        return None
    return _sequence(_sre.parse(pattern.pattern, pattern.flags))


def _best(candidates: Iterable[Anchors]) -> Anchors | None:
    """The most selective candidate: the longest shortest string, then the fewest strings."""
    best: Anchors | None = None
    for c in candidates:
        if c and (best is None or (min(map(len, c)), -len(c)) > (min(map(len, best)), -len(best))):
            best = c
    return best


def _sequence(items: Any) -> Anchors | None:
    candidates: list[Anchors] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            candidates.append(frozenset(["".join(run)]))
            run.clear()

    for op, av in items:
        if op is _c.LITERAL and not chr(av).isspace():
            run.append(chr(av))
            continue
        flush()
        found: Anchors | None = None
        if op is _c.SUBPATTERN:
            _group, add_flags, _del_flags, sub = av
            if not add_flags & _c.SRE_FLAG_IGNORECASE:
                found = _sequence(sub)
        elif op is _c.ATOMIC_GROUP:
            found = _sequence(av)
        elif op is _c.BRANCH:
            alternatives = [_sequence(sub) for sub in av[1]]
            if all(a is not None for a in alternatives):
                found = frozenset().union(*(a for a in alternatives if a is not None))
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT) and av[0] >= 1:
            found = _sequence(av[2])
        if found:
            candidates.append(found)
    flush()
    return _best(candidates)


_SCAN_AFTER = 8


class Prefilter:
    """`may_match(text)`: for each pattern, whether it can match `text` at all."""

    def __init__(self, patterns: Sequence[re.Pattern[str]]) -> None:
        self.anchors = [required(p) for p in patterns]
        self._strings = sorted({s for a in self.anchors if a for s in a})
        self._scan: tuple[list[str], re.Pattern[str] | None, dict[str, list[str]]] | None = None
        self._uses = 0

    def present(self, text: str) -> set[str]:
        """The strings (of all the patterns' required ones) that occur in `text`."""
        self._uses += 1
        if self._uses < _SCAN_AFTER:  # building the scanner costs about ten milliseconds
            return {s for s in self._strings if s in text}
        if self._scan is None:
            self._scan = self._scanner()
        short, scan, prefixes = self._scan
        found = {s for s in short if s in text}
        if scan is not None:
            search = scan.search
            m = search(text)
            while m is not None:
                found.update(prefixes[m.group()])
                m = search(text, m.start() + 1)
        return found

    def _scanner(self) -> tuple[list[str], re.Pattern[str] | None, dict[str, list[str]]]:
        """One scan finds, at each position, the longest string starting there; the shorter
        ones starting there are its prefixes, so each found string stands for its prefixes."""
        from reviewer.language.fastregex import accelerate

        short = [s for s in self._strings if len(s) == 1]
        longest_first = sorted((s for s in self._strings if len(s) > 1), key=lambda s: (-len(s), s))
        scan = accelerate(re.compile("|".join(map(re.escape, longest_first)))) if longest_first else None
        return short, scan, {s: [p for p in longest_first if s.startswith(p)] for s in longest_first}

    def may_match(self, text: str) -> list[bool]:
        present = self.present(text)
        return [a is None or not a.isdisjoint(present) for a in self.anchors]


_prefilters: dict[int, tuple[Sequence[Any], Prefilter]] = {}


def prefilter(owner: Sequence[Any], patterns: Sequence[re.Pattern[str]]) -> Prefilter:
    """The prefilter of `patterns`, kept with `owner` (an immutable sequence they come from):
    looked up by identity, as hashing compiled patterns hashes their whole program."""
    entry = _prefilters.get(id(owner))
    if entry is None or entry[0] is not owner:
        entry = _prefilters[id(owner)] = (owner, Prefilter(patterns))
    return entry[1]


@lru_cache(maxsize=256)
def _anchors(pattern: re.Pattern[str]) -> Anchors | None:
    return required(pattern)


def may_match(pattern: re.Pattern[str], text: str) -> bool:
    """Whether `pattern` can match `text` at all (False only when it certainly cannot)."""
    anchors = _anchors(pattern)
    return anchors is None or any(s in text for s in anchors)
