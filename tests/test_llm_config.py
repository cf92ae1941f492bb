"""LLM configuration: environment and TOML, with clear one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewer.extract.llm import LlmConfig, LlmNotConfigured


def test_from_environment() -> None:
    cfg = LlmConfig.load(
        env={
            "REVIEWER_LLM_BASE_URL": "http://h/v1",
            "REVIEWER_LLM_MODEL": "m",
            "REVIEWER_LLM_MODE": "json",
            "OPENAI_API_KEY": "secret-key-123",
        }
    )
    assert (cfg.base_url, cfg.model, cfg.mode, cfg.api_key, cfg.temperature) == (
        "http://h/v1",
        "m",
        "json",
        "secret-key-123",
        0.0,
    )
    assert "secret-key-123" not in repr(cfg)


def test_toml_then_environment_override(tmp_path: Path) -> None:
    path = tmp_path / "llm.toml"
    path.write_text('[llm]\nbase_url = "http://a/v1"\nmodel = "x"\nmax_tokens = 500\n')
    cfg = LlmConfig.load(env={"REVIEWER_LLM_CONFIG": str(path), "REVIEWER_LLM_MODEL": "y"})
    assert (cfg.base_url, cfg.model, cfg.max_tokens) == ("http://a/v1", "y", 500)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "not configured"),
        ({"REVIEWER_LLM_MODEL": "m", "REVIEWER_LLM_MODE": "xml"}, "mode"),
        ({"REVIEWER_LLM_MODEL": "m", "REVIEWER_LLM_TIMEOUT": "-1"}, "timeout"),
    ],
)
def test_errors_are_one_line(env: dict[str, str], message: str) -> None:
    with pytest.raises(LlmNotConfigured, match=message) as info:
        LlmConfig.load(env=env)
    assert "\n" not in str(info.value)
