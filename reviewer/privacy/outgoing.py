"""What leaves for the LLM, written for a privacy officer to read (`reviewer mask`): the chat
messages as sent, built from the masked note, with how many identifiers of each kind were masked
(never the identifiers)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from reviewer.privacy.masked import MaskedText

__all__ = ["FORMATS", "outgoing_text"]

FORMATS = ("text", "json")


def outgoing_text(
    masked: MaskedText,
    prompt_version: str,
    messages: Sequence[dict[str, str]],
    *,
    output_format: str = "text",
    note_only: bool = False,
) -> str:
    """text: the messages as they read, under a header line; json: as sent. `note_only`: the
    masked note alone."""
    if output_format == "json":
        body = {"prompt_version": prompt_version, "masked": masked.counts(), "messages": list(messages)}
        return json.dumps(masked.text if note_only else body, ensure_ascii=False, indent=1)
    if note_only:
        return masked.text
    counts = ", ".join(f"{k} {v}" for k, v in masked.counts().items()) or "none"
    parts = [f"# prompt {prompt_version}; identifiers masked: {counts}"]
    parts += [f"--- {m['role']} ---\n{m['content']}" for m in messages]
    return "\n".join(parts)
