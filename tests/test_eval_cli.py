"""`reviewer eval` as CI runs it: a real process on the gold set, the checked-in baseline and
gates; a deliberately flipped gold label fails a gate that names the case."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from reviewer.evaluate import load_gates
from reviewer.gold import load_cases
from reviewer.report.eval import coverage_markdown

ROOT = Path(__file__).parent.parent
GOLD = ROOT / "eval" / "gold"
BASELINE = ROOT / "eval" / "baselines" / "rules.json"
GATES = ROOT / "eval" / "gates.yaml"


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reviewer", "eval", *args], capture_output=True, text=True, cwd=cwd
    )


def standing(data: dict[str, Any]) -> str:
    """The standing line eval.json's own numbers call for."""
    cases = data["cases"]
    wrong = sum(1 for c in cases if not c["checks"]["verdict"])
    accuracy = f"{data['scalars']['verdict_accuracy'] * 100:.1f}%"
    unsafe = data["metrics"]["unsafe"]
    return f"Verdict accuracy {accuracy}: {wrong} of {len(cases)} cases wrong, {unsafe} unsafe."


def copy_gold(tmp_path: Path) -> Path:
    gold = tmp_path / "gold"
    gold.mkdir()
    for f in GOLD.glob("*.yaml"):
        shutil.copy(f, gold / f.name)
    return gold


def relabel(gold: Path, case_id: str, verdict: str) -> None:
    path = gold / f"{case_id}.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data["expected"]["verdict"] = verdict
    data["expected"]["acceptable_verdicts"] = [verdict]
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")


def first_case(expected: str) -> str:
    return next(
        c.id
        for c in load_cases(GOLD)
        if c.expected.verdict.value == expected and c.expected.acceptable_verdicts == [c.expected.verdict]
    )


def test_rules_eval_from_any_directory_passes_its_gates_against_the_checked_in_baseline(
    tmp_path: Path,
) -> None:
    """No arguments, run outside the checkout: the gold set, baseline and gates that come with
    the tool are found, and the reports land in ./eval-out."""
    started = time.perf_counter()
    p = run(cwd=tmp_path)
    elapsed = time.perf_counter() - started
    print(f"\n`reviewer eval` (rules, {len(load_cases(GOLD))} cases) took {elapsed:.1f} s")
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stderr == ""
    lines = p.stdout.splitlines()
    assert lines[0] == "Gold-set evaluation, rules extractor: no regression against the baseline"
    assert "PASS" not in lines[0]
    if "unchanged since the baseline" not in p.stdout:
        print("note: the gold set changed since eval/baselines/rules.json: consider --update-baseline")
    out = tmp_path / "eval-out"
    assert sorted(f.name for f in out.iterdir()) == ["eval.html", "eval.json", "eval.md"]
    data = json.loads((out / "eval.json").read_text("utf-8"))
    assert lines[1].startswith(standing(data))
    assert data["passed"] is True and data["headline"] == "no regression against the baseline"
    assert data["scalars"]["unsafe"] == 0
    assert len(data["cases"]) == len(load_cases(GOLD))
    assert data["baseline"]["path"] == str(BASELINE.resolve())
    assert data["gold_dir"] == str(GOLD.resolve())
    labels = [g.label for g in load_gates(GATES, "rules")]
    assert [g["gate"] for g in data["gates"]] == ["unsafe <= 0", *(x for x in labels if x != "unsafe <= 0")]
    md = (out / "eval.md").read_text("utf-8")
    assert md.splitlines()[2].startswith("**No regression against the baseline.** " + standing(data))
    assert re.search(r"^\| metric \| value \| baseline \| change \|$", md, re.M)
    page = (out / "eval.html").read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "no regression against the baseline" in page and standing(data) in page
    assert not re.search(r"https?://", page)


def test_a_flipped_gold_label_fails_the_gate_and_names_the_case(tmp_path: Path) -> None:
    gold = copy_gold(tmp_path)
    flipped = first_case("supported")
    relabel(gold, flipped, "not_supported")
    out = tmp_path / "out"
    # A gates file that would let unsafe cases through: the hard gate in code still stops them.
    gates = tmp_path / "gates.yaml"
    gates.write_text("rules:\n  - {metric: unsafe, max: 5}\n  - {metric: verdict_accuracy, min: baseline}\n")
    p = run(str(gold), "--out", str(out), "--baseline", str(BASELINE), "--gates", str(gates))
    assert p.returncode == 1, p.stdout + p.stderr
    failed = [line for line in p.stderr.splitlines() if line.startswith("gate failed: ")]
    assert any(
        line.startswith("gate failed: verdict_accuracy >= baseline") and flipped in line for line in failed
    )
    assert any(line.startswith("gate failed: unsafe <= 0") and flipped in line for line in failed)
    assert not any(line.startswith("gate failed: unsafe <= 5") for line in failed)
    first = p.stdout.splitlines()[0]
    assert first.startswith("Gold-set evaluation, rules extractor: REGRESSION: unsafe <= 0; ")
    assert "verdict_accuracy >= baseline" in first
    data = json.loads((out / "eval.json").read_text("utf-8"))
    assert data["scalars"]["unsafe"] >= 1
    assert p.stdout.splitlines()[1].startswith(standing(data))
    assert "CHANGED since the baseline" in p.stdout
    assert re.search(rf"{re.escape(flipped)}\s+newly failing \(case file changed\)", p.stdout)
    md = (out / "eval.md").read_text("utf-8")
    assert "**REGRESSION: unsafe <= 0" in md and flipped in md and "PASS" not in md.splitlines()[2]
    page = (out / "eval.html").read_text("utf-8")
    assert f'id="case-{flipped}"' in page and "<mark" in page
    assert not re.search(r"https?://", page)


def test_update_baseline_accepts_a_change_deliberately(tmp_path: Path) -> None:
    gold = copy_gold(tmp_path)
    flipped = first_case("not_supported")
    relabel(gold, flipped, "query")  # now a (safe) verdict miss
    baseline = tmp_path / "baselines" / "rules.json"
    shutil.copy(BASELINE, tmp_path / "before.json")
    # Only baseline-relative gates: what --update-baseline accepts (absolute ones still apply).
    gates = tmp_path / "gates.yaml"
    gates.write_text(
        "rules:\n  - {metric: verdict_accuracy, min: baseline}\n  - {metric: case_pass_rate, min: baseline}\n"
    )
    common = ["--out", str(tmp_path / "out"), "--gates", str(gates)]
    p = run(str(gold), *common, "--baseline", str(tmp_path / "before.json"))
    assert p.returncode == 1 and flipped in p.stderr
    assert "REGRESSION: verdict_accuracy >= baseline" in p.stdout.splitlines()[0]
    p = run(str(gold), *common, "--baseline", str(baseline), "--update-baseline")
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.splitlines()[0].endswith(": baseline updated; no gate failed")
    saved = json.loads(baseline.read_text("utf-8"))
    assert saved["extractor"] == "rules"
    assert saved["cases"][flipped] == {
        "verdict": "not_supported",
        "passed": False,
        "failed_checks": ["verdict"],
        "digest": saved["cases"][flipped]["digest"],
    }
    assert {"ruleset", "lexicon", "reviewer"} <= set(saved["versions"])
    p = run(str(gold), *common, "--baseline", str(baseline))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "unchanged since the baseline" in p.stdout
    assert not list(baseline.parent.glob(".*.tmp"))


def test_a_malformed_case_is_one_line_and_exit_2(tmp_path: Path) -> None:
    gold = copy_gold(tmp_path)
    bad = sorted(gold.glob("*.yaml"))[0]
    bad.write_text(bad.read_text("utf-8").replace("verdict: ", "verdict: maybe # ", 1), "utf-8")
    p = run(str(gold), "--out", str(tmp_path / "out"))
    assert p.returncode == 2
    assert p.stdout == ""
    lines = p.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("reviewer: error: ") and f"{bad.name}: field expected.verdict" in lines[0]


@pytest.mark.parametrize(
    ("gates", "message"),
    [
        ("rules:\n  - {metric: accuracy, min: 1}\n", "field rules.0: unknown metric 'accuracy'"),
        ("llm: []\n", "no gates for extractor 'rules'"),
    ],
)
def test_a_bad_gates_file_is_exit_2(tmp_path: Path, gates: str, message: str) -> None:
    path = tmp_path / "gates.yaml"
    path.write_text(gates)
    p = run(str(GOLD), "--gates", str(path), "--out", str(tmp_path / "out"))
    assert p.returncode == 2
    assert message in p.stderr and len(p.stderr.splitlines()) == 1


def test_a_baseline_for_another_extractor_is_exit_2(tmp_path: Path) -> None:
    data = json.loads(BASELINE.read_text("utf-8"))
    data["extractor"] = "llm"
    path = tmp_path / "b.json"
    path.write_text(json.dumps(data))
    p = run(str(GOLD), "--baseline", str(path), "--out", str(tmp_path / "out"))
    assert p.returncode == 2 and "field extractor" in p.stderr
    path.write_text("{")
    p = run(str(GOLD), "--baseline", str(path), "--out", str(tmp_path / "out"))
    assert p.returncode == 2 and "not valid JSON" in p.stderr


def test_coverage_is_generated_from_the_case_files(tmp_path: Path) -> None:
    gold = copy_gold(tmp_path)
    p = run(str(gold), "--coverage")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == str(gold / "COVERAGE.md")
    assert (gold / "COVERAGE.md").read_text("utf-8") == coverage_markdown(load_cases(gold))


@pytest.mark.parametrize("extractor", ["llm", "hybrid"])
def test_recorded_llm_eval_passes_its_gates(tmp_path: Path, extractor: str) -> None:
    """Offline: replays the recorded gold-set cassette, once one and its baseline are checked in."""
    config = ROOT / "eval" / "llm-replay.toml"
    cassette = ROOT / "eval" / "cassettes" / "llm-gold.yaml"
    baseline = ROOT / "eval" / "baselines" / f"{extractor}.json"
    if not (config.is_file() and cassette.is_file() and baseline.is_file()):
        pytest.skip(f"no recorded LLM cassette or {baseline.name} baseline checked in yet")
    env = {**os.environ, "REVIEWER_LLM_CONFIG": str(config)}
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "reviewer",
            "eval",
            str(GOLD),
            "--extractor",
            extractor,
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert p.returncode == 0, p.stdout + p.stderr
