"""Batch input: folder, .jsonl and .csv readers; bad rows become error rows, never a stop."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from reviewer.batch.rows import count_rows, read_document, read_rows
from reviewer.inputs import MAX_NOTE_CHARS, NoteInputError

NOTE = "Fournier's gangrene of the scrotum; necrotic fascia was excised."


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_csv_rows_keep_pass_through_columns_and_parse_the_claim(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "in.csv",
        [
            {
                "id": "A1",
                "text": NOTE,
                "sex": "m",
                "claimed_codes": "11004; 11043-XS, N49.3",
                "date_of_service": "2025-02-03",
                "encounter_id": "E-77",
                "payer": "Medicare",
            }
        ],
    )
    [row] = list(read_rows(path))
    assert row.error is None and row.text == NOTE
    assert row.claimed_codes == ["11004", "11043-XS", "N49.3"]
    assert row.date_of_service == "2025-02-03" and row.sex == "m"
    assert row.columns == {"encounter_id": "E-77", "payer": "Medicare"}
    assert count_rows(path) == 1


def test_bad_csv_rows_become_error_rows_and_the_rest_go_on(tmp_path: Path) -> None:
    base = {"sex": "F", "claimed_codes": "11004", "payer": "X"}
    path = write_csv(
        tmp_path / "in.csv",
        [
            {"id": "empty", "text": "   ", **base},
            {"id": "sex", "text": NOTE, **{**base, "sex": "unknown-ish"}},
            {"id": "code", "text": NOTE, **{**base, "claimed_codes": "11004, ??"}},
            {"id": "big", "text": "a" * (MAX_NOTE_CHARS + 1), **base},
            {"id": "", "text": NOTE, **base},
            {"id": "ok", "text": NOTE, **base},
            {"id": "ok", "text": NOTE, **base},
        ],
    )
    rows = list(read_rows(path))
    errors = {r.id: r.error for r in rows}
    assert [r.id for r in rows] == ["empty", "sex", "code", "big", "row-5", "ok", "ok#row7"]
    assert errors["ok"] is None
    for key in ("empty", "sex", "code", "big", "row-5", "ok#row7"):
        message = errors[key]
        assert message and "\n" not in message, key
    assert "empty" in str(errors["empty"]) and "sex" in str(errors["sex"])
    assert "'??'" in str(errors["code"]) and "limit" in str(errors["big"])
    assert "duplicate id 'ok'" in str(errors["ok#row7"])
    # Pass-through columns survive on error rows too.
    assert all(r.columns["payer"] == "X" for r in rows)


def test_csv_without_text_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("id,note\n1,x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no text column"):
        list(read_rows(path))


def test_jsonl_rows_with_a_bad_line_and_no_claim(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    lines = [
        json.dumps({"id": "a", "text": NOTE, "claimed_codes": ["11004"], "surgeon": "Dr B"}),
        "{not json",
        json.dumps({"id": "b", "text": NOTE}),
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    rows = list(read_rows(path))
    assert [r.id for r in rows] == ["a", "line-2", "b"]
    assert rows[0].claimed_codes == ["11004"] and rows[0].columns == {"surgeon": "Dr B"}
    assert rows[1].error == "line 2: not valid JSON"
    assert rows[2].claimed_codes is None  # no claim given: nothing to compare with
    assert count_rows(path) == 3


def test_folder_rows_use_the_file_stem_and_report_unreadable_files(tmp_path: Path) -> None:
    (tmp_path / "n1.txt").write_text(NOTE, encoding="utf-8")
    (tmp_path / "n2.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "n3.txt").write_bytes("Fournier\u2019s gangrene, caf\xe9".encode("cp1252"))
    (tmp_path / "ignored.json").write_text("{}", encoding="utf-8")
    rows = {r.id: r for r in read_rows(tmp_path)}
    assert sorted(rows) == ["n1", "n2", "n3"]
    assert rows["n1"].text == NOTE and rows["n1"].error is None
    assert "binary" in str(rows["n2"].error)
    assert rows["n3"].warnings and "cp1252" in rows["n3"].warnings[0]
    assert count_rows(tmp_path) == 3


def test_read_document_maps_a_path_to_text_and_warnings(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(NOTE, encoding="utf-8")
    assert read_document(path) == (NOTE, [])
    with pytest.raises(NoteInputError, match="unsupported file type"):
        read_document(tmp_path / "a.docx")
