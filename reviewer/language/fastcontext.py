"""ConText without spaCy: medspaCy 1.3's ConText algorithm, reproduced step for step over
our own normalised text and sentences, with a pure-Python copy of spaCy's blank-English
tokenizer (its affix patterns and special cases are data: spacy_en_tokenizer.json).

Why: importing spaCy and medspaCy costs about 1.5 s per process, and building a spaCy `Doc`,
setting sentence starts and comparing every modifier with every target cost more than the
assertions themselves. This engine gives the same assertion for every span as
reviewer.language.context's medspaCy engine (tests/test_fastcontext.py compares them on every
gold note, the sample and generated adversarial notes), in time linear in the note.

What is reproduced, in medspaCy's terms (context.py, context_graph.py, context_modifier.py,
common/medspacy_matcher.py and spaCy's PhraseMatcher, Matcher and Tokenizer):

- tokens: spaCy's tokenizer (whitespace runs, prefixes, suffixes, infixes, URLs, special cases
  and the final special-case pass); a single space after a token belongs to that token;
- modifiers: literal rules match lower-cased token sequences (PhraseMatcher on LOWER), pattern
  rules match token attributes (Matcher: ORTH, LOWER, TEXT); overlapping matches are pruned to
  the longest (medspaCy's `prune_overlapping_matches`, ties to the earlier match, in the order
  the matchers report them, PhraseMatcher's hash-table order included);
- scopes: the sentence of the modifier's first token in its direction, cut to `max_scope`
  tokens; a TERMINATE modifier, a modifier of the same category or of a `terminated_by`
  category ends a scope; PSEUDO and TERMINATE modifiers modify nothing; a modifier that
  overlaps a target does not modify it; overlap is medspaCy's (asymmetric) `tuple_overlaps`;
- the caller's rules (reviewer.language.context): the note is read in chunks of whole sentences
  with every sentence holding no span blanked out; only modifiers from the target's own
  sentence count; a negation word right before the target negates it; categories map to
  assertions by a fixed priority.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from reviewer.findings import Assertion
from reviewer.language.phrase_order import murmurhash64a, preshed_order
from reviewer.language.tokenizer import Tokenizer, Tokens, tokenizer
from reviewer.note import Note

# ---------------------------------------------------------------------------------------------
# Rules and matching.

_FORWARD, _BACKWARD, _BIDIRECTIONAL, _TERMINATE, _PSEUDO = (
    "FORWARD",
    "BACKWARD",
    "BIDIRECTIONAL",
    "TERMINATE",
    "PSEUDO",
)
_DIRECTIONS = (_FORWARD, _BACKWARD, _BIDIRECTIONAL, _TERMINATE, _PSEUDO)
_TOKEN_ATTRS = {"ORTH": "orth", "TEXT": "orth", "LOWER": "lower"}
_END = ""  # trie key marking the end of a phrase (no token is empty)


@dataclass(frozen=True)
class Rule:
    """One ConText rule (medspaCy's ConTextRule fields that change an assertion)."""

    index: int  # position in the rule file: medspaCy's rule id is f"{category}_{index}"
    category: str
    direction: str
    max_scope: int | None
    terminated_by: frozenset[str]


def _rule(index: int, spec: dict[str, Any]) -> Rule:
    known = {"literal", "category", "direction", "pattern", "max_scope", "terminated_by", "metadata"}
    unsupported = set(spec) - known - {"allowed_types", "excluded_types", "max_targets"}
    unsupported |= {k for k in ("allowed_types", "excluded_types", "max_targets") if spec.get(k) is not None}
    if unsupported:
        raise ValueError(f"context rule {index}: {sorted(unsupported)} not supported by fastcontext")
    direction = str(spec.get("direction", _BIDIRECTIONAL)).upper()
    if direction not in _DIRECTIONS:
        raise ValueError(f"context rule {index}: direction {direction!r} is not one of {_DIRECTIONS}")
    max_scope = spec.get("max_scope")
    if max_scope is not None and (not isinstance(max_scope, int) or max_scope <= 0):
        raise ValueError(f"context rule {index}: max_scope must be a positive integer")
    return Rule(
        index=index,
        category=str(spec["category"]).upper(),
        direction=direction,
        max_scope=max_scope,
        terminated_by=frozenset(str(c).upper() for c in spec.get("terminated_by") or ()),
    )


class Matcher:
    """The modifiers of a tokenized text: medspaCy's MedspacyMatcher (spaCy's Matcher for
    token patterns, then PhraseMatcher on LOWER for literals) and its pruning."""

    def __init__(self, specs: Sequence[dict[str, Any]], tok: Tokenizer) -> None:
        self.rules = [_rule(i, spec) for i, spec in enumerate(specs)]
        self._trie: dict[str, Any] = {}
        self._patterns: list[tuple[int, list[tuple[str, str]]]] = []
        ends: list[tuple[dict[str, Any], int]] = []
        for rule, spec in zip(self.rules, specs, strict=True):
            pattern = spec.get("pattern")
            if pattern is None:
                phrase = tok.tokenize(str(spec["literal"]).lower()).lowers
                if not phrase:
                    continue  # PhraseMatcher skips an empty pattern
                node = self._trie
                for word in phrase:
                    node = node.setdefault(word, {})
                ends.append((node, rule.index))
            elif isinstance(pattern, list):
                self._patterns.append((rule.index, [_token_spec(rule.index, p) for p in pattern]))
            else:
                raise ValueError(f"context rule {rule.index}: regular-expression patterns are not supported")
        # Token patterns indexed by their first token (spaCy's Matcher reports matches by
        # position; ties between two patterns on one span are resolved by rule order).
        first_orth: dict[str, tuple[tuple[int, list[tuple[str, str]]], ...]] = {}
        first_lower: dict[str, tuple[tuple[int, list[tuple[str, str]]], ...]] = {}
        for index, tokens in self._patterns:
            table = first_orth if tokens[0][0] == "orth" else first_lower
            table[tokens[0][1]] = (*table.get(tokens[0][1], ()), (index, tokens))
        self._first = (first_orth, first_lower)
        by_node: dict[int, tuple[dict[str, Any], list[int]]] = {}
        for node, index in ends:
            by_node.setdefault(id(node), (node, []))[1].append(index)
        for node, indexes in by_node.values():
            hashes = {self._hash(i): i for i in indexes}
            node[_END] = tuple(hashes[h] for h in preshed_order(list(hashes)))

    def _hash(self, index: int) -> int:
        return murmurhash64a(f"{self.rules[index].category}_{index}".encode(), 1)

    def __call__(self, tokens: Tokens) -> list[tuple[int, int, int]]:
        """(rule index, start token, end token) of each modifier, after pruning, in order."""
        orths, lowers = tokens.orths, tokens.lowers
        n = len(lowers)
        matches: list[tuple[int, int, int]] = []
        if self._patterns:
            first_orth, first_lower = self._first
            for i in range(n):
                for index, spec in first_orth.get(orths[i], ()) + first_lower.get(lowers[i], ()):
                    end = i + len(spec)
                    if end <= n and all(
                        (orths if attr == "orth" else lowers)[i + k] == value
                        for k, (attr, value) in enumerate(spec)
                    ):
                        matches.append((index, i, end))
        trie = self._trie
        for i in range(n):
            node = trie.get(lowers[i])
            j = i + 1
            while node is not None:
                for index in node.get(_END, ()):
                    matches.append((index, i, j))
                if j >= n:
                    break
                node = node.get(lowers[j])
                j += 1
        return prune_overlapping(matches)


def _token_spec(index: int, spec: Any) -> tuple[str, str]:
    if not isinstance(spec, dict) or len(spec) != 1:
        raise ValueError(f"context rule {index}: only one-attribute token patterns are supported")
    ((attr, value),) = spec.items()
    if attr not in _TOKEN_ATTRS or not isinstance(value, str):
        raise ValueError(f"context rule {index}: token attribute {attr!r} is not supported")
    return _TOKEN_ATTRS[attr], value


def _overlaps(a0: int, a1: int, b0: int, b1: int) -> bool:
    """medspaCy's `tuple_overlaps((a0, a1), (b0, b1))`, asymmetry included."""
    return a0 <= b0 < a1 or a0 < b1 <= a1


def prune_overlapping(matches: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """medspaCy's `prune_overlapping_matches` (strategy "longest"), as a loop."""
    while matches:
        unpruned = sorted(matches, key=lambda x: (x[1], x[2]))
        pruned: list[tuple[int, int, int]] = []
        i = 1
        current = unpruned[0]
        while True:
            if i == len(unpruned):
                pruned.append(current)
                break
            following = unpruned[i]
            i += 1
            if _overlaps(current[1], current[2], following[1], following[2]):
                longer = following if following[2] - following[1] > current[2] - current[1] else current
                pruned.append(longer)
                if i == len(unpruned):
                    break
                current = unpruned[i]
                i += 1
            else:
                pruned.append(current)
                current = following
        if len(pruned) == len(matches):
            return pruned
        matches = pruned
    return matches


# ---------------------------------------------------------------------------------------------
# Scopes: ConTextModifier and ConTextGraph.


class _Modifier:
    __slots__ = ("category", "direction", "end", "rule", "scope_end", "scope_start", "sentence", "start")

    def __init__(self, rule: Rule, start: int, end: int, sent_start: int, sent_end: int) -> None:
        self.rule = rule
        self.category = rule.category
        self.direction = rule.direction
        self.start = start
        self.end = end
        self.sentence = sent_start
        max_scope = rule.max_scope
        if self.direction == _FORWARD:
            s0, s1 = end, sent_end
            if max_scope is not None and s1 - s0 > max_scope:
                s1 = end + max_scope
        elif self.direction == _BACKWARD:
            s0, s1 = sent_start, start
            if max_scope is not None and s1 - s0 > max_scope:
                s0 = start - max_scope
        else:
            s0, s1 = sent_start, sent_end
            if max_scope is not None and start - s0 > max_scope:
                s0 = start - max_scope
            if max_scope is not None and s1 - end > max_scope:
                s1 = end + max_scope
        self.scope_start = s0
        self.scope_end = s1

    def limit_scope(self, other: _Modifier) -> None:
        """ConTextModifier.limit_scope."""
        if not _overlaps(self.scope_start, self.scope_end, other.scope_start, other.scope_end):
            return
        if self.direction == _TERMINATE:
            return
        if (
            other.direction != _TERMINATE
            and other.category not in self.rule.terminated_by
            and other.category != self.category
        ):
            return
        if self.direction in (_FORWARD, _BIDIRECTIONAL) and other.start > self.start:
            self.scope_end = min(self.scope_end, other.start)
        if self.direction in (_BACKWARD, _BIDIRECTIONAL) and other.end < self.end:
            self.scope_start = max(self.scope_start, other.end)

    def modifies(self, start: int, end: int) -> bool:
        """ConTextModifier.modifies (no type restrictions, no callbacks)."""
        if _overlaps(self.start, self.end, start, end):
            return False
        if self.direction in (_TERMINATE, _PSEUDO):
            return False
        return _overlaps(self.scope_start, self.scope_end, start, end)


def update_scopes(modifiers: list[_Modifier]) -> None:
    """ConTextGraph.update_scopes: every pair, in list order, each limiting the other. Only
    modifiers whose extents (the modifier and its scope) touch can change one another, and
    scopes only shrink inside their extent, so the pairs are taken within such groups: the
    same result, in time linear in the number of sentences."""
    if len(modifiers) < 2:
        return
    extents = sorted(
        (
            min(m.start, m.scope_start, m.scope_end),
            max(m.end, m.scope_start, m.scope_end),
            i,
        )
        for i, m in enumerate(modifiers)
    )
    group: list[int] = []
    high = extents[0][1]
    for low, hi, i in extents:
        if group and low > high:
            _pairwise([modifiers[k] for k in sorted(group)])
            group = []
            high = hi
        group.append(i)
        high = max(high, hi)
    _pairwise([modifiers[k] for k in sorted(group)])


def _pairwise(modifiers: list[_Modifier]) -> None:
    for i in range(len(modifiers) - 1):
        first = modifiers[i]
        for j in range(i + 1, len(modifiers)):
            second = modifiers[j]
            first.limit_scope(second)
            second.limit_scope(first)


# ---------------------------------------------------------------------------------------------
# The engine: reviewer.language.context's `_Engine.assert_spans`, without spaCy.

_PRIORITY = (
    ("NEGATED_EXISTENCE", Assertion.absent),
    ("FAMILY", Assertion.other_person),
    ("HYPOTHETICAL", Assertion.hypothetical),
    ("HISTORICAL", Assertion.historical),
    ("POSSIBLE_EXISTENCE", Assertion.possible),
)
_NEGATION_WORDS = frozenset({"not", "no", "never", "without", "nor"})
_CHUNK_CHARS = 1_000

ClauseOf = Callable[[Note, int], tuple[int, int]]


class FastContext:
    """ConText over a `Note` with our rules: `assert_spans(note, spans)` gives each (start,
    end) span of `note.norm` its assertion, as the medspaCy engine does."""

    def __init__(self, rules: dict[str, Any] | None = None, clause_of: ClauseOf | None = None) -> None:
        """`clause_of(note, offset)`, when given, is the clause (offsets in `norm`) of the span
        starting at `offset`: only modifiers starting inside it count (the caller's rule)."""
        self.clause_of = clause_of
        if rules is None:
            rules = json.loads(
                resources.files("reviewer.data").joinpath("context_rules.json").read_text("utf-8")
            )
        self.version = str(rules["version"])
        self.tokenizer = tokenizer()
        self.matcher = Matcher(rules["context_rules"], self.tokenizer)

    def assert_spans(self, note: Note, spans: Sequence[tuple[int, int]]) -> list[Assertion]:
        return by_chunks(note, spans, self._assert_chunk)

    def _assert_chunk(
        self,
        note: Note,
        masked: str,
        c_start: int,
        c_end: int,
        spans: Sequence[tuple[int, int]],
        members: list[int],
        result: list[Assertion],
    ) -> None:
        tokens = self.tokenizer.tokenize(masked[c_start:c_end])
        n = len(tokens.starts)
        if n == 0:
            return
        token_starts = tokens.starts
        # Sentence starts: the token holding each sentence's first character, and token 0.
        note_starts = note.sentence_starts
        lo, hi = bisect_left(note_starts, c_start), bisect_left(note_starts, c_end)
        firsts = sorted(
            {0} | {max(0, bisect_right(token_starts, s - c_start) - 1) for s in note_starts[lo:hi]}
        )
        bounds = [*firsts, n]

        def sentence_of(token: int) -> tuple[int, int]:
            k = bisect_right(firsts, token) - 1
            return bounds[k], bounds[k + 1]

        rules = self.matcher.rules
        modifiers = [
            _Modifier(rules[index], start, end, *sentence_of(start))
            for index, start, end in self.matcher(tokens)
        ]
        update_scopes(modifiers)
        by_sentence: dict[int, list[_Modifier]] = {}
        for m in modifiers:
            by_sentence.setdefault(m.sentence, []).append(m)

        length = c_end - c_start
        lowers = tokens.lowers
        for i in members:
            start, end = spans[i]
            span = _char_span(tokens, length, start - c_start, min(end, c_end) - c_start)
            if span is None:
                continue
            t_start, t_end = span
            sentence = sentence_of(min(t_start, n - 1))[0]
            mods = by_sentence.get(sentence, ())
            if self.clause_of is not None:
                c_lo, c_hi = self.clause_of(note, start)
                mods = [m for m in mods if c_lo <= token_starts[m.start] + c_start < c_hi]
            categories = {m.category for m in mods if m.modifies(t_start, t_end)}
            if any(lowers[t] in _NEGATION_WORDS for t in range(max(sentence, t_start - 2), t_start)):
                categories.add("NEGATED_EXISTENCE")
            for category, assertion in _PRIORITY:
                if category in categories:
                    result[i] = assertion
                    break


def _char_span(tokens: Tokens, length: int, start_idx: int, end_idx: int) -> tuple[int, int] | None:
    """spaCy's `Doc.char_span(start_idx, end_idx, alignment_mode="expand")` as token indexes.
    Tokens tile the text (a token's trailing space is its own), so the token holding a
    character is the last one starting at or before it."""
    starts = tokens.starts
    if not 0 <= start_idx < length or not 0 <= end_idx - 1 < length:
        return None
    start = bisect_right(starts, start_idx) - 1
    end = bisect_right(starts, end_idx - 1) - 1
    if start < 0 or end < 0:
        return None
    if start_idx == starts[start] + len(tokens.orths[start]):
        start += 1  # on the token's trailing space: not part of that token
    return start, end + 1


def only_sentences_with(note: Note, spans: Sequence[tuple[int, int]]) -> str:
    """The normalised note with every sentence that holds no span start blanked out (same
    length, so offsets hold): scopes never leave a sentence, and the rest is only cost."""
    keep = sorted({note.sentence_at(start) for start, _ in spans})
    parts: list[str] = []
    pos = 0
    for start, end in keep:
        if start < pos:
            continue
        parts.append(" " * (start - pos))
        parts.append(note.norm[start:end])
        pos = end
    parts.append(" " * (len(note.norm) - pos))
    return "".join(parts)


# (note, masked text, chunk start, chunk end, spans, indexes of the spans in the chunk, result)
ChunkReader = Callable[[Note, str, int, int, Sequence[tuple[int, int]], list[int], list[Assertion]], None]


def by_chunks(note: Note, spans: Sequence[tuple[int, int]], read: ChunkReader) -> list[Assertion]:
    """Assertions of the spans, `read` chunk by chunk over the note with every sentence that
    holds no span blanked out (the medspaCy reference engine reads the same chunks)."""
    result = [Assertion.present] * len(spans)
    if not spans:
        return result
    masked = only_sentences_with(note, spans)
    by_start = sorted(range(len(spans)), key=lambda i: spans[i][0])
    starts = [spans[i][0] for i in by_start]
    for c_start, c_end in chunks(note):
        members = by_start[bisect_left(starts, c_start) : bisect_left(starts, c_end)]
        if members:
            read(note, masked, c_start, c_end, spans, members, result)
    return result


def chunks(note: Note) -> Iterator[tuple[int, int]]:
    """Consecutive sentences grouped into pieces of about 1,000 characters, cut between
    sentences (the medspaCy engine reads one spaCy document per piece; tokens at a cut are
    cut the same way here)."""
    if len(note.norm) <= _CHUNK_CHARS:
        yield 0, len(note.norm)
        return
    start = 0
    for s_start, s_end in note.sentences:
        if s_end - start > _CHUNK_CHARS and s_start > start:
            yield start, s_start
            start = s_start
    yield start, len(note.norm)


@lru_cache(maxsize=1)
def engine() -> FastContext:
    return FastContext()


def assert_spans(note: Note, spans: Sequence[tuple[int, int]]) -> list[Assertion]:
    """Assertion of each (start, end) span of `note.norm` (before any section override)."""
    return engine().assert_spans(note, spans)
