"""The README's commands run as written: the quick start's two commands (the venv and pip steps
aside, which CI runs from a clean checkout), every command synopsis against the CLI's own
options, and the concrete examples."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text("utf-8")
BIN = Path(sys.executable).parent  # the running venv's bin: what `.venv/bin/` names in the README
SETUP = re.compile(r"^python3 -m venv \.venv && \.venv/bin/pip install -q (\S+|-e \S+) && ")


def quick_start() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```\n(.*?)\n```", section, flags=re.S)


def run_shell(command: str) -> subprocess.CompletedProcess[str]:
    """`command` with `.venv/bin/` meaning the running environment."""
    command = command.replace(".venv/bin/", f"{BIN}/")
    return subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_quick_start_is_two_commands_that_set_up_then_run() -> None:
    commands = quick_start()
    assert len(commands) == 2 and all("\n" not in c for c in commands)
    review, tests = commands
    installs = [m.group(1) if (m := SETUP.match(c)) else None for c in (review, tests)]
    assert installs == [".", '-e ".[dev]"']


def test_quick_start_main_job_reviews_the_sample() -> None:
    review = SETUP.sub("", quick_start()[0])
    p = run_shell(review)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[0] == "CPT 11004: SUPPORTED"
    assert p.stderr == ""


def test_quick_start_test_command_is_what_ci_runs_and_its_checks_pass() -> None:
    tests = quick_start()[1]
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert tests in ci.splitlines()  # CI runs the README's command, unchanged
    steps = SETUP.sub("", tests).split(" && ")
    assert steps[-1] == ".venv/bin/pytest"
    for step in steps[:-1]:  # the lint, format and type checks; pytest is this run
        p = run_shell(step)
        assert p.returncode == 0, f"{step}: {p.stdout[-2000:]}{p.stderr[-2000:]}"


def synopses() -> list[tuple[str, list[str]]]:
    """Each indented `reviewer VERB ...` synopsis line (with its continuation lines) and the
    options it names."""
    found: list[tuple[str, list[str]]] = []
    lines = README.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^    reviewer ([a-z]+) ", line)
        if not m:
            continue
        text = line
        for more in lines[i + 1 :]:
            if not re.match(r"^ {6,}\[", more):
                break
            text += " " + more
        found.append((m.group(1), sorted(set(re.findall(r"--[a-z][a-z-]+", text)))))
    return found


def test_every_synopsis_names_options_the_cli_has() -> None:
    found = synopses()
    assert {verb for verb, _ in found} >= {"check", "serve", "mask", "explain", "eval", "batch"}
    for verb, options in found:
        help_text = subprocess.run(
            [sys.executable, "-m", "reviewer", verb, "--help"], capture_output=True, text=True, cwd=ROOT
        ).stdout
        missing = [o for o in options if not re.search(rf"{re.escape(o)}\b", help_text)]
        assert not missing, f"reviewer {verb}: README names {missing}, absent from --help"


def test_python_example_runs() -> None:
    snippet = re.search(r"From Python: `([^`]+)`", README)
    assert snippet is not None
    text = (ROOT / "eval" / "samples" / "seed-fournier.txt").read_text("utf-8")
    scope: dict[str, object] = {"text": text}
    statements = snippet.group(1).split("; ")
    exec("; ".join(statements[:-1]) + f"; result = {statements[-1]}", scope)
    assert scope["result"].decision.verdict.value == "supported"  # type: ignore[attr-defined]


def test_version_example_has_the_documented_shape() -> None:
    example = re.search(r"e\.g\. `(op-note-reviewer [^`]+)`", README)
    assert example is not None
    shape = r"\d+(?:\.\d+)*".join(re.escape(part) for part in re.split(r"\d+(?:\.\d+)*", example.group(1)))
    p = run_shell(".venv/bin/reviewer --version")
    assert p.returncode == 0 and re.fullmatch(shape, p.stdout.strip()), p.stdout


def test_review_then_explain_and_mask_examples(tmp_path: Path) -> None:
    """`reviewer check --format json` then `reviewer explain REVIEW.json` (the decision path,
    matching), and `reviewer mask NOTE_FILE`, as the README shows them."""
    sample = ROOT / "eval" / "samples" / "seed-fournier.txt"
    stored = tmp_path / "review.json"
    p = run_shell(f".venv/bin/reviewer check {shlex.quote(str(sample))} --format json --out {stored}")
    assert p.returncode == 0, p.stderr
    assert json.loads(stored.read_text("utf-8"))["decision"]["verdict"] == "supported"
    explained = run_shell(f".venv/bin/reviewer explain {stored}")
    assert explained.returncode == 0, explained.stderr
    assert explained.stdout.splitlines()[-1].startswith("Result: MATCH")
    masked = run_shell(f".venv/bin/reviewer mask {shlex.quote(str(sample))} --note-only")
    assert masked.returncode == 0, masked.stderr
    assert masked.stdout.startswith("OPERATIVE REPORT")


def test_layout_names_every_package_and_top_level_module() -> None:
    layout = README.split("## Layout", 1)[1].split("```", 2)[1]
    package = ROOT / "reviewer"
    packages = {p.name + "/" for p in package.iterdir() if (p / "__init__.py").is_file()}
    modules = {p.name for p in package.glob("*.py")} - {"__init__.py", "__main__.py"}
    missing = sorted(name for name in packages | modules if name not in layout)
    assert missing == [], f"README's layout does not name {missing}"
