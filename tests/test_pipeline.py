"""`review()`: the public Python contract and the seed article's example case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviewer import review
from reviewer.decision import Verdict

SAMPLE = Path(__file__).parent.parent / "eval" / "samples" / "seed-fournier.txt"

# The seed article's example, written as a surgeon's narrative (no section headers).
SEED_NARRATIVE = (
    "A 58-year-old male with diabetes presents with severe scrotal pain, swelling, fever, and signs of "
    "infection. Imaging shows gas in the perineal tissues, consistent with Fournier's gangrene. In surgery, "
    "the team performs sharp excisional debridement of necrotic skin, subcutaneous tissue, and fascia in the "
    "scrotum and perineum. The wound is irrigated and left open for planned repeat debridement."
)


@pytest.mark.parametrize("text", [SAMPLE.read_text("utf-8"), SEED_NARRATIVE], ids=["sample", "narrative"])
def test_seed_article_case(text: str) -> None:
    r = review(text)
    d = r.decision
    assert d.verdict.value == "supported"
    assert [c.code for c in d.recommended_codes if c.role.value == "primary"] == ["11004"]
    assert "N49.3" in [i.code for i in d.icd10]
    assert [f.kind for f in d.flags] == ["planned_debridement"]  # an index operation


def test_review_json_contract() -> None:
    text = SAMPLE.read_text("utf-8")
    data = json.loads(review(text, sex="M", claimed_codes=["11043"]).model_dump_json())
    for key in (
        "schema_version",
        "note_id",
        "note_sha256",
        "extractor",
        "ruleset_version",
        "findings",
        "decision",
        "warnings",
        "usage",
    ):
        assert key in data
    assert set(data["extractor"]) >= {"name", "model", "prompt_version"}
    d = data["decision"]
    assert d["verdict"] in {"supported", "not_supported", "query"}
    assert [c["id"] for c in d["criteria"]] == ["necrotizing_infection", "site", "excisional", "depth"]
    for code in d["recommended_codes"]:
        assert set(code) >= {"code", "units", "modifiers", "role"}
    for edit in d["edits"]:
        assert set(edit) >= {"kind", "severity", "codes", "message"}
    assert "undercoding" in {e["kind"] for e in d["edits"]}
    for c in d["criteria"]:
        for e in c["evidence"]:
            assert text[e["start"] : e["end"]] == e["quote"]
            assert set(e) >= {"quote", "start", "end", "section", "alignment"}


def test_bad_arguments_raise_value_error() -> None:
    with pytest.raises(ValueError, match="sex"):
        review("Fournier's gangrene", sex="X")
    with pytest.raises(ValueError, match="claimed code"):
        review("Fournier's gangrene", claimed_codes=["not-a-code"])
    with pytest.raises(ValueError, match="extractor"):
        review("Fournier's gangrene", extractor="magic")


def test_import_is_cheap() -> None:
    import subprocess
    import sys

    code = "import sys, reviewer; print('spacy' in sys.modules, 'simple_icd_10_cm' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (None, "must be text"),
        (b"Fournier's gangrene", "must be text"),
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("x" * 1_000_001, "limit"),
        ("\x00\x01\x02 scrotum", "binary"),
        ("12 34 56", "no words"),
    ],
)
def test_review_validates_its_input_like_the_cli(bad: object, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        review(bad)  # type: ignore[arg-type]
    assert "\n" not in str(info.value)


def test_lone_surrogates_are_replaced_one_for_one() -> None:
    text = "PROCEDURE: Excisional debridement of the scrotum \udcff for Fournier's gangrene."
    r = review(text)
    assert len(r.model_dump_json()) > 0  # serialises
    for c in r.decision.criteria:
        for e in c.evidence:
            assert text[e.start : e.end] == e.quote


def test_run_on_text_finishes_and_is_never_supported() -> None:
    words = "necrotic fascia of the scrotum was not excised and fournier gangrene may be present "
    r = review("PROCEDURE " + words * 2_500)  # 200 KB without a full stop
    assert r.decision.verdict is not Verdict.supported


def test_sex_comes_from_the_note_and_a_contradicting_claim_is_an_edit() -> None:
    text = (
        "POSTOPERATIVE DIAGNOSIS: Fournier's gangrene of the scrotum.\n"
        "INDICATIONS: 61-year-old gentleman with diabetes.\n"
        "DESCRIPTION: Necrotic scrotal skin, subcutaneous tissue and dartos fascia were excised sharply.\n"
    )
    assert [i.code for i in review(text).decision.icd10][:1] == ["N49.3"]
    d = review(text, sex="F").decision
    assert "sex_contradicts_note" in [e.kind for e in d.edits]
    assert "N49.3" not in [i.code for i in d.icd10]
    assert "M72.6" in [i.code for i in d.icd10]


def test_llm_path_keeps_the_sex_the_note_tells_when_the_model_gives_none() -> None:
    """The test double never answers `sex`; the deterministic pass's clues (stated words,
    anatomy) still reach the findings, so the sex-specific diagnosis is suggested."""
    from reviewer.extract.llm import LlmConfig, LlmExtractor
    from reviewer.pipeline import review_with
    from tests.llm_double import llm_double

    note = (
        "58-year-old man. POSTOPERATIVE DIAGNOSIS: Fournier's gangrene.\n"
        "Necrotic fascia of the scrotum was excised.\n"
    )
    with llm_double() as server:
        config = LlmConfig.model_validate({"base_url": server.base_url, "model": "double"})
        r = review_with(LlmExtractor(config), note)
    assert r.error is None
    assert {s.sex.value for s in r.findings.sex} == {"M"}
    assert any(s.evidence.quote == "man" or "man" in s.evidence.quote for s in r.findings.sex)
    assert "N49.3" in [c.code for c in r.decision.icd10]
