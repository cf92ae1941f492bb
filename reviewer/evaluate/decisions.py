"""The ruleset's decisions as the evaluation reads them (id, rule, the gold cases listed for
it), and their agreement with the gold cases' own `decisions` fields: each decision lists its
cases by number ("001"), each case names its decisions by id, and the two must say the same."""

from __future__ import annotations

from collections.abc import Sequence

from reviewer.evaluate.cases import GoldCase
from reviewer.rules.ruleset import PolicyDecision, load_ruleset

__all__ = [
    "case_number",
    "decisions_without_cases",
    "disagreements",
    "ruleset_decisions",
    "unknown_decisions",
]


def ruleset_decisions() -> list[PolicyDecision]:
    """The decisions of the ruleset the rule layer runs, in its order."""
    return list(load_ruleset().decisions)


def case_number(case_id: str) -> str:
    """The number a ruleset lists a gold case by: its id up to the first '-' ("001")."""
    return case_id.split("-", 1)[0]


def decisions_without_cases(decisions: Sequence[PolicyDecision]) -> list[str]:
    """The decisions that list no gold case."""
    return [d.id for d in decisions if not d.cases]


def unknown_decisions(cases: Sequence[GoldCase], decisions: Sequence[PolicyDecision]) -> list[str]:
    """'case: id' for every decision id a case names that the ruleset does not have."""
    known = {d.id for d in decisions}
    return [f"{c.id}: {name}" for c in cases for name in c.decisions if name not in known]


def disagreements(cases: Sequence[GoldCase], decisions: Sequence[PolicyDecision]) -> list[str]:
    """Where a decision's `cases` and the cases' `decisions` do not say the same, one line each."""
    numbers = {case_number(c.id): c for c in cases}
    problems: list[str] = []
    for d in decisions:
        for number in d.cases:
            case = numbers.get(number)
            if case is None:
                problems.append(f"decision {d.id} lists case {number}, which is not in the gold set")
            elif d.id not in case.decisions:
                problems.append(f"decision {d.id} lists case {case.id}, whose decisions do not name it")
        problems += [
            f"case {c.id} names decision {d.id}, whose cases do not list it"
            for c in cases
            if d.id in c.decisions and case_number(c.id) not in d.cases
        ]
    return problems
