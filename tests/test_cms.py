"""CMS tables: packaged data, lookups in both orders, provenance, a user-supplied release."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from reviewer.rules.cms import CmsTables, PtpEdit, load_tables

PACKAGED = Path(str(resources.files("reviewer.data").joinpath("cms")))


@pytest.fixture(scope="module")
def tables() -> CmsTables:
    return load_tables()


def test_family_pair_has_indicator_0_in_both_orders(tables: CmsTables) -> None:
    expected = PtpEdit("11006", "11004", 0, "HCPCS/CPT procedure code definition")
    assert tables.ptp("11006", "11004") == expected
    assert tables.ptp("11004", "11006") == expected


def test_excisional_debridement_is_column_2_with_indicator_1(tables: CmsTables) -> None:
    edit = tables.ptp("11043", "11004")
    assert edit is not None
    assert (edit.column1, edit.column2, edit.modifier_indicator) == ("11004", "11043", 1)
    assert edit.rationale == "More extensive procedure"


def test_pair_without_edit_is_none(tables: CmsTables) -> None:
    # coding-rules §2.4: no active practitioner edit between 11004 and simple orchiectomy
    assert tables.ptp("11004", "54520") is None
    assert tables.ptp("11004", "11045") is None


def test_mue_addons_and_global_days(tables: CmsTables) -> None:
    assert tables.mue("11004") == 1
    assert tables.mue_mai("11004") == 2
    assert tables.mue("11045") == 12
    assert tables.mue("99999") is None
    assert tables.addon_primaries("11008") == frozenset({"10180", "11004", "11005", "11006"})
    assert tables.addon_primaries("11004") == frozenset()
    assert tables.global_days("11004") == "000"
    assert tables.global_days("11008") == "ZZZ"
    assert tables.global_days("54520") == "090"


def test_version_and_sources(tables: CmsTables) -> None:
    assert tables.version == "ncci-2024q3/pfs-2025"
    assert tables.source("ptp") == "NCCI PTP practitioner, effective 2024-07-01"
    assert tables.source("mue") == "NCCI MUE practitioner, effective 2024-07-01"
    assert tables.source("aoc") == "NCCI add-on code edits, effective 2024-06-03"
    with pytest.raises(KeyError, match="unknown CMS table"):
        tables.source("lcd")


def test_packaged_tables_are_cached() -> None:
    assert load_tables() is load_tables()


def test_packaged_csvs_are_the_shared_files_unchanged() -> None:
    shared = Path("/work/shared/data/cms")
    if not shared.is_dir():
        pytest.skip("shared reference data not present")
    for source in shared.glob("*.csv"):
        assert (PACKAGED / source.name).read_bytes() == source.read_bytes()


def test_manifest_names_every_file_with_effective_date_and_source() -> None:
    manifest = json.loads((PACKAGED / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["tables"].values():
        assert (PACKAGED / entry["file"]).is_file()
        assert entry["effective"] and entry["source"]


def test_user_supplied_release_directory(tmp_path: Path) -> None:
    release = tmp_path / "ncci-2024q4"
    shutil.copytree(PACKAGED, release)
    manifest_path = release / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["version"] = "ncci-2024q4/pfs-2025"
    manifest["tables"]["mue"]["effective"] = "2024-10-01"
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    mue = release / manifest["tables"]["mue"]["file"]
    mue.write_text(
        mue.read_text(encoding="utf-8").replace("11045,12,3,Clinical: Data", "11045,14,3,Clinical: Data"),
        encoding="utf-8",
    )

    newer = load_tables(release)

    assert newer.version == "ncci-2024q4/pfs-2025"
    assert newer.mue("11045") == 14
    assert newer.source("mue") == "NCCI MUE practitioner, effective 2024-10-01"
    assert newer.ptp("11004", "11006") is not None
    assert load_tables().mue("11045") == 12  # the packaged set is untouched


def test_directory_without_manifest_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"manifest\.json"):
        load_tables(tmp_path)


def test_missing_column_is_reported(tmp_path: Path) -> None:
    shutil.copytree(PACKAGED, tmp_path / "cms")
    (tmp_path / "cms" / "ncci_addon_11008.csv").write_text("addon,primary\n11008,11004\n")
    with pytest.raises(ValueError, match=r"ncci_addon_11008\.csv: missing column"):
        load_tables(tmp_path / "cms")


def test_import_reads_nothing() -> None:
    script = "import reviewer.rules.cms as cms\nassert cms._packaged_tables.cache_info().currsize == 0\n"
    subprocess.run([sys.executable, "-c", script], check=True, cwd=Path(__file__).parents[1])
