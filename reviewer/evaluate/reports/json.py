"""The evaluation as JSON for machines: metrics, scalars, the comparison, the gates and every
case's outcome."""

from __future__ import annotations

import json
from typing import Any

from reviewer.decision import Role
from reviewer.evaluate.assess import CaseResult
from reviewer.evaluate.evaluation import EvalReport
from reviewer.evaluate.metrics import scalars
from reviewer.evaluate.reports.summary import eval_headline, eval_standing

__all__ = ["eval_json"]


def _case_json(r: CaseResult) -> dict[str, Any]:
    d = r.review.decision if r.review is not None else None
    return {
        "id": r.id,
        "title": r.title,
        "style": r.style,
        "branches": r.branches,
        "passed": r.passed,
        "expected_verdict": r.expected.verdict.value,
        "acceptable_verdicts": [v.value for v in r.expected.acceptable_verdicts],
        "verdict": r.verdict.value if r.verdict is not None else None,
        "checks": r.checks,
        "failures": r.failures,
        "expected_primary_codes": sorted(r.expected.primary_codes),
        "primary_codes": sorted(c.code for c in d.recommended_codes if c.role is Role.primary) if d else [],
        "expected_criteria": {k.value: v.value for k, v in r.expected.criteria.items()},
        "criteria": {c.id.value: c.status.value for c in d.criteria} if d else {},
        "icd10": [i.code for i in d.icd10] if d else [],
        "edits": [e.kind for e in d.edits] if d else [],
        "flags": [f.kind for f in d.flags] if d else [],
        "error": r.error,
        "latency_s": round(r.latency_s, 6),
        "tokens": r.tokens.model_dump(),
    }


def eval_json(report: EvalReport) -> str:
    """Metrics, scalars, the comparison, the gates and every case's outcome, as JSON."""
    data = {
        "extractor": report.extractor,
        "gold_dir": report.gold_dir,
        "elapsed_s": round(report.elapsed_s, 3),
        "passed": report.gates_passed,
        "headline": eval_headline(report),
        "standing": eval_standing(report),
        "cassette_unplayed": report.cassette_unplayed,
        "gold": report.current.gold.model_dump(),
        "versions": report.current.versions,
        "baseline": {
            "path": report.baseline_path,
            "updated": report.baseline_updated,
            "fingerprint": report.baseline.gold.fingerprint if report.baseline else None,
        },
        "gates": [g.model_dump() for g in report.gates],
        "scalars": scalars(report.metrics),
        "metrics": report.metrics.model_dump(mode="json"),
        "delta": report.delta.model_dump(mode="json") if report.delta else None,
        "cases": [_case_json(r) for r in report.results],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
