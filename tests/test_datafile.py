"""YAML with the C parser (reviewer/datafile.py) reads every YAML file we ship as PyYAML's
pure-Python safe loader does, and fails on the same broken input."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from reviewer.datafile import SafeLoader, load_yaml

ROOT = Path(__file__).resolve().parents[1]
# The gold-set cassette (3 MB, written by the same serializer as tests/cassettes) is left out:
# the pure-Python parser alone takes seconds on it.
FILES = sorted(
    p
    for folder in ("reviewer/data", "eval", "prompts", "tests/cassettes")
    for p in (ROOT / folder).rglob("*.yaml")
    if p.parent != ROOT / "eval" / "cassettes"
)


def test_the_c_parser_is_used_when_pyyaml_has_it() -> None:
    assert SafeLoader is (yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader)


def test_every_yaml_file_reads_the_same_with_both_parsers() -> None:
    assert len(FILES) > 170  # the data files, every gold case, gates, prompts, cassettes
    for path in FILES:
        text = path.read_text("utf-8")
        assert load_yaml(text) == yaml.load(text, Loader=yaml.SafeLoader), path


@pytest.mark.parametrize("text", ["a: [1, 2", "key: value\n  bad: indent", "- !!python/object:os.system x"])
def test_broken_or_unsafe_yaml_fails_with_both_parsers(text: str) -> None:
    with pytest.raises(yaml.YAMLError):
        yaml.load(text, Loader=yaml.SafeLoader)
    with pytest.raises(yaml.YAMLError):
        load_yaml(text)
