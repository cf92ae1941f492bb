import pytest

from reviewer.inputs import MAX_NOTE_CHARS, NoteInputError, decode_note


def test_utf8_with_bom() -> None:
    text, warnings = decode_note("\ufeffFournier’s gangrene".encode(), "n")
    assert text == "Fournier’s gangrene" and warnings == []


def test_cp1252_is_decoded_with_a_warning() -> None:
    text, warnings = decode_note("Fournier’s gangrene".encode("cp1252"), "n")
    assert text == "Fournier’s gangrene"
    assert "cp1252" in warnings[0]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"  \n\t ", "empty"),
        (b"\x00\x01\x02binary", "binary"),
        (b"12345 678", "no words"),
        (b"a" * (MAX_NOTE_CHARS + 1), "limit"),
    ],
)
def test_refusals_are_one_line(data: bytes, message: str) -> None:
    with pytest.raises(NoteInputError, match=message) as info:
        decode_note(data, "note.txt")
    assert "\n" not in str(info.value)
    assert str(info.value).startswith("note.txt:")
