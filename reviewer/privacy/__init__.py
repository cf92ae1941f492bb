"""Identifiers out before a note leaves the process: typed placeholders and a span map back to
the original note. Depends on nothing but the note text."""

from reviewer.privacy.masked import MaskedSpan, MaskedText

__all__ = ["MaskedSpan", "MaskedText", "mask"]


def mask(text: str) -> MaskedText:
    """The note with names, record numbers, dates, contacts, addresses, ages over 89, URLs and
    other identifiers replaced by [KIND] placeholders (presidio-analyzer; loaded on first use)."""
    from reviewer.privacy.phi import mask as _mask

    return _mask(text)
