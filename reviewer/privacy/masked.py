"""A masked note and its span map: every identifier replaced by a typed placeholder ([NAME],
[DATE], ...), with the offsets needed to carry a quote of the masked text back to the original."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from functools import cached_property

PLACEHOLDER = re.compile(r"\[[A-Z]+\]")


@dataclass(frozen=True)
class MaskedSpan:
    """One identifier: original[start:end] became masked[masked_start:masked_end] == "[KIND]"."""

    start: int
    end: int
    masked_start: int
    masked_end: int
    kind: str


@dataclass(frozen=True)
class MaskedText:
    original: str
    text: str  # what may leave the process
    spans: tuple[MaskedSpan, ...]

    @classmethod
    def build(cls, original: str, found: list[tuple[int, int, str]]) -> MaskedText:
        """Replace each (start, end, kind) of `found` (sorted, not overlapping) by "[KIND]"."""
        parts: list[str] = []
        spans: list[MaskedSpan] = []
        cursor = 0
        length = 0
        for start, end, kind in found:
            parts.append(original[cursor:start])
            length += start - cursor
            placeholder = f"[{kind}]"
            spans.append(MaskedSpan(start, end, length, length + len(placeholder), kind))
            parts.append(placeholder)
            length += len(placeholder)
            cursor = end
        parts.append(original[cursor:])
        return cls(original=original, text="".join(parts), spans=tuple(spans))

    @cached_property
    def _masked_starts(self) -> list[int]:
        return [s.masked_start for s in self.spans]

    def counts(self) -> dict[str, int]:
        """How many identifiers of each kind were masked (never the identifiers themselves)."""
        return dict(sorted(Counter(s.kind for s in self.spans).items()))

    def original_start(self, masked: int) -> int:
        """Original offset of a quote starting at `masked`; inside a placeholder: its identifier's start."""
        i = bisect_right(self._masked_starts, masked) - 1
        if i < 0:
            return masked
        span = self.spans[i]
        if masked < span.masked_end:
            return span.start
        return masked - span.masked_end + span.end

    def original_end(self, masked: int) -> int:
        """Original offset of a quote ending (exclusive) at `masked`; inside a placeholder: its identifier's end."""
        i = bisect_right(self._masked_starts, masked - 1) - 1
        if i < 0:
            return masked
        span = self.spans[i]
        if masked <= span.masked_end:
            return span.end
        return masked - span.masked_end + span.end

    def locate(self, quote: str, *, relaxed: bool = False) -> tuple[int, int] | None:
        """Where a quote of the masked text sits in the original: as written, or (`relaxed`)
        ignoring case and runs of whitespace. None when the masked text does not hold it."""
        quote = quote.strip()
        if not quote:
            return None
        at = self.text.find(quote)
        if at >= 0:
            end = at + len(quote)
        elif not relaxed:
            return None
        else:
            words = quote.split()
            pattern = re.compile(r"\s+".join(re.escape(w) for w in words), re.IGNORECASE)
            found = pattern.search(self.text)
            if found is None:
                return None
            at, end = found.span()
        return self.original_start(at), self.original_end(end)
