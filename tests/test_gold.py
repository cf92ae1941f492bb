"""Every gold case through the review logic: verdict, primary codes, criteria, evidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewer import review
from reviewer.decision import Verdict
from reviewer.evaluate.cases import GoldCase, GoldError, load_case, load_cases

GOLD = Path(__file__).parent.parent / "eval" / "gold"
CASES = load_cases(GOLD)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_gold_case(case: GoldCase) -> None:
    r = review(case.note, sex=case.context.sex, claimed_codes=case.context.claimed_codes, note_id=case.id)
    d = r.decision
    exp = case.expected
    assert d.verdict in exp.acceptable_verdicts, d.summary
    assert d.verdict is not Verdict.supported or exp.verdict is Verdict.supported, "unsafe"
    assert sorted(c.code for c in d.recommended_codes if c.role.value == "primary") == sorted(
        exp.primary_codes
    )
    got = {c.id: c.status for c in d.criteria}
    assert got == {**got, **exp.criteria}
    for c in d.criteria:
        for e in c.evidence:
            assert case.note[e.start : e.end] == e.quote
    for cid in exp.evidence:
        cited = " ".join(e.quote for c in d.criteria if c.id is cid for e in c.evidence)
        assert cited, f"{cid.value}: no evidence cited"
    assert set(exp.icd10) <= {i.code for i in d.icd10}
    assert set(exp.edits) <= {e.kind for e in d.edits}
    assert set(exp.flags) <= {f.kind for f in d.flags}
    for want in exp.codes:
        assert any(
            c.code == want.code
            and c.role is want.role
            and set(want.modifiers) <= set(c.modifiers)
            and (want.units is None or want.units == c.units)
            for c in d.recommended_codes
        ), f"missing {want}"


def test_gold_set_spans_the_policy() -> None:
    verdicts = {c.expected.verdict for c in CASES}
    assert verdicts == set(Verdict)
    assert len(CASES) >= 40
    assert len({c.style for c in CASES}) >= 8


def test_a_malformed_case_names_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "x-1.yaml"
    bad.write_text("id: x-1\ntitle: t\nstyle: terse\nnote: hi\nexpected:\n  verdict: maybe\n  criteria: {}\n")
    with pytest.raises(GoldError, match=r"x-1.yaml: field expected.verdict"):
        load_case(bad)
