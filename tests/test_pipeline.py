"""`review()`: the public Python contract and the seed article's example case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviewer import review

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
    assert "repeat_debridement" in [f.kind for f in d.flags]


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
