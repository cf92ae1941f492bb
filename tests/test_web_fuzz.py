"""The API fuzzed from its own OpenAPI schema (schemathesis, in-process ASGI, bounded): no 5xx,
every status documented, every response matching its schema, schema-invalid input rejected.
One check is left out: `positive_data_acceptance` (a schema-valid request must succeed) cannot
hold for this API, whose schema gives the shape while the server judges the meaning: a note must
hold words, a claimed code must be a known code form (those answers are 422s with one line).

Driven through schemathesis' Python API with hypothesis' `given` (its pytest plugin's lazy
fixtures do not work with pytest 9)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from reviewer.web.app import Settings, create_app

EXAMPLES = 40  # per operation: 4 operations


def test_api_from_its_own_schema(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for key in ("REVIEWER_LLM_CONFIG", "REVIEWER_LLM_MODEL"):
        monkeypatch.delenv(key, raising=False)
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(Settings(timeout=30)))
    cases: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def run(case: Any) -> None:
            response = case.call_and_validate(excluded_checks=[schemathesis.checks.positive_data_acceptance])
            cases[f"{case.method} {case.path}"] += 1
            statuses[response.status_code] += 1

        run()
    total = sum(cases.values())
    with capsys.disabled():
        print(
            f"\nschemathesis: {total} cases ({', '.join(f'{k}: {v}' for k, v in sorted(cases.items()))}); "
            f"statuses {dict(sorted(statuses.items()))}"
        )
    assert len(cases) == 4
    assert all(status < 500 for status in statuses)
