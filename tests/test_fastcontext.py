"""fastcontext (reviewer/language/fastcontext.py) gives every span the assertion medspaCy's
ConText engine (reviewer.language.context.medspacy_engine) gives it, without importing spaCy.

Compared on every gold note and the sample, on generated adversarial notes (tests/adversarial.py)
and on every ConText rule in company of the others; spaCy's tokenizer is compared on the same
notes and on generated text; and every gold case's review JSON must be byte-identical with the
medspaCy engine swapped in."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from bisect import bisect_left, bisect_right
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from reviewer.evaluate.cases import load_cases
from reviewer.extract import get_extractor
from reviewer.findings import Assertion
from reviewer.language import context, fastcontext, phrase_order, tokenizer
from reviewer.language.lexicon import load_lexicon
from reviewer.note import Note
from reviewer.pipeline import review_with
from tests import spacy_export
from tests.adversarial import Insertion, insert, insertions

ROOT = Path(__file__).resolve().parents[1]
CASES = load_cases(ROOT / "eval" / "gold")
SAMPLE = (ROOT / "eval" / "samples" / "seed-fournier.txt").read_text("utf-8")
NOTES = [c.note for c in CASES] + [SAMPLE]
RULES: list[dict[str, Any]] = json.loads(
    resources.files("reviewer.data").joinpath("context_rules.json").read_text("utf-8")
)["context_rules"]


@cache
def nlp() -> Any:
    import spacy

    return spacy.blank("en")


def spacy_tokens(text: str) -> list[tuple[int, str]]:
    return [(t.idx, t.text) for t in nlp().make_doc(text)]


def fast_tokens(text: str) -> list[tuple[int, str]]:
    tokens = tokenizer.tokenizer().tokenize(text)
    return list(zip(tokens.starts, tokens.orths, strict=True))


def targets(note: Note) -> list[tuple[int, int]]:
    """The spans the rules extractor asserts (reviewer/extract/rules.py `_assertions`)."""
    lex = load_lexicon()
    return [(t.start, t.end) for t in lex.find(note.norm)] + [
        (m.start(), m.end()) for m in lex.removal_verbs.finditer(note.norm)
    ]


def differences(
    note: Note, spans: list[tuple[int, int]], slow: Any = None, fast: Any = None
) -> list[tuple[tuple[int, int], Assertion, Assertion]]:
    """Spans on which the engine in use and the medspaCy engine disagree."""
    a = (slow or context.medspacy_engine()).assert_spans(note, spans)
    b = (fast or context.engine()).assert_spans(note, spans)
    return [(s, x, y) for s, x, y in zip(spans, a, b, strict=True) if x != y]


# --- tokenizer -------------------------------------------------------------------------------


def test_exported_tokenizer_data_is_the_installed_spacys() -> None:
    committed = resources.files("reviewer.language").joinpath("spacy_en_tokenizer.json").read_text("utf-8")
    assert committed == spacy_export.dumps(spacy_export.export())


def test_tokenizer_matches_spacy_on_every_note() -> None:
    for text in NOTES:
        for version in (text, Note(text).norm):
            assert fast_tokens(version) == spacy_tokens(version)


def test_tokenizer_matches_spacy_on_generated_text() -> None:
    specials = list(json.loads(spacy_export.dumps(spacy_export.export()))["specials"])
    rng = random.Random(11004)
    pieces = [
        *"abcxyzABC 0123456789 .,;:!?'\"()[]{}-–—/\\&%$#@*+=<>_~`|\n\t\u00a0’“”…°±×",
        *["http://x.org/a?b=1", "www.", ".com", "e.g.", "a.m.", "can't", "cannot", "won't", "n't"],
        *["'s", ":)", "(:", "Dr.", "U.S.", "1/2", "3-4", "10cm", "5mm", "$5", "--", "...", "s/p", "w/o"],
    ]
    for _ in range(3000):
        parts = []
        for _ in range(rng.randint(1, 10)):
            r = rng.random()
            if r < 0.3:
                parts.append(rng.choice(specials))
            elif r < 0.5:
                note = rng.choice(NOTES)
                at = rng.randrange(len(note))
                parts.append(note[at : at + rng.randint(1, 30)])
            else:
                parts.append("".join(rng.choice(pieces) for _ in range(rng.randint(1, 5))))
        text = "".join(p + rng.choice(["", " ", "  ", "\n"]) for p in parts)
        assert fast_tokens(text) == spacy_tokens(text), text


def test_rule_ids_hash_as_in_spacy() -> None:
    from spacy.strings import hash_string

    for i, rule in enumerate(RULES):
        rule_id = f"{rule['category'].upper()}_{i}"
        assert phrase_order.murmurhash64a(rule_id.encode(), 1) == hash_string(rule_id)


# --- assertions ------------------------------------------------------------------------------


def test_same_assertions_on_every_gold_note_and_the_sample() -> None:
    compared = 0
    for text in NOTES:
        note = Note(text)
        spans = targets(note)
        assert differences(note, spans) == []
        compared += len(spans)
    assert compared > 5000  # every target the rules extractor asserts, in 170+ notes


def test_not_every_target_is_present() -> None:
    """The comparison means something: the notes hold every kind of assertion."""
    seen: set[Assertion] = set()
    for text in NOTES:
        note = Note(text)
        seen.update(context.engine().assert_spans(note, targets(note)))
    assert seen == set(Assertion)


@st.composite
def spans_in(draw: st.DrawFn, note: Note) -> list[tuple[int, int]]:
    """The extractor's targets and word-aligned or unaligned spans anywhere (LLM evidence)."""
    words = [m.span() for m in re.finditer(r"\S+", note.norm)]
    spans = targets(note)
    for _ in range(draw(st.integers(0, 12))):
        a, b = draw(st.sampled_from(words)), draw(st.sampled_from(words))
        start, end = min(a[0], b[0]), max(a[1], b[1])
        if draw(st.booleans()):
            start = min(len(note.norm) - 1, max(0, start + draw(st.integers(-2, 2))))
            end = max(start + 1, min(len(note.norm), end + draw(st.integers(-2, 2))))
        spans.append((start, end))
    return spans


@settings(max_examples=120, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    text=st.sampled_from(NOTES),
    ins=st.lists(insertions(), min_size=1, max_size=4),
    where=st.integers(0, 10_000),
    data=st.data(),
)
def test_same_assertions_on_adversarial_notes(text: str, ins: list[Insertion], where: int, data: Any) -> None:
    for k, insertion in enumerate(ins):
        text = insert(text, insertion.sentence, where + 7 * k)
    note = Note(text)
    spans = data.draw(spans_in(note))
    assert differences(note, spans) == []


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    words=st.lists(
        st.one_of(
            st.sampled_from([r["literal"] for r in RULES]),
            st.sampled_from(
                [
                    *[
                        "fascia",
                        "debrided",
                        "the",
                        "necrotic",
                        "skin",
                        "was",
                        "excised",
                        ",",
                        ".",
                        ";",
                        "(",
                        ")",
                    ],
                    *["no", "cannot", "Fournier's", "gangrene", "\n", "\n\n", "FINDINGS:", "1.", "?", "2-3"],
                ]
            ),
        ),
        min_size=1,
        max_size=80,
    ),
    glue=st.lists(st.sampled_from([" ", " ", "", "  ", "\n"]), min_size=80, max_size=80),
    upper=st.booleans(),
    data=st.data(),
)
def test_same_assertions_on_rule_soup(words: list[str], glue: list[str], upper: bool, data: Any) -> None:
    """Rules next to rules: terminators, pseudo-triggers, same-category and overlapping
    modifiers, scopes cut by max_scope and by sentence ends."""
    text = "".join(w + g for w, g in zip(words, glue, strict=False))
    text = text.upper() if upper else text
    assume(any(c.isalpha() for c in text))
    note = Note(text)
    spans = data.draw(spans_in(note))
    assert differences(note, spans) == []
    assert differences(note, spans, *clause_engines()) == []


@pytest.mark.parametrize("index", range(len(RULES)))
def test_each_rule_as_medspacy_reads_it(index: int) -> None:
    """Each rule before, after and at every distance from a target, alone and beside a rule
    with the same words (duplicate literals: medspaCy keeps one of them, by hash order)."""
    literal = RULES[index]["literal"]
    gaps = ["", "of the", "of the left", "a b c", "a b c d", "a b c d e", "a b c d e f g h"]
    sentences = [f"The fascia {literal} was debrided today.", f"{literal} fascia debrided."]
    sentences += [f"Necrotic {literal} {gap} fascia, debrided {gap} {literal}." for gap in gaps]
    sentences += [f"FINDINGS: {literal.upper()}: fascia ; debrided\n{literal} skin"]
    for text in sentences:
        note = Note(text)
        spans = [m.span() for m in re.finditer(r"fascia|debrided|skin|necrotic", note.norm)]
        assert differences(note, spans) == [], text


def commas(note: Note, offset: int) -> tuple[int, int]:
    """A clause for the test: the piece of the sentence between commas and semicolons."""
    s_start, s_end = note.sentence_at(offset)
    lo = max(note.norm.rfind(",", s_start, offset), note.norm.rfind(";", s_start, offset), s_start - 1) + 1
    ends = [e for e in (note.norm.find(",", offset, s_end), note.norm.find(";", offset, s_end)) if e >= 0]
    return min(lo, offset), min(ends, default=s_end)


class ClauseEngine(context._Engine):
    """The medspaCy engine counting only the modifiers that start in the target's clause:
    the reference for FastContext's `clause_of`."""

    def __init__(self, clause_of: Any) -> None:
        super().__init__()
        self.clause_of = clause_of

    def _assert_chunk(
        self,
        note: Note,
        masked: str,
        c_start: int,
        c_end: int,
        spans: Any,
        members: list[int],
        result: list[Assertion],
    ) -> None:
        doc = self.nlp.make_doc(masked[c_start:c_end])
        token_starts = [t.idx for t in doc]
        starts = note.sentence_starts
        lo, hi = bisect_left(starts, c_start), bisect_left(starts, c_end)
        first = {max(0, bisect_right(token_starts, s - c_start) - 1) for s in starts[lo:hi]}
        for token in doc:
            token.is_sent_start = token.i == 0 or token.i in first
        group, index = [], []
        for i in members:
            start, end = spans[i]
            span = doc.char_span(
                start - c_start, min(end, c_end) - c_start, label="TARGET", alignment_mode="expand"
            )
            if span is not None:
                group.append(span)
                index.append(i)
        doc.spans["targets"] = group
        self.context(doc)
        for span, i in zip(doc.spans["targets"], index, strict=True):
            c_lo, c_hi = self.clause_of(note, spans[i][0])
            sentence = span.sent.start
            categories = {
                m.category.upper()
                for m in span._.modifiers
                if doc[m.modifier_span[0]].sent.start == sentence
                and c_lo - c_start <= doc[m.modifier_span[0]].idx < c_hi - c_start
            }
            if any(
                t.lower_ in context._NEGATION_WORDS for t in doc[max(sentence, span.start - 2) : span.start]
            ):
                categories.add("NEGATED_EXISTENCE")
            result[i] = next((a for c, a in context._PRIORITY if c in categories), Assertion.present)


@cache
def clause_engines() -> tuple[ClauseEngine, fastcontext.FastContext]:
    return ClauseEngine(commas), fastcontext.FastContext(clause_of=commas)


def test_the_clause_rule_as_medspacy_reads_it() -> None:
    slow, fast = clause_engines()
    compared = changed = 0
    for text in NOTES:
        note = Note(text)
        spans = targets(note)
        assert differences(note, spans, slow, fast) == []
        plain = context.engine().assert_spans(note, spans)
        changed += sum(a != b for a, b in zip(plain, fast.assert_spans(note, spans), strict=True))
        compared += len(spans)
    assert compared > 5000 and changed > 0  # the rule changes some assertions


def test_unsupported_rule_features_fail_loudly() -> None:
    for extra in ({"allowed_types": ["X"]}, {"max_targets": 1}, {"pattern": "no+"}, {"on_match": None}):
        with pytest.raises(ValueError, match="context rule 0"):
            fastcontext.FastContext(
                {"version": "t", "context_rules": [{"literal": "no", "category": "X", **extra}]}
            )


# --- integration -----------------------------------------------------------------------------


def test_every_gold_review_is_byte_identical_with_the_medspacy_engine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rules = get_extractor("rules")
    cases = [(c.note, c.context.sex, c.context.claimed_codes) for c in CASES] + [(SAMPLE, None, [])]
    stable = {"audit": {"created_at"}}  # the one field that differs between identical runs
    fast = [
        review_with(rules, n, sex=s, claimed_codes=c).model_dump_json(exclude=stable) for n, s, c in cases
    ]
    monkeypatch.setattr(context, "engine", context.medspacy_engine)
    slow = [
        review_with(rules, n, sex=s, claimed_codes=c).model_dump_json(exclude=stable) for n, s, c in cases
    ]
    assert fast == slow
    assert len(fast) == len(CASES) + 1


def test_rules_path_imports_no_spacy() -> None:
    code = (
        "import sys; from pathlib import Path; from reviewer import review; "
        f"review(Path({str(ROOT / 'eval' / 'samples' / 'seed-fournier.txt')!r}).read_text()); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('spacy', 'medspacy', 'thinc')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
