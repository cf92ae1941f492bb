"""Write the bundled sample note in every input format a hospital system may send it in.

    .venv/bin/python eval/samples/make_formats.py [--out eval/samples/formats]

Each file wraps the same synthetic note (eval/samples/seed-fournier.txt) the way its source
system would: Windows Notepad text (UTF-8 with BOM, UTF-16, Windows-1252 with curly quotes and
CRLF line ends), a WordPad-style RTF, a Word .docx with a patient header table, a printed PDF
(fpdf2, a real text layer), a FHIR R4 DocumentReference and a FHIR Bundle (base64 attachments),
an HL7 v2 MDM^T02 (one OBX per line) and an ORU^R01 carrying the RTF as an encapsulated document.
The patient is invented (sex M, date of service 2024-04-02). Needs python-docx and fpdf2
(the `test` extra).
"""

from __future__ import annotations

import argparse
import base64
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = HERE / "seed-fournier.txt"
DATE_OF_SERVICE = "2024-04-02"
SEX = "M"

_PATIENT = {"family": "Testpatient", "given": "Alex", "mrn": "MRN00412977", "birth": "1966-03-14"}
# The note as typed in a word processor: typographic apostrophes and dashes.
_TYPOGRAPHIC = str.maketrans({"'": "\u2019"})


def seed_note() -> str:
    return SEED.read_text("utf-8")


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def write_text_variants(note: str, out: Path) -> list[Path]:
    typographic = note.translate(_TYPOGRAPHIC)
    files = {
        "note-utf8-bom.txt": b"\xef\xbb\xbf" + _crlf(typographic).encode("utf-8"),
        "note-utf16.txt": _crlf(typographic).encode("utf-16"),  # BOM + little-endian, as Notepad's "Unicode"
        "note-cp1252.txt": _crlf(typographic).encode("cp1252"),
    }
    paths = []
    for name, data in files.items():
        (out / name).write_bytes(data)
        paths.append(out / name)
    return paths


def rtf_document(note: str) -> bytes:
    """RTF as WordPad writes it: code page 1252, \\'92 for a curly apostrophe, bold headings."""

    def escape(line: str) -> str:
        out = []
        for ch in line:
            if ch in "\\{}":
                out.append("\\" + ch)
            elif ord(ch) < 128:
                out.append(ch)
            else:
                code = ch.encode("cp1252", errors="replace")[0]
                out.append(f"\\'{code:02x}")
        return "".join(out)

    body = []
    for line in note.translate(_TYPOGRAPHIC).splitlines():
        head, sep, rest = line.partition(":")
        if sep and head.isupper():
            body.append(f"\\b {escape(head)}:\\b0  {escape(rest.strip())}\\par")
        else:
            body.append(f"{escape(line)}\\par")
    header = (
        "{\\rtf1\\ansi\\ansicpg1252\\deff0\\nouicompat\\deflang1033"
        "{\\fonttbl{\\f0\\fnil\\fcharset0 Calibri;}}\n"
        "{\\colortbl ;\\red0\\green0\\blue0;}\n"
        "{\\*\\generator Riched20 10.0.19041}\\viewkind4\\uc1 \n"
        "\\pard\\sa200\\sl276\\slmult1\\f0\\fs22\\lang9 "
    )
    return (header + "\n".join(body) + "\n}\n").encode("ascii")


def docx_document(note: str, path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("Operative Report", level=1)
    table = document.add_table(rows=3, cols=2)
    for row, (label, value) in zip(
        table.rows,
        [
            ("Patient", f"{_PATIENT['family'].upper()}, {_PATIENT['given']}"),
            ("MRN", _PATIENT["mrn"]),
            ("Date of service", DATE_OF_SERVICE),
        ],
        strict=True,
    ):
        row.cells[0].text, row.cells[1].text = label, value
    for line in note.translate(_TYPOGRAPHIC).splitlines():
        paragraph = document.add_paragraph()
        head, sep, rest = line.partition(":")
        if sep and head.isupper():
            paragraph.add_run(head + ":").bold = True
            paragraph.add_run(" " + rest.strip())
        else:
            paragraph.add_run(line)
    document.save(str(path))


def pdf_document(note: str, path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF(format="letter")
    pdf.set_title("Operative Report")
    pdf.set_creator("Synthetic EHR print service")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 8, "General Hospital - Department of Surgery", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(
        0,
        6,
        f"Patient: {_PATIENT['family'].upper()}, {_PATIENT['given']}   MRN: {_PATIENT['mrn']}   "
        f"Date of service: {DATE_OF_SERVICE}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 10.5)
    for paragraph in note.split("\n"):
        pdf.multi_cell(0, 5.5, paragraph or " ", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(-15)
    pdf.set_font("Helvetica", "I", 8)
    pdf.cell(0, 5, "Electronically signed. Page 1 of 1", align="C")
    pdf.output(str(path))


def _patient_resource(resource_id: str) -> dict[str, object]:
    return {
        "resourceType": "Patient",
        "id": resource_id,
        "identifier": [{"system": "urn:oid:2.16.840.1.113883.19.5", "value": _PATIENT["mrn"]}],
        "name": [{"family": _PATIENT["family"], "given": [_PATIENT["given"]]}],
        "gender": "male" if SEX == "M" else "female",
        "birthDate": _PATIENT["birth"],
    }


def _document_reference(note: str, subject: str, contained: list[dict[str, object]]) -> dict[str, object]:
    resource: dict[str, object] = {
        "resourceType": "DocumentReference",
        "id": "op-note-1",
        "status": "current",
        "docStatus": "final",
        "type": {
            "coding": [
                {"system": "http://loinc.org", "code": "11504-8", "display": "Surgical operation note"}
            ]
        },
        "subject": {"reference": subject},
        "date": f"{DATE_OF_SERVICE}T14:12:00-05:00",
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain; charset=utf-8",
                    "language": "en-US",
                    "data": base64.b64encode(note.encode("utf-8")).decode("ascii"),
                    "title": "Operative report",
                }
            }
        ],
        "context": {"period": {"start": f"{DATE_OF_SERVICE}T08:05:00-05:00"}},
    }
    if contained:
        resource["contained"] = contained
    return resource


def fhir_document_reference(note: str) -> bytes:
    resource = _document_reference(note, "#pat", [_patient_resource("pat")])
    return json.dumps(resource, indent=2).encode("utf-8")


def fhir_bundle(note: str) -> bytes:
    patient_url = "urn:uuid:6b3f9f1e-2d2a-4c55-9a55-3f0f6f3d7c11"
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": patient_url, "resource": _patient_resource("6b3f9f1e")},
            {
                "fullUrl": "urn:uuid:0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
                "resource": _document_reference(note, patient_url, []),
            },
        ],
    }
    return json.dumps(bundle, indent=2).encode("utf-8")


def _hl7_escape(text: str) -> str:
    return (
        text.replace("\\", "\\E\\")
        .replace("|", "\\F\\")
        .replace("^", "\\S\\")
        .replace("&", "\\T\\")
        .replace("~", "\\R\\")
    )


def _hl7_header(kind: str, control: str) -> list[str]:
    day = DATE_OF_SERVICE.replace("-", "")
    return [
        f"MSH|^~\\&|EPIC|GENHOSP|CODING|GENHOSP|{day}141500||{kind}|{control}|P|2.5.1|||AL|NE||UNICODE UTF-8",
        f"PID|1||{_PATIENT['mrn']}^^^GENHOSP^MR||{_PATIENT['family'].upper()}^{_PATIENT['given'].upper()}||"
        f"{_PATIENT['birth'].replace('-', '')}|{SEX}|||100 Main St^^Springfield^IL^62701",
        "PV1|1|I|OR^04^01^GENHOSP||||1234^SURGEON^SAM^^^MD",
    ]


def hl7_mdm(note: str) -> bytes:
    """MDM^T02: TXA with the activity date; the note one line per OBX (TX)."""
    day = DATE_OF_SERVICE.replace("-", "")
    segments = [
        *_hl7_header("MDM^T02^MDM_T02", "MSG00001"),
        "EVN|T02|" + day + "141500",
        f"TXA|1|OP^Operative report|TX|{day}0805|1234^SURGEON^SAM^^^MD|{day}1412|||||DOC00077||||||AU",
    ]
    for i, line in enumerate(note.splitlines(), start=1):
        segments.append(f"OBX|{i}|TX|11504-8^Surgical operation note^LN||{_hl7_escape(line)}||||||F")
    return ("\r".join(segments) + "\r").encode("utf-8")


def hl7_oru_with_rtf(note: str) -> bytes:
    """ORU^R01: OBR with the observation date; the note as an RTF document (ED, base64)."""
    day = DATE_OF_SERVICE.replace("-", "")
    payload = base64.b64encode(rtf_document(note)).decode("ascii")
    segments = [
        *_hl7_header("ORU^R01^ORU_R01", "MSG00002"),
        f"OBR|1|ORD448|DOC00077|11504-8^Surgical operation note^LN|||{day}0805|||||||||1234^SURGEON^SAM^^^MD",
        f"OBX|1|ED|11504-8^Surgical operation note^LN||^TEXT^RTF^Base64^{payload}||||||F",
    ]
    return ("\r".join(segments) + "\r").encode("utf-8")


def make_samples(out: Path, note: str | None = None) -> dict[str, Path]:
    """Write every format into `out`; return {file name: path}."""
    note = seed_note() if note is None else note
    out.mkdir(parents=True, exist_ok=True)
    paths = {p.name: p for p in write_text_variants(note, out)}
    blobs = {
        "note.rtf": rtf_document(note),
        "note-documentreference.json": fhir_document_reference(note),
        "note-bundle.json": fhir_bundle(note),
        "note-mdm.hl7": hl7_mdm(note),
        "note-oru-rtf.hl7": hl7_oru_with_rtf(note),
    }
    for name, data in blobs.items():
        (out / name).write_bytes(data)
        paths[name] = out / name
    docx_document(note, out / "note.docx")
    pdf_document(note, out / "note.pdf")
    paths["note.docx"] = out / "note.docx"
    paths["note.pdf"] = out / "note.pdf"
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "formats")
    args = parser.parse_args()
    for path in make_samples(args.out).values():
        print(path)


if __name__ == "__main__":
    main()
