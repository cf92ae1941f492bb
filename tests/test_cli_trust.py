"""Nothing left behind and nothing steering the terminal: a failed --out write leaves no
temporary file holding the report; ids and file names are echoed with control characters escaped."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reviewer.cli import app, write_atomically

ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "eval" / "samples" / "seed-fournier.txt"
ESC_ID = "x\x1b]0;pwned\x07\x1b[31my"


def run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "reviewer", *args], capture_output=True, cwd=ROOT)


def test_a_failed_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.mkdir()  # the final rename fails: a directory is in the way
    with pytest.raises(OSError):
        write_atomically(target, "PHI: the whole report")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]
    assert list(target.iterdir()) == []


def test_a_failed_out_from_the_cli_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "r.html"
    target.mkdir()
    result = CliRunner().invoke(app, ["check", str(SAMPLE), "--format", "html", "--out", str(target)])
    assert result.exit_code == 2 and "cannot write" in result.stderr and result.stderr.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]


def test_an_interrupted_write_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(self: object, target: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(tmp_path / "r.txt", "report")
    assert list(tmp_path.iterdir()) == []


def test_writes_replace_and_keep_permissions(tmp_path: Path) -> None:
    target = tmp_path / "r.txt"
    write_atomically(target, "one")
    assert target.read_text("utf-8") == "one" and (target.stat().st_mode & 0o777) == 0o600
    target.chmod(0o640)
    write_atomically(target, "two")
    assert target.read_text("utf-8") == "two" and (target.stat().st_mode & 0o777) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.txt"]


@pytest.mark.parametrize("output_format", ["text", "html", "json"])
def test_an_escape_sequence_in_the_id_is_never_echoed_raw(output_format: str) -> None:
    result = CliRunner().invoke(app, ["check", str(SAMPLE), "--id", ESC_ID, "--format", output_format])
    assert result.exit_code == 0
    assert b"\x1b" not in result.stdout_bytes and b"\x07" not in result.stdout_bytes
    if output_format != "json":
        assert "x\\x1b]0;pwned\\x07\\x1b[31my" in result.stdout


def test_control_characters_in_file_names_are_escaped_in_errors(tmp_path: Path) -> None:
    missing = tmp_path / "no\x1b[2Jte.txt"
    p = run("check", str(missing))
    assert p.returncode == 2
    err = p.stderr.decode()
    assert "\x1b" not in err and "no\\x1b[2Jte.txt" in err and err.count("\n") == 1


def test_control_characters_in_file_names_are_escaped_in_warnings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a short relative name: the report folds words longer than a line
    note = Path("cp\x1b[1m.txt")
    note.write_bytes("POSTOP DX: Fournier’s gangrene of the scrotum.".encode("cp1252"))
    result = CliRunner().invoke(app, ["check", str(note)])
    assert result.exit_code == 0
    assert b"\x1b" not in result.stdout_bytes and "cp\\x1b[1m.txt" in result.stdout


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_unwritable_folder_is_one_line(tmp_path: Path) -> None:  # pragma: no cover - CI runs as root
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    p = run("check", str(SAMPLE), "--out", str(folder / "r.txt"))
    assert p.returncode == 2 and list(folder.iterdir()) == []
