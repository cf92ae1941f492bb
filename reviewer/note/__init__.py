"""The note: the original text untouched, read as a reader sees it (`reading`), its sections
(`sections`) and sentences (`sentences`). `Note` is the one object the layers above read."""

from __future__ import annotations

from reviewer.note.reading import fold, normalise
from reviewer.note.sections import DIAGNOSIS, Section, section_lexicon_version
from reviewer.note.text import MAX_NOTE_CHARS, Note, checked_text

__all__ = [
    "DIAGNOSIS",
    "MAX_NOTE_CHARS",
    "Note",
    "Section",
    "checked_text",
    "fold",
    "normalise",
    "section_lexicon_version",
]
