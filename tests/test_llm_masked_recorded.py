"""Masked notes against a real server, as recorded: notes full of planted identifiers were reviewed
with masking on by the local llama.cpp server (Gemma 3 270M; eval/llm_server/README.md). The
recorded request bodies hold none of the identifiers; every quote the model gave back is
verified against the original note. Replayed offline (body matching); a test fails if its
cassette has unused interactions. Re-record (never edit by hand) with a server running:

    RECORD_LLM_BASE_URL=http://127.0.0.1:8090/v1 .venv/bin/pytest tests/test_llm_masked_recorded.py --record-mode=rewrite
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import pytest
import yaml

from eval.privacy.planted_notes import PlantedNote, appears, planted_note
from reviewer.extract.llm import LlmConfig, LlmExtractor
from reviewer.findings import Alignment, Evidence
from reviewer.pipeline import review_with
from reviewer.privacy import mask

ROOT = Path(__file__).parent.parent
CASSETTES = Path(__file__).parent / "cassettes" / "test_llm_masked_recorded"
COMPACT = PlantedNote(
    id="compact",
    text=(
        "POSTOP DX: Fournier's gangrene. Patient: Harold Whitfield, MRN 00412345, DOB 03/14/1931.\n"
        "FINDINGS: dishwater fluid.\n"
        "PROCEDURE: On 03/14/2024 Dr. Okonkwo sharply excised necrotic dartos fascia of the left scrotum, 10 x 8 cm.\n"
        "Signed: Dr. Okonkwo, 555-201-7788.\n"
    ),
    planted={
        "NAME": ["Harold Whitfield", "Okonkwo"],
        "MRN": ["00412345"],
        "DATE": ["03/14/1931", "03/14/2024"],
        "PHONE": ["555-201-7788"],
    },
)
SEED_STYLE = PlantedNote(
    id="seed-style",
    text=(
        "Name: Margaret Castellanos  MRN: A1234567  Acct: 9988776655\n"
        "PREOPERATIVE DIAGNOSIS: Fournier's gangrene.\nPOSTOPERATIVE DIAGNOSIS: Same.\n"
        "PROCEDURE: Sharp excisional debridement of scrotum and perineum.\n"
        "INDICATIONS: A 93-year-old male (call 312-555-0182, mcastellanos@mercyvalley.org) with gas in the "
        "perineal tissues.\n"
        "DESCRIPTION OF PROCEDURE: Dr. Nakamura performed sharp excisional debridement of necrotic skin, "
        "subcutaneous tissue, and fascia in the scrotum and perineum on March 3, 2024.\n"
    ),
    planted={
        "NAME": ["Margaret Castellanos", "Nakamura"],
        "MRN": ["A1234567"],
        "ACCOUNT": ["9988776655"],
        "AGE": ["93"],
        "PHONE": ["312-555-0182"],
        "EMAIL": ["mcastellanos@mercyvalley.org"],
        "DATE": ["March 3, 2024"],
    },
)
NOTES = [planted_note(0), COMPACT, SEED_STYLE]


def masked_config() -> LlmConfig:
    settings = tomllib.loads((ROOT / "eval" / "llm-replay.toml").read_text("utf-8"))["llm"]
    settings.pop("cassette")
    # replay matches method, path and body, not the host: recording may use another port
    settings["base_url"] = os.environ.get("RECORD_LLM_BASE_URL", settings["base_url"])
    settings["timeout"] = 600  # client side only; a slow CPU server may take minutes
    return LlmConfig.model_validate({**settings, "mask_phi": True})


def _leaks(note: PlantedNote, sent: str) -> list[tuple[str, str]]:
    return [(kind, v) for kind, values in note.planted.items() for v in values if appears(v, kind, sent)]


@pytest.mark.vcr
def test_masked_notes_reviewed_by_a_real_server() -> None:
    llm = LlmExtractor(masked_config())
    aligned: list[tuple[PlantedNote, Evidence]] = []
    for note in NOTES:
        r = review_with(llm, note.text, note_id=note.id)
        assert r.error is None
        assert r.audit is not None and r.audit.masking is not None and r.audit.masking.enabled
        assert r.audit.masking.placeholders["NAME"] >= 2
        assert r.usage.attempts >= 1 and r.audit.llm_attempts[-1].status == "ok"
        aligned += [(note, e) for e in r.findings.evidence() if e.alignment is not Alignment.unaligned]
        aligned += [(note, e) for c in r.decision.criteria for e in c.evidence]
    # the model quoted the masked text; every quote is verified against the original note
    assert len(aligned) >= 4
    assert all(e.start >= 0 and note.text[e.start : e.end] == e.quote for note, e in aligned)
    # ... at offsets that moved: placeholders before the quote are shorter or longer than what they hide
    assert any(mask(note.text).text.find(e.quote) not in (-1, e.start) for note, e in aligned)


def test_recorded_request_bodies_hold_no_planted_identifier() -> None:
    cassette = CASSETTES / "test_masked_notes_reviewed_by_a_real_server.yaml"
    interactions = yaml.safe_load(cassette.read_text("utf-8"))["interactions"]
    assert len(interactions) >= len(NOTES)
    users = []
    for interaction in interactions:
        body = interaction["request"]["json_body"]
        users.append(body["messages"][-1]["content"] if body["messages"][-1]["role"] == "user" else "")
        sent = json.dumps(body, ensure_ascii=False)
        for note in NOTES:
            assert _leaks(note, sent) == [], note.id
    assert len([u for u in users if "[NAME]" in u and "[MRN]" in u and "Fournier" in u]) >= len(NOTES)
