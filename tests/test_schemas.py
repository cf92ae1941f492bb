"""The checked-in JSON Schemas must match the models (regenerate: `reviewer schemas`)."""

from pathlib import Path

from reviewer.schemas import schema_texts

SCHEMAS = Path(__file__).parent.parent / "schemas"


def test_checked_in_schemas_match_the_models() -> None:
    for name, text in schema_texts().items():
        path = SCHEMAS / name
        assert path.exists(), f"{path} missing: run `reviewer schemas`"
        assert path.read_text("utf-8") == text, f"{name} drifted from the models: run `reviewer schemas`"
