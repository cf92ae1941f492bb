"""Every input format, on realistic sample files made by eval/samples/make_formats.py from the
bundled sample note; and the refusals of everything else, one line each naming the format."""

from __future__ import annotations

import base64
import importlib.util
import io
import json
import os
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from reviewer.extract import get_extractor
from reviewer.inputs import (
    MAX_NOTE_BYTES,
    NoteDocument,
    NoteInputError,
    parse_document,
    read_document,
)
from reviewer.inputs._read import read_source
from reviewer.pipeline import review_with

ROOT = Path(__file__).parent.parent
SEED = ROOT / "eval" / "samples" / "seed-fournier.txt"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_formats", ROOT / "eval" / "samples" / "make_formats.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    made: dict[str, Path] = _generator().make_samples(tmp_path_factory.mktemp("formats"))
    return made


def _lines(text: str) -> list[str]:
    """Non-blank lines, whitespace squeezed, typographic apostrophes folded."""
    out = []
    for line in text.replace("\u2019", "'").splitlines():
        squeezed = " ".join(line.split())
        if squeezed:
            out.append(squeezed)
    return out


SEED_LINES = _lines(SEED.read_text("utf-8"))

# file -> (format, sex, date of service)
EXPECTED = {
    "note-utf8-bom.txt": ("text", None, None),
    "note-utf16.txt": ("text", None, None),
    "note-cp1252.txt": ("text", None, None),
    "note.rtf": ("rtf", None, None),
    "note.docx": ("docx", None, None),
    "note.pdf": ("pdf", None, None),
    "note-documentreference.json": ("fhir", "M", "2024-04-02"),
    "note-bundle.json": ("fhir", "M", "2024-04-02"),
    "note-mdm.hl7": ("hl7", "M", "2024-04-02"),
    "note-oru-rtf.hl7": ("hl7", "M", "2024-04-02"),
}


def test_the_generator_makes_every_format(samples: dict[str, Path]) -> None:
    assert set(samples) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_format_gives_the_note_text_and_context(samples: dict[str, Path], name: str) -> None:
    doc = read_document(str(samples[name]))
    fmt, sex, date = EXPECTED[name]
    assert (doc.format, doc.sex, doc.date_of_service) == (fmt, sex, date)
    lines = _lines(doc.text)
    # PDF wraps long lines and every page format adds a letterhead: compare words in order.
    if fmt in ("pdf", "docx"):
        assert " ".join(SEED_LINES) in " ".join(lines)
    else:
        assert lines == SEED_LINES
    assert all("\n" not in w for w in doc.warnings)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_format_is_reviewed_like_the_sample(samples: dict[str, Path], name: str) -> None:
    doc = read_document(str(samples[name]))
    result = review_with(get_extractor("rules"), doc.text, sex=doc.sex)
    assert result.decision.verdict == "supported"
    assert [c.code for c in result.decision.recommended_codes if c.role == "primary"] == ["11004"]


def test_check_takes_sex_and_date_from_an_hl7_message(samples: dict[str, Path]) -> None:
    p = subprocess.run(
        [sys.executable, "-m", "reviewer", "check", str(samples["note-mdm.hl7"]), "--format", "json"],
        capture_output=True,
        cwd=ROOT,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr.decode()
    data = json.loads(p.stdout)
    assert data["decision"]["verdict"] == "supported"
    assert any("patient sex M" in w and "2024-04-02" in w for w in data["warnings"])


def test_a_given_sex_that_contradicts_the_message_is_noted() -> None:
    doc = NoteDocument(text="x", format="hl7", name="n.hl7", sex="M", date_of_service="2024-04-02")
    notes = doc.context_notes("F")
    assert notes == [
        "n.hl7: date of service 2024-04-02 taken from the HL7 v2 message",
        "n.hl7: sex F was given, but the message says M",
    ]
    assert doc.context_notes(None) == [
        "n.hl7: patient sex M and date of service 2024-04-02 taken from the HL7 v2 message"
    ]


def test_check_refuses_dev_zero_at_the_limit() -> None:
    p = subprocess.run(
        [sys.executable, "-m", "reviewer", "check", "/dev/zero"], capture_output=True, cwd=ROOT, timeout=60
    )
    assert p.returncode == 2
    err = p.stderr.decode()
    assert err.count("\n") == 1 and "limit" in err and "Traceback" not in err


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "note.fifo"
    os.mkfifo(path)
    yield path


def _write_fifo(path: Path, data: bytes) -> threading.Thread:
    def write() -> None:
        try:
            with path.open("wb") as stream:
                stream.write(data)
        except BrokenPipeError:
            pass  # the reader stopped at its limit

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def test_a_fifo_is_read_like_a_file(fifo: Path) -> None:
    writer = _write_fifo(fifo, SEED.read_bytes())
    doc = read_document(str(fifo))
    writer.join(5)
    assert _lines(doc.text) == SEED_LINES


def test_a_fifo_is_read_with_the_same_bound(fifo: Path) -> None:
    writer = _write_fifo(fifo, b"x" * 50_000)
    with pytest.raises(NoteInputError, match="limit"):
        read_source(str(fifo), limit=10_000)
    writer.join(5)


def test_an_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as f:
        f.truncate(MAX_NOTE_BYTES + 1)  # sparse: nothing is written to disk
    with pytest.raises(NoteInputError, match=r"MB; the limit is 4\.0 MB"):
        read_document(str(big))


def test_utf16_without_bom_and_big_endian_with_bom() -> None:
    text = "Fournier’s gangrene: necrotic fascia excised from the scrotum."
    doc = parse_document("a.txt", text.encode("utf-16-le"))
    assert doc.text == text and "UTF-16-LE" in doc.warnings[0]
    doc = parse_document("b.txt", b"\xfe\xff" + text.encode("utf-16-be"))
    assert doc.text == text and doc.warnings == []


def test_fhir_text_attachment_charset_is_honoured() -> None:
    text = "Fournier’s gangrene; fascia excised."
    resource = {
        "resourceType": "DocumentReference",
        "status": "current",
        "content": [
            {"attachment": {"contentType": "application/pdf", "url": "https://example.org/x.pdf"}},
            {
                "attachment": {
                    "contentType": "text/plain; charset=windows-1252",
                    "data": base64.b64encode(text.encode("cp1252")).decode(),
                }
            },
        ],
    }
    doc = parse_document("n.json", json.dumps(resource).encode())
    assert doc.text == text and doc.sex is None and doc.date_of_service is None


def _docref(**content: object) -> dict[str, object]:
    return {"resourceType": "DocumentReference", "status": "current", "content": [{"attachment": content}]}


def _zip(names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name in names:
            z.writestr(name, "x")
    return buffer.getvalue()


def _hl7(*segments: str) -> bytes:
    head = "MSH|^~\\&|A|B|C|D|20240402||{}|1|P|2.5"
    return "\r".join([head.format(segments[0]), *segments[1:]]).encode()


REFUSED: list[tuple[str, bytes, str]] = [
    ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "legacy Word .doc"),
    ("renamed.txt", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "legacy Microsoft Office"),
    ("scan.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "PNG image"),
    ("scan", b"\xff\xd8\xff\xe0" + b"\x00" * 100, "JPEG image"),
    ("note.odt", _zip(["mimetype", "content.xml"]), "OpenDocument"),
    ("note.zip", _zip(["a.txt"]), "ZIP archive"),
    ("sheet.bin", _zip(["xl/workbook.xml"]), "Excel workbook"),
    ("cut.docx", b"PK\x03\x04" + b"\x00" * 30, "damaged ZIP"),
    ("page.html", b"<html><body>Fournier</body></html>", "HTML page"),
    ("page", b"<!DOCTYPE html><html><body>Fournier</body></html>", "HTML page"),
    ("cda", b'<?xml version="1.0"?><ClinicalDocument/>', "XML document"),
    ("notes.csv", b"id,text\n1,Fournier", "CSV table"),
    ("data.json", b'{"note": "Fournier gangrene"}', "not a FHIR DocumentReference"),
    ("patient.json", json.dumps({"resourceType": "Patient", "gender": "male"}).encode(), "FHIR Patient"),
    ("bad.json", b'{"resourceType": "DocumentReference", ', "is not valid JSON"),
    ("url.json", json.dumps(_docref(contentType="text/plain", url="https://x/y")).encode(), "a URL"),
    (
        "html.json",
        json.dumps(_docref(contentType="text/html", data=base64.b64encode(b"<p>x</p>").decode())).encode(),
        "text/html, which is not read",
    ),
    (
        "two.json",
        json.dumps(
            {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [
                    {"resource": _docref(contentType="text/plain", data="eA==")},
                    {"resource": _docref(contentType="text/plain", data="eA==")},
                ],
            }
        ).encode(),
        "2 DocumentReferences",
    ),
    ("adt.hl7", _hl7("ADT^A01", "PID|1||123||DOE^J||19600101|M"), "HL7 ADT message"),
    ("empty.hl7", _hl7("MDM^T02", "PID|1||123||DOE^J||19600101|M"), "no OBX segment"),
    ("two.hl7", _hl7("MDM^T02", "OBX|1|TX|||x") + b"\r" + _hl7("MDM^T02", "OBX|1|TX|||y"), "batch of 2"),
    ("fake.pdf", b"Fournier gangrene, fascia excised.", "the name says PDF"),
    ("broken.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 20, "not a readable PDF"),
    ("fake.docx", b"Fournier gangrene, fascia excised.", "the name says Word"),
]


@pytest.mark.parametrize(("name", "data", "message"), REFUSED, ids=[r[0] for r in REFUSED])
def test_anything_else_is_refused_in_one_line_naming_the_format(name: str, data: bytes, message: str) -> None:
    with pytest.raises(NoteInputError) as info:
        parse_document(name, data)
    text = str(info.value)
    assert message in text
    assert text.startswith(f"{name}") and "\n" not in text


def test_a_pdf_without_a_text_layer_is_refused() -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")  # a "scan": marks on the page, no text
    with pytest.raises(NoteInputError, match="no text layer"):
        parse_document("scan.pdf", bytes(pdf.output()))


def test_a_docx_that_would_inflate_past_the_limit_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"\x00" * 70_000_000)
    data = buffer.getvalue()
    assert len(data) < MAX_NOTE_BYTES
    with pytest.raises(NoteInputError, match="unpacks to 70 MB"):
        parse_document("bomb.docx", data)
