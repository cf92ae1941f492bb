"""Evaluation against the gold cases (eval/gold/*.yaml): `run()` does a whole evaluation and
returns an `EvalReport`; the report renderers are in `reviewer.evaluate.reports`.

The modules, in the order a run uses them:

- `cases`: the gold-case schema, loading and validation, case digests.
- `assess`: one case's review checked against its annotation -> `CaseResult`.
- `evaluation`: `run()` and `run_cases()`, the `EvalReport`.
- `scores` (and `evidence`): every number a run is scored by (`Metrics`).
- `metrics`: the metric table, the gateable scalars as typed records.
- `baseline`: snapshots (the baseline files), comparison with a baseline, flipped cases.
- `gates`: the gates file and its evaluation; the hard gates.
- `files`: where the bundled gold set, baselines and gates are.
- `decisions`, `coverage`: the ruleset's decisions and the gold cases naming them; COVERAGE.md.
"""

from __future__ import annotations

from reviewer.evaluate.assess import CHECKS, CaseResult, Check, TokenUsage, assess
from reviewer.evaluate.baseline import (
    CaseFlip,
    CaseOutcome,
    Delta,
    MetricDelta,
    Snapshot,
    compare,
    load_snapshot,
    snapshot,
    tool_versions,
)
from reviewer.evaluate.cases import Expected, GoldCase, GoldError, case_digest, gold_fingerprint, load_cases
from reviewer.evaluate.errors import EvalError
from reviewer.evaluate.evaluation import EvalReport, run, run_cases
from reviewer.evaluate.evidence import expected_spans
from reviewer.evaluate.files import EvalFiles, bundled_eval_files
from reviewer.evaluate.gates import HARD_GATES, Gate, GateResult, evaluate_gates, load_gates
from reviewer.evaluate.metrics import METRICS, Metric, MetricValue, metric_table, scalars
from reviewer.evaluate.scores import Metrics, compute_metrics

__all__ = [
    "CHECKS",
    "HARD_GATES",
    "METRICS",
    "CaseFlip",
    "CaseOutcome",
    "CaseResult",
    "Check",
    "Delta",
    "EvalError",
    "EvalFiles",
    "EvalReport",
    "Expected",
    "Gate",
    "GateResult",
    "GoldCase",
    "GoldError",
    "Metric",
    "MetricDelta",
    "MetricValue",
    "Metrics",
    "Snapshot",
    "TokenUsage",
    "assess",
    "bundled_eval_files",
    "case_digest",
    "compare",
    "compute_metrics",
    "evaluate_gates",
    "expected_spans",
    "gold_fingerprint",
    "load_cases",
    "load_gates",
    "load_snapshot",
    "metric_table",
    "run",
    "run_cases",
    "scalars",
    "snapshot",
    "tool_versions",
]
