"""Gold cases and the ruleset's decisions name each other: every decision has a gold case,
every decision a case names exists, and a decision's `cases` and the cases' `decisions` say the
same. COVERAGE.md groups the cases by decision."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewer.evaluate.cases import GoldCase, load_cases
from reviewer.evaluate.coverage import coverage_markdown
from reviewer.evaluate.decisions import (
    case_number,
    decisions_without_cases,
    disagreements,
    ruleset_decisions,
    unknown_decisions,
)
from reviewer.rules.ruleset import PolicyDecision

GOLD = Path(__file__).parent.parent / "eval" / "gold"
CASES = load_cases(GOLD)
DECISIONS = ruleset_decisions()


@pytest.mark.parametrize("decision", DECISIONS, ids=[d.id for d in DECISIONS])
def test_every_decision_has_a_gold_case(decision: PolicyDecision) -> None:
    assert decisions_without_cases([decision]) == []
    assert [c.id for c in CASES if decision.id in c.decisions]


def test_gold_cases_name_only_decisions_of_the_ruleset() -> None:
    assert unknown_decisions(CASES, DECISIONS) == []


def test_a_decisions_cases_and_the_cases_decisions_agree() -> None:
    assert disagreements(CASES, DECISIONS) == []


def case(case_id: str, decisions: list[str]) -> GoldCase:
    return GoldCase.model_validate(
        {
            "id": case_id,
            "title": "t",
            "style": "terse",
            "decisions": decisions,
            "note": "Scrotal abscess incised and drained.",
            "expected": {"verdict": "not_supported", "criteria": {}},
        }
    )


def test_each_kind_of_disagreement_is_found() -> None:
    decisions = [
        PolicyDecision(id="a", rule="rule a", cases=["001", "002"]),
        PolicyDecision(id="b", rule="rule b", cases=["003"]),
        PolicyDecision(id="c", rule="rule c", cases=[]),
    ]
    cases = [case("001-x", ["a"]), case("002-y", ["b"]), case("004-z", ["a", "typo"])]
    assert decisions_without_cases(decisions) == ["c"]
    assert unknown_decisions(cases, decisions) == ["004-z: typo"]
    assert disagreements(cases, decisions) == [
        "decision a lists case 002-y, whose decisions do not name it",
        "case 004-z names decision a, whose cases do not list it",
        "decision b lists case 003, which is not in the gold set",
        "case 002-y names decision b, whose cases do not list it",
    ]
    assert case_number("004-z") == "004"


def test_coverage_has_one_section_per_decision_with_its_rule_and_cases() -> None:
    text = coverage_markdown(CASES, DECISIONS)
    sections = text.split("\n### ")[1:]
    assert [s.split("`")[1] for s in sections] == [d.id for d in DECISIONS]
    for d, section in zip(DECISIONS, sections, strict=True):
        assert f"> {d.rule}" in section
        rows = [f"| {c.id} | {c.style} | {c.expected.verdict.value} |" for c in CASES if d.id in c.decisions]
        table = "\n".join(["| case | style | verdict |", "| --- | --- | --- |", *rows])
        assert section.split("\n\n")[2].strip() == (
            table if rows else "No gold case names this decision yet."
        )
    assert text.index("## Decisions") < text.index("## Expected verdict by style") < text.index("## Branches")


def test_coverage_names_a_decision_missing_from_the_ruleset() -> None:
    text = coverage_markdown(
        [case("001-x", ["a", "gone"])], [PolicyDecision(id="a", rule="rule a", cases=["001"])]
    )
    assert "### `a` (1 case)" in text and "| 001-x | terse | not_supported |" in text
    assert "Decisions named by a case but not in the ruleset: gone." in text
