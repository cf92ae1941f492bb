"""Builders for findings in rule-layer tests: evidence that really indexes a small note."""

from __future__ import annotations

from reviewer.findings import Evidence


class NoteBuilder:
    """Append phrases to a note and get Evidence with real offsets for each."""

    def __init__(self) -> None:
        self.text = ""

    def ev(self, phrase: str, section: str = "description") -> Evidence:
        start = len(self.text)
        self.text += phrase + ". "
        return Evidence(quote=phrase, start=start, end=start + len(phrase), section=section)
