"""`reviewer check` as a user runs it: a real process, real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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
    assert out.lstrip().startswith("CPT 11004")
    assert "SUPPORTED" in out.splitlines()[0].upper()


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
