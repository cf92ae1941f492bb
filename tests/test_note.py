from reviewer.note import Note, normalise


def test_normalise_keeps_length_and_offsets() -> None:
    text = "Débridement — “Fournier’s” İstanbul ×3\r\n"
    norm = normalise(text)
    assert len(norm) == len(text)
    assert norm.startswith('debridement - "fournier\'s"')


def test_text_is_kept_byte_for_byte() -> None:
    text = "PROCEDURE:\tExcisional débridement\r\nPLAN: none"
    assert Note(text).text == text


def test_headers_one_per_line_inline_numbered_and_caps() -> None:
    text = (
        "1. PREOPERATIVE DIAGNOSIS: Fournier gangrene\n"
        "Postoperative diagnosis: Same\n"
        "FINDINGS\n"
        "Necrotic fascia.\n"
        "Description of procedure: excised. PLAN: return to OR."
    )
    names = [s.name for s in Note(text).sections]
    assert names == ["preoperative_diagnosis", "postoperative_diagnosis", "findings", "description", "plan"]


def test_flat_one_line_export() -> None:
    text = "PREOPERATIVE DIAGNOSIS:,Fournier gangrene,PROCEDURE:,Excisional debridement of scrotum,PLAN:,Return to OR"
    note = Note(text)
    assert [s.name for s in note.sections] == ["preoperative_diagnosis", "procedure", "plan"]
    proc = note.sections[1]
    assert "Excisional debridement of scrotum" in text[proc.body_start : proc.end]


def test_capitalised_headers_run_inline_after_a_full_stop() -> None:
    """Flat exports lose line breaks: "... of the perineum. Postoperative Diagnosis: Same." """
    text = (
        "Operative Note. Preoperative Diagnosis: Fournier's gangrene. Postoperative Diagnosis: Same. "
        "Procedure: Excisional debridement. Description: Necrotic fascia excised. The plan: to ICU."
    )
    names = [s.name for s in Note(text).sections]
    assert names == ["body", "preoperative_diagnosis", "postoperative_diagnosis", "procedure", "description"]


def test_a_one_line_field_inside_a_line_ends_with_its_sentence() -> None:
    text = "DESCRIPTION: Necrotic skin excised. Assistant: Dr. Rao. The fascia was excised. Irrigated."
    note = Note(text)
    assert note.section_at(text.index("Rao")).name == "personnel"
    assert note.section_at(text.index("The fascia")).name == "description"


def test_a_header_naming_a_surgeons_note_is_the_description() -> None:
    for header in ("Surgeon note", "Operative dictation", "Op note"):
        text = f"Operation: Debridement\n{header}: Necrotic fascia excised."
        assert Note(text).section_at(text.index("Necrotic")).name == "description", header


def test_a_word_mid_sentence_is_not_a_header() -> None:
    note = Note("The findings were discussed with the family and the plan is to return.")
    assert [s.name for s in note.sections] == ["body"]


def test_field_lines_start_neutral_sections_but_not_inside_history() -> None:
    text = "Anesthesia: MAC\nTissue removed: fascia\nPAST MEDICAL HISTORY:\nFournier gangrene: 2019\n"
    note = Note(text)
    assert note.section_at(text.index("fascia")).name == "other"
    assert note.section_at(text.index("Fournier")).name == "history"


def test_unlisted_headers_are_mapped_by_keyword() -> None:
    text = (
        "INDICATIONS FOR OPERATION: crepitus.\n"
        "DESCRIPTION OF OPERATIVE PROCEDURE: fascia excised.\n"
        "GROSS FINDINGS\n"
        "grey fascia\n"
        "Past history:\n"
        "Diagnosis: Fournier gangrene 2019\n"
    )
    names = [s.name for s in Note(text).sections]
    assert names == ["indications", "description", "findings", "history"]


def test_sentences_do_not_break_at_a_wrapped_line() -> None:
    text = "There was no\nevidence of necrotizing fasciitis. Scrotum debrided.\n"
    starts = [text[a:b] for a, b in Note(text).sentences]
    assert starts[0] == "There was no\nevidence of necrotizing fasciitis."


def test_sentences_break_at_list_items_and_blank_lines() -> None:
    text = "PROCEDURE:\n1. Excisional debridement of scrotum\n2. Wound VAC\n\nTolerated well"
    spans = [text[a:b] for a, b in Note(text).sentences]
    assert "1. Excisional debridement of scrotum" in spans
    assert "2. Wound VAC" in spans


def test_matching_reads_what_a_reader_sees_and_maps_offsets_back() -> None:
    text = "Fascia n\u00adot ex\u200bcised; ｆａｓｃｉａ n\u043et removed; \u2066not\u2069 taken; ﬁne."
    note = Note(text)
    assert "fascia not excised; fascia not removed; not taken; fine." in note.norm
    for word in ("excised", "fascia not removed", "not taken", "fine"):
        start = note.norm.index(word)
        t_start, t_end = note.text_span(start, start + len(word))
        assert normalise(text[t_start:t_end]) == word
        assert note.norm_offset(t_start) == start


def test_ascii_notes_keep_identical_offsets() -> None:
    note = Note("PROCEDURE: Excisional debridement.\r\n")
    assert note.text_span(3, 9) == (3, 9)
    assert note.norm_offset(7) == 7


def test_history_like_headers_are_history() -> None:
    text = (
        "PROCEDURE: Incision and drainage.\n"
        "PRIOR SURGERIES: Skin graft 2019.\n"
        "HOSPITAL COURSE: Suprapubic tube placed by urology.\n"
        "HISTORY: Diabetes.\n"
        "DESCRIPTION: Drained.\n"
    )
    names = [s.name for s in Note(text).sections]
    assert names == ["procedure", "history", "history", "history", "description"]


def test_hpi_of_an_operative_report_reads_as_indications_but_not_in_a_progress_note() -> None:
    op = Note("HPI: scrotum debrided last week.\nFINDINGS: necrotic fascia.\n")
    assert op.sections[0].name == "indications"
    progress = Note("S: wound debrided this morning.\nO: afebrile.\n")
    assert progress.sections[0].name == "hpi"


def test_form_lines_are_statements_and_one_line_fields_end_with_their_line() -> None:
    text = "Findings:\n  Crepitus: [ ] yes  [x] no\n  Sites: [x] scrotum\n"
    note = Note(text)
    spans = [text[a:b] for a, b in note.sentences]
    assert "Crepitus: [ ] yes  [x] no" in spans
    narrative = Note("The scrotum was examined.\nAssistant: Dr. A\nNecrotic fascia was excised.\n")
    assert narrative.section_of(narrative.text.index("Necrotic")).name == "body"


def test_run_on_text_is_cut_into_bounded_pieces_marked_run_on() -> None:
    note = Note("word " * 1000)
    assert max(b - a for a, b in note.sentences) <= 600
    assert note.run_on


def _fold_one_by_one(text: str) -> tuple[str, object]:
    """The reference: every character folded on its own, in display order."""
    from array import array

    from reviewer.note import reading

    text = text.replace("\r\n", " \n")
    if text.isascii():
        return text.translate(reading._FOLD), None
    reordered = reading._RLO in text
    order = reading._display_order(text) if reordered else range(len(text))
    parts, index, identity = [], array("q"), not reordered
    for i in order:
        c = text[i]
        f = reading._fold_char(c) if ord(c) > 127 else c.translate(reading._FOLD)
        identity = identity and len(f) == 1
        parts.append(f)
        index.extend([i] * len(f))
    if identity:
        return "".join(parts), None
    index.append(len(text))
    return "".join(parts), index


def test_fold_by_runs_equals_folding_each_character() -> None:
    import random

    from reviewer.note.reading import fold

    alphabet = [
        *"abc XYZ\t\r\n.`",
        "\u00ad",
        "\u200b",
        "\u202e",
        "\u202c",
        "ｆ",
        "а",
        "é",
        "ﬁ",
        "\u00a0",
        "’",
    ]
    rng = random.Random(7)
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert fold(text) == _fold_one_by_one(text), repr(text)
