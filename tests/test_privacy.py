"""PHI masking: typed placeholders, the span map back to the original note, and the planted-
identifier bar (200 synthetic notes from eval/privacy/planted_notes.py: nothing leaks, clinical
words stay, every restored evidence offset slices the original note)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eval.privacy.planted_notes import (
    CLINICAL_WORDS,
    KINDS,
    PlantedNote,
    appears,
    clinical_words_masked,
    leaked,
    planted_notes,
)
from reviewer.cli import app
from reviewer.evaluate.cases import load_cases
from reviewer.extract.llm import LlmConfig, is_loopback, restore_quotes
from reviewer.extract.llm_schema import LlmExtraction, to_findings
from reviewer.extract.prompt import load_prompt
from reviewer.findings import Alignment
from reviewer.guardrails import check
from reviewer.note import Note
from reviewer.privacy import MaskedText, mask

ROOT = Path(__file__).parent.parent
COUNT = 200


@lru_cache(maxsize=1)
def notes() -> list[PlantedNote]:
    return planted_notes(COUNT)


@lru_cache(maxsize=1)
def masked_notes() -> list[MaskedText]:
    return [mask(n.text) for n in notes()]


def test_placeholders_are_typed_and_the_span_map_restores_offsets() -> None:
    text = "Patient: Anna Lindqvist. MRN: 00412345. Dr. Okonkwo excised the dartos fascia on 03/14/2024."
    m = mask(text)
    assert m.text == "Patient: [NAME]. MRN: [MRN]. Dr. [NAME] excised the dartos fascia on [DATE]."
    assert m.counts() == {"DATE": 1, "MRN": 1, "NAME": 2}
    start, end = m.locate("Dr. [NAME] excised the dartos fascia") or (-1, -1)
    assert text[start:end] == "Dr. Okonkwo excised the dartos fascia"
    start, end = m.locate("dartos fascia") or (-1, -1)
    assert text[start:end] == "dartos fascia"
    assert m.locate("dr. [name]  EXCISED", relaxed=True) is not None
    assert m.locate("dr. [name]  EXCISED") is None
    assert m.locate("not in the note") is None


def test_a_name_found_once_is_masked_everywhere_it_recurs() -> None:
    m = mask("Name: Rosalind Quigley\nQuigley tolerated the procedure. QUIGLEY was sent to the SICU.")
    assert "Quigley" not in m.text and "QUIGLEY" not in m.text


def test_endpoint_decides_the_default() -> None:
    assert is_loopback("http://127.0.0.1:8089/v1") and is_loopback("http://localhost:11434/v1")
    assert is_loopback("http://[::1]:8000/v1")
    assert not is_loopback("https://api.openai.com/v1") and not is_loopback(None)
    assert not is_loopback("http://10.0.0.5:8000/v1")
    assert LlmConfig(model="m", base_url="https://example.org/v1").masks_phi
    assert not LlmConfig(model="m", base_url="http://127.0.0.1:8089/v1").masks_phi
    assert LlmConfig(model="m", base_url="http://127.0.0.1:8089/v1", mask_phi=True).masks_phi
    env = {
        "REVIEWER_LLM_MODEL": "m",
        "REVIEWER_LLM_BASE_URL": "https://x.org/v1",
        "REVIEWER_LLM_MASK_PHI": "0",
    }
    assert not LlmConfig.load(env=env).masks_phi


def test_planted_identifiers_never_reach_the_masked_note() -> None:
    per_kind = dict.fromkeys(KINDS, 0)
    leaks = []
    for note, m in zip(notes(), masked_notes(), strict=True):
        spans = [(s.start, s.end) for s in m.spans]
        for kind, values in note.planted.items():
            assert values, f"{note.id}: no {kind} planted"
            per_kind[kind] += len(values)
            leaks += [(note.id, kind, v) for v in values if leaked(v, kind, note.text, spans)]
            leaks += [(note.id, kind, v) for v in values if appears(v, kind, m.text)]
    assert len(notes()) == COUNT and min(per_kind.values()) >= COUNT
    assert leaks == []


def test_clinical_words_are_kept() -> None:
    total = wrongly_masked = 0
    for note, m in zip(notes(), masked_notes(), strict=True):
        t, c = clinical_words_masked(note.text, [(s.start, s.end) for s in m.spans])
        total += t
        wrongly_masked += c
    assert total > 20 * COUNT
    assert wrongly_masked == 0
    for word in CLINICAL_WORDS:
        assert any(word in m.text for m in masked_notes()), word


def test_gold_notes_keep_every_lexicon_term() -> None:
    """The gold notes (realistic styles, no real identifiers): no term the extractor reads is
    masked, and nothing but dates and the surgeons named after a title ("Dr. Alvarez") is."""
    from reviewer.language.lexicon import load_lexicon

    lex = load_lexicon()
    kinds: set[str] = set()
    for case in load_cases(ROOT / "eval" / "gold"):
        m = mask(case.note)
        kinds |= {s.kind for s in m.spans}
        names = [s for s in m.spans if s.kind == "NAME"]
        assert all(re.search(r"\b(?:Dr|Mr|Mrs|Ms)\.? $", case.note[: s.start]) for s in names), case.id
        targets = lex.find(Note(case.note).norm)
        hit = [t for t in targets if any(s.start < t.end and t.start < s.end for s in m.spans)]
        assert hit == [], f"{case.id}: masked {[case.note[t.start : t.end] for t in hit]}"
    assert kinds <= {"DATE", "NAME"}


def _quotes_from(masked: str) -> LlmExtraction:
    """What a model might answer: whole lines of the masked note, placeholders and all."""
    lines = [ln.strip() for ln in masked.splitlines() if ln.strip()]
    with_name = next(ln for ln in lines if "[NAME]" in ln and "excised" in ln.lower())
    sentence = re.search(r"[^.]*\[DATE\][^.]*dartos fascia[^.]*", masked) or re.search(
        r"[^.]*excised[^.]*", masked
    )
    assert sentence is not None
    return LlmExtraction.model_validate(
        {
            "infections": [
                {
                    "quote": next(ln for ln in lines if "gangrene" in ln.lower()),
                    "type": "fournier",
                    "status": "present",
                }
            ],
            "sites": [{"quote": "perineum", "region": "perineum", "debrided": True}],
            "techniques": [{"quote": sentence.group().strip(), "kind": "excisional"}],
            "layers": [{"quote": with_name.upper(), "layer": "fascia", "removed": True}],
        }
    )


def test_every_restored_evidence_offset_slices_the_original_note() -> None:
    placeholders = 0
    for note, m in zip(notes(), masked_notes(), strict=True):
        answer = _quotes_from(m.text)
        placeholders += len(re.findall(r"\[[A-Z]+\]", answer.model_dump_json()))
        findings, _ = check(Note(note.text), restore_quotes(to_findings(answer), m))
        evidence = findings.evidence()
        assert evidence
        for e in evidence:
            assert e.alignment is not Alignment.unaligned, (note.id, e.quote)
            assert note.text[e.start : e.end] == e.quote
            assert "[NAME]" not in e.quote and "[DATE]" not in e.quote
    assert placeholders >= COUNT


def test_reviewer_mask_prints_the_prompt_without_identifiers(tmp_path: Path) -> None:
    system = load_prompt().messages("")[0]["content"]
    runner = CliRunner()
    for note in notes():
        for kind, values in note.planted.items():
            assert not any(appears(v, kind, system) for v in values)  # the test could catch a leak
        path = tmp_path / f"{note.id}.txt"
        path.write_text(note.text, "utf-8")
        result = runner.invoke(app, ["mask", str(path)])
        assert result.exit_code == 0
        assert "--- user ---" in result.stdout and "<<<NOTE" in result.stdout
        leaks = [(k, v) for k, vs in note.planted.items() for v in vs if appears(v, k, result.stdout)]
        assert leaks == [], note.id


def test_reviewer_mask_as_a_command(tmp_path: Path) -> None:
    note = notes()[0]
    path = tmp_path / "note.txt"
    path.write_text(note.text, "utf-8")
    p = subprocess.run(
        [sys.executable, "-m", "reviewer", "mask", str(path), "--format", "json"],
        capture_output=True,
        cwd=ROOT,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr.decode()
    body = json.loads(p.stdout)
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["masked"]["NAME"] >= 5 and body["prompt_version"] == load_prompt().version
    user = body["messages"][1]["content"]
    assert "[NAME]" in user and ("Fournier" in user or "Bartholin" in user or "Scarpa" in user)
    assert not any(appears(v, k, p.stdout.decode()) for k, vs in note.planted.items() for v in vs)


@pytest.mark.parametrize("kind", ["missing", "empty"])
def test_reviewer_mask_bad_input_is_one_line(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "n.txt"
    if kind == "empty":
        path.write_text("", "utf-8")
    p = subprocess.run([sys.executable, "-m", "reviewer", "mask", str(path)], capture_output=True, cwd=ROOT)
    assert p.returncode == 2 and p.stdout == b""
    assert p.stderr.decode().count("\n") == 1


def test_llm_extractor_sends_masked_notes_and_maps_quotes_back() -> None:
    """Through the real client stack against the test double (a non-loopback-like config with
    masking on): what is sent holds no planted identifier; what comes back is verified against
    the original note."""
    from reviewer.extract.llm import LlmExtractor
    from reviewer.pipeline import review_with
    from tests.fake_llm_server import completion, fake_llm

    def respond(request: dict[str, object]) -> object:
        messages = request["messages"]
        assert isinstance(messages, list)
        note = str(messages[-1]["content"]).split("<<<NOTE\n", 1)[1].rsplit("\nNOTE>>>", 1)[0]
        return completion(_quotes_from(note).model_dump_json())

    sample = notes()[:6]
    with fake_llm([], respond=respond) as server:  # type: ignore[arg-type]
        llm = LlmExtractor(LlmConfig(model="test-double", base_url=server.base_url, mask_phi=True))
        reviews = [review_with(llm, n.text, note_id=n.id) for n in sample]
    sent = [json.dumps(r) for r in server.requests]
    assert len(sent) == len(sample)
    for note, body, r in zip(sample, sent, reviews, strict=True):
        assert not [
            (k, v)
            for k, vs in note.planted.items()
            for v in vs
            if appears(v, k, json.loads(body)["messages"][1]["content"])
        ]
        assert r.error is None and r.audit is not None and r.audit.masking is not None
        assert r.audit.masking.enabled and r.audit.masking.placeholders["NAME"] >= 5
        aligned = [e for e in r.findings.evidence() if e.start >= 0]
        assert len(aligned) >= 4
        assert all(note.text[e.start : e.end] == e.quote for e in aligned)
        assert any(name in e.quote for e in aligned for name in note.planted["NAME"] + note.planted["DATE"])


def test_when_masking_cannot_finish_the_note_is_not_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    """presidio skips a pattern whose regex times out (and logs it): masking refuses instead,
    and the LLM extractor sends nothing."""
    import presidio_analyzer.pattern_recognizer as presidio_patterns

    from reviewer.extract.llm import LlmExtractor
    from reviewer.pipeline import review_with
    from tests.fake_llm_server import fake_llm

    note = notes()[0]
    mask(note.text)  # built before the clock is broken
    monkeypatch.setattr(presidio_patterns, "REGEX_TIMEOUT_SECONDS", 1e-9)
    with pytest.raises(TimeoutError):
        mask(note.text)
    with fake_llm([]) as server:
        llm = LlmExtractor(LlmConfig(model="test-double", base_url=server.base_url, mask_phi=True))
        r = review_with(llm, note.text)
    assert server.requests == []
    assert r.error is not None and "masking failed" in r.error and "not sent" in r.error
    assert r.decision.verdict.value == "query"


def test_the_leak_checks_catch_what_a_weaker_masker_lets_through() -> None:
    """The bar's checks can fail: drop one kind from a masked note and both checks see it."""
    for kind in ("NAME", "DATE", "PHONE", "AGE", "ADDRESS", "MRN"):
        note, m = notes()[3], masked_notes()[3]
        kept = [(s.start, s.end, s.kind) for s in m.spans if s.kind != kind]
        weaker = MaskedText.build(note.text, kept)
        spans = [(s, e) for s, e, _ in kept]
        checked = [k for k in ([kind] if kind != "PHONE" else ["PHONE", "FAX"])]
        values = [(k, v) for k in checked for v in note.planted[k]]
        assert any(leaked(v, k, note.text, spans) for k, v in values), kind
        assert any(appears(v, k, weaker.text) for k, v in values), kind


@pytest.mark.parametrize(
    ("flag", "env", "masked"),
    [("--mask-phi", None, True), ("--no-mask-phi", "1", False), (None, "1", True), (None, None, False)],
    ids=["flag-on", "flag-off-beats-env", "env-on", "loopback-default-off"],
)
def test_check_mask_phi_option_and_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flag: str | None, env: str | None, masked: bool
) -> None:
    from tests.fake_llm_server import completion, fake_llm

    note = notes()[5]
    path = tmp_path / "note.txt"
    path.write_text(note.text, "utf-8")
    for key in [k for k in __import__("os").environ if k.startswith(("REVIEWER_LLM_", "OPENAI_"))]:
        monkeypatch.delenv(key)
    if env is not None:
        monkeypatch.setenv("REVIEWER_LLM_MASK_PHI", env)
    with fake_llm([completion("{}")]) as server:
        monkeypatch.setenv("REVIEWER_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("REVIEWER_LLM_MODEL", "test-double")
        args = ["check", str(path), "--extractor", "llm", "--format", "json"] + ([flag] if flag else [])
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    sent = server.requests[0]["messages"][-1]["content"]
    assert ("[NAME]" in sent) is masked
    assert (note.planted["MRN"][0] in sent) is not masked
    assert json.loads(result.stdout)["audit"]["masking"]["enabled"] is masked
