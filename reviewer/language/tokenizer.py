"""spaCy's blank-English tokenizer (`Tokenizer.__call__`, spacy/tokenizer.pyx 3.7) in Python:
whitespace runs, prefixes, suffixes, infixes, URLs and special cases, with the patterns and
special cases as data (spacy_en_tokenizer.json, exported from the installed spaCy by
tests/spacy_export.py; a test fails when they drift). A single space after a token belongs to
that token. Used by the spaCy-free ConText (fastcontext.py)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

_PIECES = re.compile(r"\S+|\s+")  # \s is str.isspace(), as in spaCy's whitespace split
_CACHE_LIMIT = 100_000


@dataclass(frozen=True)
class Tokens:
    """A tokenized text: each token's start offset, text (spaCy's ORTH) and lower-case form."""

    starts: list[int]
    orths: list[str]
    lowers: list[str]


class Tokenizer:
    """spaCy's blank-English tokenizer. `tokenize(text)` gives the tokens `spacy.blank("en")`
    gives for `text`, with their offsets."""

    def __init__(self, data: dict[str, Any]) -> None:
        def compiled(key: str) -> re.Pattern[str] | None:
            spec = data.get(key)
            return re.compile(spec["pattern"], spec["flags"]) if spec else None

        prefix, suffix, infix, url = (compiled(k) for k in ("prefix", "suffix", "infix", "url"))
        self._prefix = prefix.search if prefix else None
        self._suffix = suffix.search if suffix else None
        self._infix = infix.finditer if infix else None
        self._url = url.match if url else None
        self._specials: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in data["specials"].items()}
        # The final pass (`_apply_special_cases`): token runs spelling a special case's
        # affix-only tokenization, indexed by their first token.
        self._runs: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for string, pieces in data["matched_specials"].items():
            self._runs.setdefault(pieces[0], []).append((tuple(pieces), string))
        self._run_starts = frozenset(self._runs)
        self._cache: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[int, ...]]] = {}

    def tokenize(self, text: str) -> Tokens:
        starts: list[int] = []
        orths: list[str] = []
        lowers: list[str] = []
        cache = self._cache
        next_at = 0
        for piece in _PIECES.findall(text):  # the pieces tile the text
            at = next_at
            next_at += len(piece)
            if at and piece[0] == " ":  # one space right after a token is that token's
                if len(piece) == 1:
                    continue
                piece = piece[1:]
                at += 1
            cached = cache.get(piece) or self._piece(piece)
            offsets = cached[2]
            if len(offsets) == 1:
                starts.append(at)
            else:
                starts.extend([at + d for d in offsets])
            orths.extend(cached[0])
            lowers.extend(cached[1])
        if not self._run_starts.isdisjoint(orths):
            self._apply_special_runs(text, starts, orths, lowers)
        return Tokens(starts, orths, lowers)

    def _piece(self, piece: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[int, ...]]:
        """The tokens of one whitespace-free piece (or whitespace run): texts, lower-case
        forms and offsets in the piece; remembered."""
        split = self._specials.get(piece) or self._split(piece)
        offsets = []
        at = 0
        for orth in split:
            offsets.append(at)
            at += len(orth)
        cached = (split, tuple(s.lower() for s in split), tuple(offsets))
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[piece] = cached
        return cached

    def _prefix_len(self, string: str) -> int:
        m = self._prefix(string) if self._prefix else None
        return m.end() - m.start() if m else 0

    def _suffix_len(self, string: str) -> int:
        m = self._suffix(string) if self._suffix else None
        return m.end() - m.start() if m else 0

    def _split(self, string: str) -> tuple[str, ...]:
        """`_split_affixes` then `_attach_tokens`, for one whitespace-free (or all-space) piece."""
        specials = self._specials
        prefixes: list[str] = []
        suffixes: list[str] = []
        last_size = 0
        while string and len(string) != last_size:
            if string in specials:
                break
            last_size = len(string)
            pre_len = self._prefix_len(string)
            prefix = minus_pre = ""
            if pre_len:
                prefix, minus_pre = string[:pre_len], string[pre_len:]
                if minus_pre and minus_pre in specials:
                    string = minus_pre
                    prefixes.append(prefix)
                    break
            suf_len = self._suffix_len(string[pre_len:])
            suffix = minus_suf = ""
            if suf_len:
                suffix, minus_suf = string[-suf_len:], string[:-suf_len]
                if minus_suf and minus_suf in specials:
                    string = minus_suf
                    suffixes.append(suffix)
                    break
            if pre_len and suf_len and (pre_len + suf_len) <= len(string):
                string = string[pre_len:-suf_len]
                prefixes.append(prefix)
                suffixes.append(suffix)
            elif pre_len:
                string = minus_pre
                prefixes.append(prefix)
            elif suf_len:
                string = minus_suf
                suffixes.append(suffix)
        out = prefixes
        if string:
            if string in specials:
                out.extend(specials[string])
            elif string in self._cache:
                out.extend(self._cache[string][0])
            elif self._url and self._url(string):
                out.append(string)
            else:
                out.extend(self._infixed(string))
        out.extend(reversed(suffixes))
        return tuple(out)

    def _infixed(self, string: str) -> list[str]:
        matches = list(self._infix(string)) if self._infix else []
        if not matches:
            return [string]
        out: list[str] = []
        start = 0
        for m in matches:
            infix_start, infix_end = m.start(), m.end()
            if infix_start == 0:
                continue
            if infix_start != start:
                out.append(string[start:infix_start])
            if infix_start != infix_end:
                out.append(string[infix_start:infix_end])
            start = infix_end
        if string[start:]:
            out.append(string[start:])
        return out

    def _apply_special_runs(self, text: str, starts: list[int], orths: list[str], lowers: list[str]) -> None:
        """spaCy's last pass: a run of tokens that spells a special case affix by affix, and
        whose text is that special case, becomes the special case's tokens."""
        n = len(orths)
        found: list[tuple[int, int]] = []
        for i, orth in enumerate(orths):
            for pieces, _ in self._runs.get(orth, ()):
                end = i + len(pieces)
                if end <= n and tuple(orths[i:end]) == pieces:
                    found.append((i, end))
        # `_filter_special_spans`: longest first (then leftmost), skipping a run whose first or
        # last token is already taken; every token of a run is taken, kept or not.
        found.sort(key=lambda s: (-(s[1] - s[0]), s[0]))
        seen: set[int] = set()
        kept: list[tuple[int, int]] = []
        for start, end in found:
            if start not in seen and end - 1 not in seen:
                kept.append((start, end))
            seen.update(range(start, end))
        kept.sort()
        for start, end in reversed(kept):
            first = starts[start]
            string = text[first : starts[end - 1] + len(orths[end - 1])]
            special = self._specials.get(string)
            if special is None or special == tuple(orths[start:end]):
                continue
            offsets = []
            at = first
            for piece in special:
                offsets.append(at)
                at += len(piece)
            starts[start:end] = offsets
            orths[start:end] = special
            lowers[start:end] = [p.lower() for p in special]


@lru_cache(maxsize=1)
def tokenizer() -> Tokenizer:
    raw = resources.files("reviewer.language").joinpath("spacy_en_tokenizer.json").read_text("utf-8")
    return Tokenizer(json.loads(raw))
