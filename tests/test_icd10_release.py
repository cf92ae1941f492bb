"""The SQLite cache of ICD-10-CM facts (reviewer/rules/icd10_release.py) answers exactly as
simple-icd-10-cm does, is built once and atomically, and spares later processes the import."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import simple_icd_10_cm as icd

from reviewer.evaluate.cases import load_cases
from reviewer.rules import icd10_release
from reviewer.rules.icd10_release import SqliteRelease, build, cache_name, source

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "eval" / "samples" / "seed-fournier.txt"
CODE = re.compile(r"\b[A-Z]\d[0-9A-Z](?:\.?[0-9A-Z]{1,4})?-?")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> SqliteRelease:
    version, release = source()
    path = tmp_path_factory.mktemp("cache") / cache_name(version, release)
    build(path, version, release)
    return SqliteRelease(path)


@pytest.fixture
def fresh_release() -> Iterator[None]:
    icd10_release.release.cache_clear()
    yield
    icd10_release.release.cache_clear()


def answers(api: Any, code: str) -> tuple[object, ...]:
    """Everything the reviewer asks about a code, errors included."""
    out: list[object] = [api.is_valid_item(code)]
    for name in ("is_leaf", "get_description", "get_ancestors", "get_excludes1"):
        try:
            out.append(getattr(api, name)(code))
        except ValueError as exc:
            out.append(("ValueError", str(exc)))
    return tuple(out)


def project_codes() -> set[str]:
    """Codes in the gold set's expectations, the ICD map, and forms a user may type."""
    codes = {code for case in load_cases(ROOT / "eval" / "gold") for code in case.expected.icd10}
    text = resources.files("reviewer.data").joinpath("icd10_map.yaml").read_text("utf-8")
    codes |= set(CODE.findall(text))
    variants = set()
    for code in codes:
        variants |= {code.replace(".", ""), code.rstrip("-"), code + "9", code[:3], code.lower()}
    return codes | variants | {"", "A0", "Z99.999", "N49.3X", "M72.6.", "1", "A00-A09", "C7A"}


def test_the_cache_answers_as_simple_icd_10_cm_for_the_project_codes(built: SqliteRelease) -> None:
    codes = project_codes()
    assert len(codes) > 50
    for code in sorted(codes):
        assert answers(built, code) == answers(icd, code), code


def test_the_cache_answers_as_simple_icd_10_cm_for_a_sample_of_the_release(built: SqliteRelease) -> None:
    every = icd.get_all_codes(with_dots=True)
    sample = random.Random(11004).sample(every, 2000)
    sample += [c.replace(".", "") for c in sample[:200]]
    for code in sample:
        assert answers(built, code) == answers(icd, code), code
    assert built.meta()["codes"] == str(len(set(every)))


def test_release_builds_once_then_reads_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_release: None
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = icd10_release.release()
    assert isinstance(first, SqliteRelease)
    assert first.path.parent == tmp_path / "op-note-reviewer"
    assert first.is_leaf("M72.6") and not first.is_leaf("M72")
    assert [p.name for p in first.path.parent.iterdir()] == [first.path.name]  # no temporary left
    stamp = first.path.stat().st_mtime_ns
    icd10_release.release.cache_clear()
    again = icd10_release.release()
    assert isinstance(again, SqliteRelease) and again.path.stat().st_mtime_ns == stamp


def test_a_broken_cache_file_is_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_release: None
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    version, release = source()
    path = tmp_path / "op-note-reviewer" / cache_name(version, release)
    path.parent.mkdir()
    path.write_bytes(b"SQLite format 3\x00 but cut short")
    rebuilt = icd10_release.release()
    assert isinstance(rebuilt, SqliteRelease) and rebuilt.get_description("M72.6") == "Necrotizing fasciitis"


def test_an_unwritable_cache_directory_falls_back_to_a_temporary_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_release: None
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    fallback = icd10_release.release()
    assert isinstance(fallback, SqliteRelease)
    assert fallback.path.parent.parent == tmp_path / "tmp"


def _without_clock(review_json: str) -> dict[str, object]:
    review: dict[str, Any] = json.loads(review_json)
    review["audit"].pop("created_at")
    return review


def _env(cache: Path) -> dict[str, str]:
    return {**os.environ, "XDG_CACHE_HOME": str(cache)}


def test_processes_building_at_once_get_a_whole_cache_and_later_ones_skip_the_import(tmp_path: Path) -> None:
    code = (
        "import sys; from reviewer.rules.icd10_release import release; r = release(); "
        "print(type(r).__name__, r.get_description('N49.3'), r.is_leaf('N49.3'), 'simple_icd_10_cm' in sys.modules)"
    )
    builders = [
        subprocess.Popen([sys.executable, "-c", code], env=_env(tmp_path), stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outs = {p.communicate(timeout=300)[0] for p in builders}
    assert outs == {"SqliteRelease Fournier gangrene True True\n"}  # both built (and imported)
    assert [p.suffix for p in (tmp_path / "op-note-reviewer").iterdir()] == [".sqlite3"]  # no temporary left

    check = [sys.executable, "-X", "importtime", "-m", "reviewer", "check", "--format", "json", str(SAMPLE)]
    later = subprocess.run(check, env=_env(tmp_path), capture_output=True, text=True, check=True)
    assert "simple_icd_10_cm" not in later.stderr
    assert "spacy" not in later.stderr
    assert '"code":"11004"' in later.stdout.replace(" ", "")
    fresh = subprocess.run(
        check[:1] + check[3:], env=_env(tmp_path / "other"), capture_output=True, text=True
    )
    # The same review with a cache built in that process (created_at aside: it is the clock).
    assert _without_clock(fresh.stdout) == _without_clock(later.stdout)
