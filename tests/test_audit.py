"""The audit trail and `reviewer explain`: every gold case's stored review is re-derived by the
rule layer and matches; a tampered review does not; the audit is deterministic but for its time."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reviewer.cli import app
from reviewer.evaluate.cases import GoldCase, load_cases
from reviewer.explain import explain
from reviewer.extract import get_extractor
from reviewer.extract.prompt import load_prompt
from reviewer.pipeline import Review, review, review_with

ROOT = Path(__file__).parent.parent
SEED = ROOT / "eval" / "samples" / "seed-fournier.txt"


@lru_cache(maxsize=1)
def gold() -> list[tuple[GoldCase, Review]]:
    rules = get_extractor("rules")
    return [
        (
            case,
            review_with(
                rules,
                case.note,
                sex=case.context.sex,
                claimed_codes=case.context.claimed_codes,
                note_id=case.id,
            ),
        )
        for case in load_cases(ROOT / "eval" / "gold")
    ]


def test_every_gold_review_is_re_derived_and_matches(tmp_path: Path) -> None:
    """Run the rules extractor over eval/gold, store each review as JSON, read it back, explain it."""
    cases = gold()
    assert len(cases) >= 100
    claimed = 0
    for case, r in cases:
        path = tmp_path / f"{case.id}.json"
        path.write_text(r.model_dump_json(), "utf-8")
        stored = Review.model_validate_json(path.read_text("utf-8"))
        result = explain(stored)
        assert result.matches, (case.id, result.differences)
        assert "Result: MATCH" in result.text
        assert result.decision.verdict is r.decision.verdict
        claimed += bool(case.context.claimed_codes)
    assert claimed > 0  # claimed codes (and so claim edits) are part of what is re-derived


def test_explain_tells_the_decision_path_in_words(tmp_path: Path) -> None:
    r = review(SEED.read_text("utf-8"), sex="M", claimed_codes=["11004", "11042"])
    path = tmp_path / "r.json"
    path.write_text(r.model_dump_json(), "utf-8")
    result = CliRunner().invoke(app, ["explain", str(path)])
    assert result.exit_code == 0
    out = result.stdout
    for words in (
        "Necrotizing soft tissue infection: met",
        "Site: external genitalia / perineum: met",
        "Excisional technique: met",
        "Depth of tissue removed: met",
        "why:",
        'evidence: "',
        "Verdict rule: all four criteria met",
        "Verdict: supported",
        "11004",
        "Inputs: sex given M; claimed codes 11004, 11042",
        "Result: MATCH",
    ):
        assert words in out, words


def test_a_tampered_review_is_a_mismatch_with_exit_1(tmp_path: Path) -> None:
    data = json.loads(review(SEED.read_text("utf-8")).model_dump_json())
    data["decision"]["verdict"] = "not_supported"
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data), "utf-8")
    p = subprocess.run(
        [sys.executable, "-m", "reviewer", "explain", str(path)], capture_output=True, cwd=ROOT
    )
    assert p.returncode == 1
    out = p.stdout.decode()
    assert "Result: MISMATCH" in out and "verdict" in out


def test_changed_inputs_change_the_decision(tmp_path: Path) -> None:
    """The stored inputs are what the rule layer reads: claim edits come back only with them."""
    r = review(SEED.read_text("utf-8"), claimed_codes=["11004", "11042"])
    assert r.decision.edits and r.audit is not None
    assert explain(r).matches
    forgotten = r.model_copy(
        update={
            "audit": r.audit.model_copy(
                update={"inputs": r.audit.inputs.model_copy(update={"claimed_codes": []})}
            )
        }
    )
    assert not explain(forgotten).matches


@pytest.mark.parametrize("content", ["{not json", '{"note_id": "x"}'], ids=["not-json", "not-a-review"])
def test_explain_bad_file_is_one_line(tmp_path: Path, content: str) -> None:
    path = tmp_path / "r.json"
    path.write_text(content, "utf-8")
    p = subprocess.run(
        [sys.executable, "-m", "reviewer", "explain", str(path)], capture_output=True, cwd=ROOT
    )
    assert p.returncode == 2 and p.stdout == b""
    err = p.stderr.decode()
    assert err.count("\n") == 1 and "not a Review" in err


def test_audit_records_what_reproduces_the_review() -> None:
    import reviewer
    from reviewer.language.lexicon import load_lexicon

    text = SEED.read_text("utf-8")
    r = review(text, sex="m", claimed_codes=[" 11004 "], note_id="seed")
    a = r.audit
    assert a is not None
    assert a.note_sha256 == r.note_sha256 and a.note_chars == len(text)
    assert a.tool_version == reviewer.__version__ and a.ruleset_version == r.ruleset_version
    assert a.lexicon_version == load_lexicon().version
    assert a.extractor == "rules" and a.model is None and a.llm_attempts == [] and a.masking is None
    assert a.inputs.sex == "M" and a.inputs.claimed_codes == ["11004"]
    assert sum(a.guardrails.alignment.values()) == len(r.findings.evidence())
    assert a.created_at.endswith("+00:00")


def test_audit_is_deterministic_but_for_its_time() -> None:
    text = SEED.read_text("utf-8")
    a, b = (review(text, claimed_codes=["11004"]).model_dump(mode="json") for _ in range(2))
    for d in (a, b):
        d["audit"].pop("created_at")
    assert a == b


def test_llm_audit_has_prompt_hash_attempts_and_guardrail_actions() -> None:
    """Against the test double: a 500, then an answer whose quote is not in the note."""
    from reviewer.extract.llm import LlmConfig, LlmExtractor
    from tests.fake_llm_server import Reply, completion, fake_llm

    answer = json.dumps(
        {
            "infections": [{"quote": "Fournier's gangrene", "type": "fournier", "status": "present"}],
            "sites": [{"quote": "the moon", "region": "scrotum", "debrided": True}],
        }
    )
    replies = [
        Reply(status=500, body={"error": {"message": "boom"}}),
        completion(answer, prompt=321, completion=9),
    ]
    with fake_llm(replies) as server:
        llm = LlmExtractor(LlmConfig(model="test-double", base_url=server.base_url, transport_attempts=2))
        r = review_with(llm, SEED.read_text("utf-8"))
    a = r.audit
    assert a is not None and r.error is None
    assert a.prompt_sha256 == load_prompt().sha256 and a.prompt_version == load_prompt().version
    assert a.model == "test-double"
    assert [(x.status, x.http_status, x.prompt_tokens) for x in a.llm_attempts] == [
        ("server_error", 500, 0),
        ("ok", None, 321),
    ]
    assert all(x.latency_ms >= 0 for x in a.llm_attempts)
    assert a.masking is not None and a.masking.enabled is False  # loopback endpoint: off by default
    assert a.guardrails.alignment.get("unaligned") == 1
    text = r.model_dump_json()
    assert "boom" not in text  # attempts carry status, tokens and latency, never text
