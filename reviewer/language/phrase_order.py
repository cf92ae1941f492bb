"""The order spaCy's PhraseMatcher reports rules that end at one trie node: by a preshed hash map
of the rules' string hashes (MurmurHash64A, as spaCy's StringStore). medspaCy keeps one of two
duplicate rules by that order, so the spaCy-free ConText (fastcontext.py) reproduces it."""

from __future__ import annotations

from collections.abc import Sequence


def murmurhash64a(data: bytes, seed: int) -> int:
    """MurmurHash64A, as spaCy's StringStore hashes strings (seed 1)."""
    m, r, mask = 0xC6A4A7935BD1E995, 47, 0xFFFFFFFFFFFFFFFF
    h = (seed ^ (len(data) * m)) & mask
    blocks = len(data) // 8
    for i in range(blocks):
        k = int.from_bytes(data[8 * i : 8 * i + 8], "little")
        k = (k * m) & mask
        k ^= k >> r
        k = (k * m) & mask
        h ^= k
        h = (h * m) & mask
    tail = data[blocks * 8 :]
    if tail:
        for i in range(len(tail) - 1, -1, -1):
            h ^= tail[i] << (8 * i)
        h = (h * m) & mask
    h ^= h >> r
    h = (h * m) & mask
    h ^= h >> r
    return h


def preshed_order(keys: Sequence[int]) -> list[int]:
    """The order a preshed map (open addressing, linear probing, initial size 8, doubled when
    (filled + 1) * 5 >= size * 3) iterates keys inserted in this order: PhraseMatcher reports
    the rules ending at one trie node in this order."""
    cells: list[int | None] = [None] * 8

    def insert(table: list[int | None], key: int) -> bool:
        i = key & (len(table) - 1)
        while table[i] is not None and table[i] != key:
            i = (i + 1) & (len(table) - 1)
        new = table[i] is None
        table[i] = key
        return new

    filled = 0
    for key in keys:
        if key in (0, 1):
            continue  # the empty and deleted keys live apart, after the cells
        filled += insert(cells, key)
        if (filled + 1) * 5 >= len(cells) * 3:
            old = [c for c in cells if c is not None]
            cells = [None] * (len(cells) * 2)
            for k in old:
                insert(cells, k)
    return [c for c in cells if c is not None] + sorted({k for k in keys if k in (0, 1)})
