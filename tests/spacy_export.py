"""Export spaCy's blank-English tokenizer settings (affix and URL patterns, special cases) to
reviewer/language/spacy_en_tokenizer.json, so reviewer.language.fastcontext can tokenize
exactly as spaCy does without importing it. Needs spaCy (the `test` extra).

    .venv/bin/python -m tests.spacy_export        # rewrite the data file
tests/test_fastcontext.py checks that the committed file equals a fresh export.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parents[1] / "reviewer" / "language" / "spacy_en_tokenizer.json"


def export() -> dict[str, Any]:
    import spacy
    from spacy.symbols import ORTH
    from spacy.tokenizer import Tokenizer

    nlp = spacy.blank("en")
    tok = nlp.tokenizer
    if tok.token_match is not None:  # pragma: no cover - English has none in spaCy 3.7
        raise SystemExit("spaCy's English tokenizer has a token_match: fastcontext does not model it")

    def regex(fn: Any) -> dict[str, Any] | None:
        if fn is None:
            return None
        compiled = fn.__self__
        return {"pattern": compiled.pattern, "flags": int(compiled.flags)}

    specials = {string: [piece[ORTH] for piece in pieces] for string, pieces in sorted(tok.rules.items())}
    # spaCy's last pass re-reads, as one special case, any run of tokens that spells a special
    # case split by the affix rules; it matches the special case's affix-only tokenization.
    plain = Tokenizer(
        nlp.vocab,
        rules=None,
        prefix_search=tok.prefix_search,
        suffix_search=tok.suffix_search,
        infix_finditer=tok.infix_finditer,
        token_match=tok.token_match,
        url_match=tok.url_match,
    )
    matched = {
        string: [t.text for t in plain(string)]
        for string in specials
        if not tok.faster_heuristics
        or tok.find_prefix(string)
        or tok.find_infix(string)
        or tok.find_suffix(string)
        or " " in string
    }
    return {
        "about": "spaCy's blank English tokenizer, exported by tests/spacy_export.py; do not edit",
        "spacy_version": spacy.__version__,
        "prefix": regex(tok.prefix_search),
        "suffix": regex(tok.suffix_search),
        "infix": regex(tok.infix_finditer),
        "url": regex(tok.url_match),
        "specials": specials,
        "matched_specials": {k: v for k, v in matched.items() if len(v) > 0},
    }


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=0, sort_keys=True) + "\n"


if __name__ == "__main__":
    OUT.write_text(dumps(export()), "utf-8")
    print(f"wrote {OUT}")
