"""The ruleset's decisions name what shows them: every decision has a gold case and a test, and
every gold case, test, section and lexicon entry it names exists. The ruleset is read through
its typed model (reviewer.rules.ruleset); test files are parsed, never imported."""

from __future__ import annotations

import ast
import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

import reviewer.language.sections as section_policy
from reviewer.rules.ruleset import PolicyDecision, load_ruleset

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "eval" / "gold"
DECISIONS = load_ruleset().decisions


# Decisions no gold case shows yet. Listed here the suite stays green while the case is written;
# the test for a listed decision fails (strict xfail) as soon as the decision names a case.
def by_id(decision: PolicyDecision) -> str:
    return decision.id


@cache
def _data(stem: str) -> dict[str, Any] | None:
    """The top level of reviewer/data/<stem>.yaml or .json, or None when there is no such file."""
    data = resources.files("reviewer.data")
    for suffix, parse in ((".yaml", yaml.safe_load), (".json", json.loads)):
        item = data.joinpath(stem + suffix)
        if item.is_file():
            parsed = parse(item.read_text("utf-8"))
            return parsed if isinstance(parsed, dict) else {}
    return None


@cache
def _section_names() -> frozenset[str]:
    names = _data("sections")
    assert names is not None
    return frozenset(names["sections"])


def _policy_constants() -> frozenset[str]:
    return frozenset(n for n in vars(section_policy) if n.isupper() and not n.startswith("_"))


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text("utf-8"), filename=str(path))


def _defines(tree: ast.Module, names: list[str]) -> bool:
    """Whether the module defines `names` (a function, or a class then its method) at top level."""
    body: list[ast.stmt] = tree.body
    for i, name in enumerate(names):
        last = i == len(names) - 1
        kinds: tuple[type, ...] = (ast.FunctionDef, ast.AsyncFunctionDef) if last else (ast.ClassDef,)
        node = next((n for n in body if isinstance(n, kinds) and n.name == name), None)
        if node is None:
            return False
        body = node.body if isinstance(node, ast.ClassDef) else []
    return True


# --- the checks, each returning its problems ------------------------------------------------


def missing_cases(d: PolicyDecision) -> list[str]:
    problems = [] if d.cases else [f"{d.id}: names no gold case"]
    for case in d.cases:
        found = sorted(GOLD.glob(f"{case}-*.yaml"))
        if len(found) != 1:
            problems.append(f"{d.id}: gold case {case!r} matches {len(found)} files in eval/gold")
    return problems


def missing_tests(d: PolicyDecision) -> list[str]:
    problems = [] if d.tests else [f"{d.id}: names no test"]
    for ref in d.tests:
        file, _, rest = ref.partition("::")
        names = rest.split("::") if rest else []
        path = ROOT / file
        if not (file.startswith("tests/") and file.endswith(".py") and path.is_file()):
            problems.append(f"{d.id}: {ref}: no test file {file}")
        elif not names or not names[-1].startswith("test_"):
            problems.append(f"{d.id}: {ref}: not a test function (tests/<file>.py::test_<name>)")
        elif not _defines(_tree(path), names):
            problems.append(f"{d.id}: {ref}: {file} defines no {'::'.join(names)}")
    return problems


def unknown_sections(d: PolicyDecision) -> list[str]:
    known = _policy_constants() | _section_names()
    return [
        f"{d.id}: section {s!r} is neither a constant of reviewer/language/sections.py nor a section of sections.json"
        for s in d.sections
        if s not in known
    ]


def unknown_lexicon(d: PolicyDecision) -> list[str]:
    problems = []
    for entry in d.lexicon:
        stem, _, key = entry.rpartition(":")
        stem = stem or "lexicon"
        data = _data(stem)
        if data is None:
            problems.append(f"{d.id}: lexicon {entry!r}: no reviewer/data/{stem}.yaml or .json")
        elif key not in data:
            problems.append(f"{d.id}: lexicon {entry!r}: {stem} has no top-level key {key!r}")
    return problems


# --- the ruleset ------------------------------------------------------------------------------


def test_decision_ids_are_unique() -> None:
    ids = [d.id for d in DECISIONS]
    assert DECISIONS
    assert sorted(i for i in set(ids) if ids.count(i) > 1) == []


@pytest.mark.parametrize("decision", DECISIONS, ids=by_id)
def test_every_decision_names_gold_cases_that_exist(decision: PolicyDecision) -> None:
    assert missing_cases(decision) == []


@pytest.mark.parametrize("decision", DECISIONS, ids=by_id)
def test_every_decision_names_tests_that_exist(decision: PolicyDecision) -> None:
    assert missing_tests(decision) == []


@pytest.mark.parametrize("decision", DECISIONS, ids=by_id)
def test_every_named_section_exists(decision: PolicyDecision) -> None:
    assert unknown_sections(decision) == []


@pytest.mark.parametrize("decision", DECISIONS, ids=by_id)
def test_every_named_lexicon_entry_exists(decision: PolicyDecision) -> None:
    assert unknown_lexicon(decision) == []


def test_the_checks_catch_what_is_missing() -> None:
    """The checks above are not vacuous: a decision naming nothing, or things that do not
    exist, is reported on every count."""
    empty = PolicyDecision(id="empty", rule="r")
    assert missing_cases(empty) == ["empty: names no gold case"]
    assert missing_tests(empty) == ["empty: names no test"]
    bad = PolicyDecision(
        id="bad",
        rule="r",
        sections=["CONFIRMING", "postoperative_diagnosis", "NOWHERE", "_private"],
        lexicon=["necrosis_cues", "affirmation:cues", "no_such_entry", "affirmation:nope", "nofile:x"],
        cases=["001", "999"],
        tests=[
            "tests/test_ruleset_decisions.py::test_decision_ids_are_unique",
            "tests/test_ruleset_decisions.py::test_no_such_test",
            "tests/test_ruleset_decisions.py::missing_cases",
            "tests/no_such_file.py::test_x",
        ],
    )
    assert len(missing_cases(bad)) == 1 and "'999'" in missing_cases(bad)[0]
    assert [p.split(": ")[1] for p in missing_tests(bad)] == [
        "tests/test_ruleset_decisions.py::test_no_such_test",
        "tests/test_ruleset_decisions.py::missing_cases",
        "tests/no_such_file.py::test_x",
    ]
    assert [p.split("'")[1] for p in unknown_sections(bad)] == ["NOWHERE", "_private"]
    assert [p.split("'")[1] for p in unknown_lexicon(bad)] == [
        "no_such_entry",
        "affirmation:nope",
        "nofile:x",
    ]
