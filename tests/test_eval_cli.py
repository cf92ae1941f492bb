"""`reviewer eval` as CI runs it: one real process on the whole gold set with the checked-in
baseline and gates (shared by the tests that read its output); a deliberately flipped gold
label fails a gate that names the case; --update-baseline; bad input is exit 2. Only the first
runs the whole gold set with the rules extractor; the others run a few cases of it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from reviewer.cli import app
from reviewer.evaluate import load_gates, load_snapshot
from reviewer.evaluate.cases import load_cases
from reviewer.evaluate.coverage import coverage_markdown

ROOT = Path(__file__).parent.parent
GOLD = ROOT / "eval" / "gold"
BASELINE = ROOT / "eval" / "baselines" / "rules.json"
GATES = ROOT / "eval" / "gates.yaml"
CASES = load_cases(GOLD)


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reviewer", "eval", *args], capture_output=True, text=True, cwd=cwd
    )


@dataclass
class Result:
    """What one `reviewer eval` printed and exited with."""

    returncode: int
    stdout: str
    stderr: str


def run_here(*args: str) -> Result:
    """`reviewer eval` in this process (the rules extractor's models load once per session)."""
    result = CliRunner().invoke(app, ["eval", *args])
    return Result(result.exit_code, result.stdout, result.stderr)


def standing(data: dict[str, Any]) -> str:
    """The standing line eval.json's own numbers call for."""
    cases = data["cases"]
    wrong = sum(1 for c in cases if not c["checks"]["verdict"])
    accuracy = f"{data['scalars']['verdict_accuracy'] * 100:.1f}%"
    unsafe = data["metrics"]["unsafe"]
    return f"Verdict accuracy {accuracy}: {wrong} of {len(cases)} cases wrong, {unsafe} unsafe."


def small_gold(tmp_path: Path, *case_ids: str) -> Path:
    gold = tmp_path / "gold"
    gold.mkdir()
    for case_id in case_ids:
        shutil.copy(GOLD / f"{case_id}.yaml", gold / f"{case_id}.yaml")
    return gold


def relabel(gold: Path, case_id: str, verdict: str) -> None:
    path = gold / f"{case_id}.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data["expected"]["verdict"] = verdict
    data["expected"]["acceptable_verdicts"] = [verdict]
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")


def first_cases(expected: str, n: int) -> list[str]:
    """The first `n` cases expecting exactly `expected` that passed in the checked-in baseline."""
    passed = load_snapshot(BASELINE).cases
    return [
        c.id
        for c in CASES
        if c.expected.acceptable_verdicts == [c.expected.verdict]
        and c.expected.verdict.value == expected
        and c.id in passed
        and passed[c.id].passed
    ][:n]


@pytest.fixture(scope="module")
def bundled_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """No arguments, run outside the checkout: the gold set, baseline and gates that come with
    the tool are found, and the reports land in ./eval-out."""
    cwd = tmp_path_factory.mktemp("anywhere")
    return run(cwd=cwd), cwd / "eval-out"


def test_rules_eval_from_any_directory_passes_its_gates_against_the_checked_in_baseline(
    bundled_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    p, out = bundled_run
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stderr == ""
    lines = p.stdout.splitlines()
    assert lines[0] == "Gold-set evaluation, rules extractor: no regression against the baseline"
    assert "PASS" not in lines[0]
    assert sorted(f.name for f in out.iterdir()) == ["eval.html", "eval.json", "eval.md"]
    data = json.loads((out / "eval.json").read_text("utf-8"))
    assert lines[1].startswith(standing(data))
    assert (
        lines[-1]
        == f"Reports: {', '.join(str(Path('eval-out') / n) for n in ('eval.md', 'eval.json', 'eval.html'))}"
    )
    assert data["passed"] is True and data["headline"] == "no regression against the baseline"
    assert data["scalars"]["unsafe"] == 0
    assert [c["id"] for c in data["cases"]] == [c.id for c in CASES]
    assert data["baseline"]["path"] == str(BASELINE.resolve())
    assert data["gold_dir"] == str(GOLD.resolve())


def test_the_bundled_run_writes_every_gate_and_all_three_reports(
    bundled_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    _, out = bundled_run
    data = json.loads((out / "eval.json").read_text("utf-8"))
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
    flipped, other = first_cases("supported", 2)
    gold = small_gold(tmp_path, flipped, other)
    relabel(gold, flipped, "not_supported")
    out = tmp_path / "out"
    # A gates file that would let unsafe cases through: the hard gate in code still stops them.
    gates = tmp_path / "gates.yaml"
    gates.write_text("rules:\n  - {metric: unsafe, max: 5}\n  - {metric: verdict_accuracy, min: baseline}\n")
    p = run_here(str(gold), "--out", str(out), "--baseline", str(BASELINE), "--gates", str(gates))
    assert p.returncode == 1, p.stdout + p.stderr
    failed = [line for line in p.stderr.splitlines() if line.startswith("gate failed: ")]
    assert len(failed) == 2
    assert failed[0].startswith("gate failed: unsafe <= 0") and flipped in failed[0]
    assert failed[1].startswith("gate failed: verdict_accuracy >= baseline") and flipped in failed[1]
    assert other not in p.stderr
    first = p.stdout.splitlines()[0]
    assert (
        first == "Gold-set evaluation, rules extractor: REGRESSION: unsafe <= 0; verdict_accuracy >= baseline"
    )
    data = json.loads((out / "eval.json").read_text("utf-8"))
    assert data["scalars"]["unsafe"] == 1
    assert p.stdout.splitlines()[1].startswith(standing(data))
    assert "CHANGED since the baseline" in p.stdout
    assert re.search(rf"{re.escape(flipped)}\s+newly failing \(case file changed\)", p.stdout)
    md = (out / "eval.md").read_text("utf-8")
    assert "**REGRESSION: unsafe <= 0" in md and flipped in md and "PASS" not in md.splitlines()[2]
    page = (out / "eval.html").read_text("utf-8")
    assert f'id="case-{flipped}"' in page and "<mark" in page
    assert f'id="case-{other}"' not in page
    assert not re.search(r"https?://", page)


def test_update_baseline_accepts_a_change_deliberately(tmp_path: Path) -> None:
    flipped, *others = first_cases("not_supported", 3)
    gold = small_gold(tmp_path, flipped, *others)
    relabel(gold, flipped, "query")  # now a (safe) verdict miss
    baseline = tmp_path / "baselines" / "rules.json"
    # Only baseline-relative gates: what --update-baseline accepts (absolute ones still apply).
    gates = tmp_path / "gates.yaml"
    gates.write_text(
        "rules:\n  - {metric: verdict_accuracy, min: baseline}\n  - {metric: case_pass_rate, min: baseline}\n"
    )
    common = ["--out", str(tmp_path / "out"), "--gates", str(gates)]
    p = run_here(str(gold), *common, "--baseline", str(BASELINE))
    assert p.returncode == 1 and flipped in p.stderr
    assert "REGRESSION: verdict_accuracy >= baseline" in p.stdout.splitlines()[0]
    p = run_here(str(gold), *common, "--baseline", str(baseline), "--update-baseline")
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.splitlines()[0].endswith(": baseline updated; no gate failed")
    saved = json.loads(baseline.read_text("utf-8"))
    assert saved["extractor"] == "rules"
    assert sorted(saved["cases"]) == sorted([flipped, *others])
    assert saved["cases"][flipped] == {
        "verdict": "not_supported",
        "passed": False,
        "failed_checks": ["verdict"],
        "digest": saved["cases"][flipped]["digest"],
    }
    assert {"ruleset", "lexicon", "reviewer"} <= set(saved["versions"])
    p = run_here(str(gold), *common, "--baseline", str(baseline))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "unchanged since the baseline" in p.stdout
    assert not list(baseline.parent.glob(".*.tmp"))


def test_a_malformed_case_is_one_line_and_exit_2(tmp_path: Path) -> None:
    gold = small_gold(tmp_path, CASES[0].id, CASES[1].id)
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
    p = run_here(str(GOLD), "--gates", str(path), "--out", str(tmp_path / "out"))
    assert p.returncode == 2
    assert message in p.stderr and len(p.stderr.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_a_baseline_for_another_extractor_is_exit_2(tmp_path: Path) -> None:
    data = json.loads(BASELINE.read_text("utf-8"))
    data["extractor"] = "llm"
    path = tmp_path / "b.json"
    path.write_text(json.dumps(data))
    p = run_here(str(GOLD), "--baseline", str(path), "--out", str(tmp_path / "out"))
    assert p.returncode == 2 and "field extractor" in p.stderr
    path.write_text("{")
    p = run_here(str(GOLD), "--baseline", str(path), "--out", str(tmp_path / "out"))
    assert p.returncode == 2 and "not valid JSON" in p.stderr


def test_coverage_is_generated_from_the_case_files(tmp_path: Path) -> None:
    gold = small_gold(tmp_path, *(c.id for c in CASES))
    p = run(str(gold), "--coverage")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == str(gold / "COVERAGE.md")
    assert (gold / "COVERAGE.md").read_text("utf-8") == coverage_markdown(load_cases(gold))


@pytest.mark.parametrize("extractor", ["llm", "hybrid"])
def test_recorded_llm_eval_passes_its_gates(tmp_path: Path, extractor: str) -> None:
    """Offline: replays the recorded gold-set cassette against the checked-in baseline."""
    config = ROOT / "eval" / "llm-replay.toml"
    assert (ROOT / "eval" / "cassettes" / "llm-gold.yaml").is_file()
    assert (ROOT / "eval" / "baselines" / f"{extractor}.json").is_file()
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
    # Every recorded interaction was asked for: the cassette holds no stale recordings.
    assert json.loads((tmp_path / "eval.json").read_text())["cassette_unplayed"] == 0


def test_a_replay_that_leaves_recordings_unasked_fails(tmp_path: Path) -> None:
    """Two gold cases against the whole gold-set cassette: the other recordings went unasked, and
    the run fails (a cassette left behind by a changed prompt or model fails the same way)."""
    gold = tmp_path / "gold"
    gold.mkdir()
    for path in sorted(GOLD.glob("*.yaml"))[:2]:
        shutil.copy(path, gold / path.name)
    env = {**os.environ, "REVIEWER_LLM_CONFIG": str(ROOT / "eval" / "llm-replay.toml")}
    args = ["eval", str(gold), "--extractor", "llm", "--out", str(tmp_path / "out")]
    args += ["--baseline", str(tmp_path / "llm.json"), "--update-baseline"]
    p = subprocess.run(
        [sys.executable, "-m", "reviewer", *args], capture_output=True, text=True, cwd=ROOT, env=env
    )
    assert p.returncode == 1, p.stdout + p.stderr
    assert "gate failed: recorded LLM interactions unused <= 0" in p.stderr
    report = json.loads((tmp_path / "out" / "eval.json").read_text())
    assert report["cassette_unplayed"] > 100 and not report["passed"]
