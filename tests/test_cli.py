"""`reviewer check` as a user runs it: a real process, real files."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

import reviewer
from reviewer.extract.llm import LlmConfig
from reviewer.terminal import text_width

ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "eval" / "samples" / "seed-fournier.txt"


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "reviewer", *args], input=stdin, capture_output=True, cwd=ROOT
    )


def test_readme_quick_start_reviews_the_sample() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "reviewer check eval/samples/seed-fournier.txt" in readme
    p = run("check", str(SAMPLE))
    assert p.returncode == 0
    out = p.stdout.decode()
    assert out.splitlines()[0] == "CPT 11004: SUPPORTED"
    # Piped: 80 columns, plain text (no colour codes, no box drawing), offsets left to the JSON.
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "\x1b" not in out and not re.search(r"[\u2500-\u259f]", out)
    assert not re.search(r"\bchars \d", out)
    assert "(description)" in out
    # --width: the same words, none split (the footer's " | " separators fall at line ends).
    wide = run("check", str(SAMPLE), "--width", "120").stdout.decode()
    assert 80 < max(len(line) for line in wide.splitlines()) <= 120
    assert out.replace("|", " ").split() == wide.replace("|", " ").split()


def test_a_width_too_narrow_to_read_is_refused() -> None:
    p = run("check", str(SAMPLE), "--width", "10")
    assert p.returncode == 2 and b"--width" in p.stderr


def test_text_width_follows_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    assert text_width(None, to_terminal=True) == 100
    monkeypatch.setenv("COLUMNS", "300")
    assert text_width(None, to_terminal=True) == 120
    assert text_width(None, to_terminal=False) == 80
    assert text_width(64, to_terminal=True) == 64


def test_version_names_tool_ruleset_and_lexicon() -> None:
    p = run("--version")
    assert p.returncode == 0 and p.stderr == b""
    line = p.stdout.decode().strip()
    ruleset = yaml.safe_load((ROOT / "reviewer" / "data" / "ruleset_v1.yaml").read_text("utf-8"))["version"]
    lexicon = yaml.safe_load((ROOT / "reviewer" / "data" / "lexicon.yaml").read_text("utf-8"))["version"]
    assert line == f"op-note-reviewer {reviewer.__version__} (ruleset {ruleset}, lexicon {lexicon})"


def test_help_shows_boolean_flags_as_flags() -> None:
    for args in ([], ["check"], ["eval"]):
        p = run(*args, "--help")
        out = p.stdout.decode()
        assert p.returncode == 0 and "--help" in out
        assert "<bool>" not in out and not re.search(r"[\u2500-\u259f]", out)
    eval_help = run("eval", "--help").stdout.decode()
    assert re.search(r"^  --update-baseline +Accept", eval_help, re.M)
    assert re.search(r"^  --coverage +Only", eval_help, re.M)


def test_llm_libraries_are_core_dependencies() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    core = {re.split(r"[<>=!~\[ ]", d, maxsplit=1)[0] for d in project["dependencies"]}
    assert {"openai", "instructor", "tenacity", "httpx"} <= core
    assert project["optional-dependencies"]["llm"] == []


def test_readme_links_stay_in_the_repository_and_its_endpoint_examples_load() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    prose = re.sub(r"```.*?```", "", readme, flags=re.S)
    prose = re.sub(r"`[^`]*`", "", prose)
    prose = "\n".join(line for line in prose.splitlines() if not line.startswith("    "))
    assert not re.search(r"https?://|www\.", prose)
    assert "../" not in readme
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme):
        assert (ROOT / target).is_file(), target
    assert (ROOT / "docs" / "decision-policy.md").is_file()
    blocks = re.findall(r"```toml\n(.*?)```", readme, flags=re.S)
    assert len(blocks) >= 5
    for block in blocks:
        config = tomllib.loads(block)["llm"]
        loaded = LlmConfig.load(env={**{f"REVIEWER_LLM_{k.upper()}": str(v) for k, v in config.items()}})
        assert loaded.model == config["model"]
    assert "[--update-baseline]" in readme and "--update-baseline BOOL" not in readme
    for option in ("--id", "--version", "[test]"):
        assert option in readme


def test_json_is_exactly_one_review_object() -> None:
    p = run("check", str(SAMPLE), "--format", "json", "--sex", "M", "--claimed", "11004,N49.3")
    assert p.returncode == 0 and p.stderr == b""
    data = json.loads(p.stdout)
    assert data["decision"]["verdict"] == "supported"
    assert data["note_id"] == "seed-fournier"


def test_stdin_and_html(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    p = run("check", "-", "--format", "html", "--out", str(out), stdin=SAMPLE.read_bytes())
    assert p.returncode == 0
    html = out.read_text("utf-8")
    assert html.startswith("<!DOCTYPE html>") or html.lower().startswith("<!doctype html>")
    assert "<mark" in html


def test_cp1252_note_is_reviewed_with_a_warning(tmp_path: Path) -> None:
    note = tmp_path / "cp.txt"
    note.write_bytes(
        "POSTOP DX: Fournier’s gangrene of the scrotum.\nPROCEDURE: Necrotic scrotal fascia was sharply excised.".encode(
            "cp1252"
        )
    )
    p = run("check", str(note), "--format", "json")
    assert p.returncode == 0
    data = json.loads(p.stdout)
    assert data["decision"]["verdict"] == "supported"
    assert any("cp1252" in w for w in data["warnings"])


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"", "empty"),
        ("binary.bin", bytes(range(256)) * 20, "binary"),
        ("huge.txt", b"Fournier gangrene debrided. " * 190_000, "MB"),
        ("missing.txt", None, "no such file"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(
    tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    p = run("check", str(path), "--format", "json")
    err = p.stderr.decode()
    assert p.returncode == 2
    assert p.stdout == b""
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_bad_options_are_one_line() -> None:
    for args in (["--sex", "X"], ["--claimed", "11004,banana"]):
        p = run("check", str(SAMPLE), *args)
        assert p.returncode == 2
        assert p.stderr.decode().count("\n") == 1


def test_out_file_is_not_corrupted_by_a_failed_run(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    assert run("check", str(SAMPLE), "--format", "json", "--out", str(out)).returncode == 0
    before = out.read_text()
    assert run("check", str(tmp_path / "missing.txt"), "--format", "json", "--out", str(out)).returncode == 2
    assert out.read_text() == before


def test_llm_extractor_not_configured_is_one_line(tmp_path: Path) -> None:
    env = {
        k: v for k, v in __import__("os").environ.items() if not k.startswith(("REVIEWER_LLM_", "OPENAI_"))
    }
    p = subprocess.run(
        [sys.executable, "-m", "reviewer", "check", str(SAMPLE), "--extractor", "llm"],
        capture_output=True,
        cwd=ROOT,
        env=env,
    )
    assert p.returncode == 2
    err = p.stderr.decode()
    assert err.count("\n") == 1 and "REVIEWER_LLM_MODEL" in err


def test_unreachable_llm_prints_the_review_and_exits_3() -> None:
    env = {
        **{
            k: v
            for k, v in __import__("os").environ.items()
            if not k.startswith(("REVIEWER_LLM_", "OPENAI_"))
        },
        "REVIEWER_LLM_BASE_URL": "http://127.0.0.1:9/v1",
        "REVIEWER_LLM_MODEL": "any",
        "REVIEWER_LLM_TRANSPORT_ATTEMPTS": "1",
    }
    p = subprocess.run(
        [sys.executable, "-m", "reviewer", "check", str(SAMPLE), "--extractor", "llm", "--format", "json"],
        capture_output=True,
        cwd=ROOT,
        env=env,
    )
    assert p.returncode == 3
    assert "could not be reached" in p.stderr.decode() and p.stderr.decode().count("\n") == 1
    data = json.loads(p.stdout)
    assert data["decision"]["verdict"] == "query" and data["error"]
    text = subprocess.run(
        [sys.executable, "-m", "reviewer", "check", str(SAMPLE), "--extractor", "llm", "--claimed", "11004"],
        capture_output=True,
        cwd=ROOT,
        env=env,
    )
    assert text.returncode == 3
    out = text.stdout.decode()
    assert out.splitlines()[0] == f"REVIEW FAILED: {data['error']}"
    assert "QUERY THE SURGEON" not in out and "physician query" not in out.lower()
    assert "Nothing was extracted from the note." in out


def test_explain_says_in_one_line_why_a_file_is_not_a_review(tmp_path: Path) -> None:
    missing = run("explain", str(tmp_path / "missing.json"))
    assert missing.returncode == 2 and missing.stdout == b""
    assert (
        missing.stderr.decode()
        == f"reviewer: error: {tmp_path / 'missing.json'}: cannot read (No such file or directory)\n"
    )
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({"schema_version": "1.1.0"}), encoding="utf-8")
    bad = run("explain", str(partial))
    err = bad.stderr.decode()
    assert bad.returncode == 2 and err.count("\n") == 1
    assert err.startswith(f"reviewer: error: {partial}: not a Review: note_id: ")
