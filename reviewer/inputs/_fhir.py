"""FHIR R4 JSON: a DocumentReference, or a Bundle holding one, with the note as a base64
attachment (validated with fhir.resources' R4B models, which R4 DocumentReferences fit).
Patient sex comes from the Patient resource; the date of service from the DocumentReference's
context period (else its date)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from reviewer.inputs._formats import MEDIA_TYPES, NoteDocument, Parse, load_json
from reviewer.inputs._text import NoteInputError

# Preferred attachment when a DocumentReference carries several renditions of the note.
_PREFERENCE = ("text", "rtf", "docx", "pdf")
_SEXES = {"male": "M", "female": "F"}


def read_fhir(name: str, data: bytes, parse: Parse) -> NoteDocument:
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.documentreference import DocumentReference

    try:
        raw = load_json(data)
    except ValueError:
        raise NoteInputError(f"{name}: is not valid JSON") from None
    kind = raw.get("resourceType") if isinstance(raw, dict) else None
    reference: Any
    try:
        if kind == "DocumentReference":
            reference = DocumentReference.model_validate(raw)
            patients = [r for r in reference.contained or [] if r.get_resource_type() == "Patient"]
        elif kind == "Bundle":
            bundle = Bundle.model_validate(raw)
            resources = [e.resource for e in bundle.entry or [] if e.resource is not None]
            references = [r for r in resources if r.get_resource_type() == "DocumentReference"]
            if len(references) != 1:
                raise NoteInputError(
                    f"{name}: the FHIR Bundle holds {len(references)} DocumentReferences; send one note per file"
                )
            reference = references[0]
            patients = [r for r in resources if r.get_resource_type() == "Patient"]
            patients += [r for r in reference.contained or [] if r.get_resource_type() == "Patient"]
        else:
            raise NoteInputError(
                f"{name}: is a FHIR {kind or 'resource without a resourceType'}; only a DocumentReference or a Bundle holding one is read"
            )
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or kind
        raise NoteInputError(f"{name}: not a valid FHIR {kind}: {where}: {err['msg']}") from None
    doc = _attachment_note(name, reference, parse)
    warnings = list(doc.warnings)
    if reference.status == "entered-in-error":
        warnings.append(f"{name}: the DocumentReference is marked entered-in-error")
    if reference.docStatus and reference.docStatus != "final":
        warnings.append(f"{name}: the document status is {reference.docStatus!r}, not final")
    sex = _sex(patients, reference)
    return NoteDocument(
        text=doc.text,
        format="fhir",
        name=name,
        warnings=warnings,
        sex=sex,
        date_of_service=_date_of_service(reference),
    )


def _attachment_note(name: str, reference: Any, parse: Parse) -> NoteDocument:
    found: list[tuple[int, str, bytes, str, str | None]] = []
    by_url = 0
    unsupported: list[str] = []
    for i, content in enumerate(reference.content or []):
        attachment = content.attachment
        media, _, params = (attachment.contentType or "text/plain").partition(";")
        if attachment.data is None:
            by_url += attachment.url is not None
            continue
        kind = MEDIA_TYPES.get(media.strip().lower())
        if kind is None:
            unsupported.append(media.strip())
            continue
        where = f"{name}#content[{i}]"
        found.append((_PREFERENCE.index(kind), kind, bytes(attachment.data), where, _charset(params)))
    if not found:
        if unsupported:
            raise NoteInputError(f"{name}: the note attachment is {unsupported[0]}, which is not read")
        if by_url:
            raise NoteInputError(
                f"{name}: the note attachment is a URL, not inline data; export it with the data"
            )
        raise NoteInputError(f"{name}: the DocumentReference has no attachment with the note")
    _, kind, payload, where, charset = min(found, key=lambda f: f[0])
    if kind == "text" and charset:
        try:
            return NoteDocument(text=payload.decode(charset), format="text", name=where)
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong charset label: detect the encoding instead
    return parse(where, payload, format=kind)


def _charset(params: str) -> str | None:
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return None


def _sex(patients: list[Any], reference: Any) -> str | None:
    subject = reference.subject.reference if reference.subject is not None else None
    if subject:
        key = subject.rsplit("/", 1)[-1].lstrip("#")
        matching = [p for p in patients if p.id == key]
        patients = matching or patients
    genders = {_SEXES.get(p.gender or "") for p in patients}
    return genders.pop() if len(genders) == 1 else None


def _date_of_service(reference: Any) -> str | None:
    context = reference.context
    period = context.period if context is not None else None
    when = period.start if period is not None and period.start is not None else reference.date
    if when is None:
        return None
    return str(when.date()) if hasattr(when, "date") else str(when)[:10]
