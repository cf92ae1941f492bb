"""HL7 v2 messages (python-hl7): an MDM (document) or ORU (result) message with the note in OBX
segments: text (TX, FT, ST; one segment or one repetition per line) or an encapsulated document
(ED: base64 PDF, RTF, .docx or text). Patient sex from PID-8; the date of service from TXA-4
(activity), else TXA-6 (origination), else OBR-7 (observation), else OBX-14."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from typing import Any

from reviewer.inputs._formats import NoteDocument, Parse
from reviewer.inputs._text import NoteInputError

_NOTE_TYPES = ("MDM", "ORU")
_TEXT_TYPES = ("TX", "FT", "ST")
_SEXES = {"M": "M", "F": "F"}
_SEGMENT_START = re.compile(r"(?m)^(MSH|FHS|BHS)")


def read_hl7(name: str, data: bytes, parse: Parse) -> NoteDocument:
    import hl7

    warnings: list[str] = []
    body = data.strip(b"\x0b\x1c\r\n \t")  # MLLP framing, if the file was captured off the wire
    try:
        message_text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        message_text = body.decode("cp1252", errors="replace")
        warnings.append(f"{name}: not UTF-8; decoded as Windows-1252 (cp1252)")
    message_text = message_text.replace("\r\n", "\r").replace("\n", "\r")
    headers = _SEGMENT_START.findall(message_text.replace("\r", "\n"))
    if headers[:1] != ["MSH"] or len(headers) > 1:
        raise NoteInputError(f"{name}: is an HL7 batch of {len(headers)} messages; send one message per file")
    try:
        message = hl7.parse(message_text)
        kind = str(message.segment("MSH")[9]).split(message.separators[3])[0]
    except Exception as exc:  # python-hl7 raises several kinds on a malformed message
        raise NoteInputError(f"{name}: not a readable HL7 v2 message ({type(exc).__name__})") from None
    if kind not in _NOTE_TYPES:
        raise NoteInputError(
            f"{name}: is an HL7 {kind or 'untyped'} message; only MDM and ORU messages carry notes"
        )
    doc = _note(name, message, parse)
    return NoteDocument(
        text=doc.text,
        format="hl7",
        name=name,
        warnings=warnings + doc.warnings,
        sex=_SEXES.get(_field(message, "PID", 8)[:1].upper()),
        date_of_service=_date_of_service(message),
    )


def _note(name: str, message: Any, parse: Parse) -> NoteDocument:
    repetition = message.separators[2]
    lines: list[str] = []
    embedded: list[tuple[str, Any]] = []
    for i, obx in enumerate(_segments(message, "OBX"), start=1):
        value_type = str(obx[2]).split(message.separators[3])[0].upper() if len(obx) > 2 else ""
        if len(obx) <= 5:
            continue
        if value_type in _TEXT_TYPES:
            for part in str(obx[5]).split(repetition):
                lines.append(message.unescape(part).replace("\r", "\n"))
        elif value_type == "ED":
            embedded.append((f"{name}#OBX[{i}]", obx[5]))
    if lines:
        return NoteDocument(text="\n".join(lines), format="text", name=name)
    if embedded:
        where, value = embedded[0]
        return parse(where, _decode_ed(where, value))
    raise NoteInputError(f"{name}: the HL7 message has no OBX segment with note text")


def _decode_ed(where: str, value: Any) -> bytes:
    """ED: source ^ type of data ^ subtype ^ encoding ^ data."""
    parts = [str(c) for c in value[0]] if len(value) else []
    if len(parts) < 5:
        raise NoteInputError(f"{where}: the encapsulated document has no data component")
    encoding, payload = parts[3].strip().lower(), parts[4].strip()
    try:
        if encoding == "base64":
            return base64.b64decode(payload, validate=False)
        if encoding == "hex":
            return bytes.fromhex(payload)
        if encoding == "a":
            return payload.encode("utf-8")
    except (binascii.Error, ValueError):
        raise NoteInputError(f"{where}: the encapsulated document is not valid {parts[3]}") from None
    raise NoteInputError(f"{where}: the encapsulated document's encoding {parts[3]!r} is not read")


def _segments(message: Any, name: str) -> list[Any]:
    try:
        return list(message.segments(name))
    except KeyError:
        return []


def _field(message: Any, segment: str, index: int) -> str:
    for seg in _segments(message, segment):
        if len(seg) > index:
            return str(seg[index]).strip()
    return ""


def _date_of_service(message: Any) -> str | None:
    candidates = [
        _field(message, "TXA", 4),
        _field(message, "TXA", 6),
        _field(message, "OBR", 7),
        _field(message, "OBX", 14),
    ]
    for value in candidates:
        when = _hl7_date(value)
        if when is not None:
            return when
    return None


def _hl7_date(value: str) -> str | None:
    """HL7 TS/DTM: YYYYMMDD[HHMM[SS[.S]]][+/-ZZZZ] -> ISO date."""
    match = re.match(r"(\d{4})(\d{2})(\d{2})", value)
    if match is None:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3])).isoformat()
    except ValueError:
        return None
