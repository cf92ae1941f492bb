"""Snapshots of a run (what a baseline file, eval/baselines/<extractor>.json, stores), loading
one, and the comparison of a run with its baseline: metric by metric, and the cases that
flipped."""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from reviewer.datafile import load_yaml
from reviewer.decision import Verdict
from reviewer.evaluate.assess import CaseResult
from reviewer.evaluate.cases import gold_fingerprint
from reviewer.evaluate.errors import EvalError
from reviewer.evaluate.metrics import METRICS, Metric, scalars
from reviewer.evaluate.scores import Metrics

__all__ = [
    "SNAPSHOT_FORMAT",
    "CaseFlip",
    "CaseOutcome",
    "Delta",
    "GoldInfo",
    "MetricDelta",
    "Snapshot",
    "case_flips",
    "compare",
    "load_snapshot",
    "snapshot",
    "tool_versions",
]

SNAPSHOT_FORMAT = 1
_EPS = 1e-9
_TIMING_NOISE = 0.25  # latency changes under 25% of the baseline are reported as "same"

Change = Literal["better", "worse", "same", "changed", "n/a"]
FlipKind = Literal["newly_failing", "newly_passing", "verdict_changed"]


class CaseOutcome(BaseModel):
    """What a baseline remembers about one case."""

    verdict: Verdict | None  # None when the review raised
    passed: bool
    failed_checks: list[str] = []
    digest: str = ""


class GoldInfo(BaseModel):
    fingerprint: str
    cases: int


class Snapshot(BaseModel):
    """One evaluation run, as stored in eval/baselines/<extractor>.json."""

    model_config = ConfigDict(extra="forbid")

    format: int = SNAPSHOT_FORMAT
    extractor: str
    versions: dict[str, str] = {}
    gold: GoldInfo
    metrics: Metrics
    cases: dict[str, CaseOutcome]


def _read_version(resource: str) -> str:
    try:
        text = resources.files("reviewer.data").joinpath(resource).read_text("utf-8")
        raw: Any = json.loads(text) if resource.endswith(".json") else load_yaml(text)
        return str(raw.get("version", "unversioned")) if isinstance(raw, dict) else "?"
    except (OSError, ValueError, yaml.YAMLError):
        return "?"


def tool_versions(results: Sequence[CaseResult] = ()) -> dict[str, str]:
    """Versions of everything a verdict depends on: the package, its data files, the extractor."""
    import reviewer
    from reviewer.rules.icd10 import icd10_release
    from reviewer.rules.ruleset import RULESET_FILE

    versions = {
        "reviewer": reviewer.__version__,
        "ruleset": _read_version(RULESET_FILE),
        "lexicon": _read_version("lexicon.yaml"),
        "context_rules": _read_version("context_rules.json"),
        "claim_edits": _read_version("claim_edits.yaml"),
        "icd10_map": _read_version("icd10_map.yaml"),
        "cms_tables": _read_version("cms/manifest.json"),
    }
    try:
        versions["icd10_release"] = icd10_release()
    except Exception:  # metadata lookups only; never fail an evaluation on them
        versions["icd10_release"] = "?"
    for r in results:
        if r.review is not None:
            ext = r.review.extractor
            if ext.model:
                versions["model"] = ext.model
            if ext.prompt_version:
                versions["prompt"] = ext.prompt_version
            versions["schema"] = r.review.schema_version
            break
    return versions


def snapshot(
    results: Sequence[CaseResult],
    metrics: Metrics,
    *,
    extractor: str,
    versions: dict[str, str] | None = None,
) -> Snapshot:
    """The run as a baseline-shaped record."""
    digests = {r.id: r.digest for r in results}
    return Snapshot(
        extractor=extractor,
        versions=versions if versions is not None else tool_versions(results),
        gold=GoldInfo(fingerprint=gold_fingerprint(digests), cases=len(results)),
        metrics=metrics,
        cases={
            r.id: CaseOutcome(
                verdict=r.verdict, passed=r.passed, failed_checks=r.failed_checks(), digest=r.digest
            )
            for r in results
        },
    )


def load_snapshot(path: Path) -> Snapshot:
    """A baseline file; EvalError (file and field named) when it is unreadable or malformed."""
    try:
        raw = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise EvalError(f"{path}: cannot read baseline ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise EvalError(f"{path}: not valid JSON ({exc})") from None
    try:
        return Snapshot.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(baseline)"
        raise EvalError(f"{path}: field {where}: {err['msg']}") from None


class MetricDelta(BaseModel):
    name: str
    value: float | None
    baseline: float | None
    delta: float | None
    change: Change


class CaseFlip(BaseModel):
    """A case present in both runs whose pass/fail or verdict changed."""

    id: str
    kind: FlipKind
    baseline_verdict: Verdict | None
    verdict: Verdict | None
    baseline_passed: bool
    passed: bool
    case_changed: bool  # the case file differs from the one the baseline saw
    failed_checks: list[str] = []


class Delta(BaseModel):
    gold_changed: bool
    baseline_fingerprint: str
    fingerprint: str
    added: list[str] = []  # cases not in the baseline
    removed: list[str] = []  # baseline cases no longer in the gold set
    modified: list[str] = []  # cases whose file changed since the baseline
    metrics: list[MetricDelta] = []
    flips: list[CaseFlip] = []
    versions: dict[str, tuple[str | None, str | None]] = {}  # component -> (baseline, now), changed only


def _change(metric: Metric, value: float | None, base: float | None) -> MetricDelta:
    if value is None or base is None:
        return MetricDelta(name=metric.name, value=value, baseline=base, delta=None, change="n/a")
    delta = value - base
    noise = _TIMING_NOISE * abs(base) if metric.kind == "seconds" else _EPS
    if abs(delta) <= noise:
        change: Change = "same"
    elif metric.direction == "none":
        change = "changed"
    else:
        change = "better" if (delta > 0) == (metric.direction == "higher") else "worse"
    return MetricDelta(name=metric.name, value=value, baseline=base, delta=delta, change=change)


def _flip_kind(old: CaseOutcome, now: CaseOutcome) -> FlipKind | None:
    if old.passed and not now.passed:
        return "newly_failing"
    if now.passed and not old.passed:
        return "newly_passing"
    if now.verdict is not old.verdict:
        return "verdict_changed"
    return None


def case_flips(current: Snapshot, baseline: Snapshot) -> list[CaseFlip]:
    """The cases present in both runs whose pass/fail or verdict changed, in the run's order."""
    flips: list[CaseFlip] = []
    for case_id, out in current.cases.items():
        old = baseline.cases.get(case_id)
        kind = _flip_kind(old, out) if old is not None else None
        if old is None or kind is None:
            continue
        flips.append(
            CaseFlip(
                id=case_id,
                kind=kind,
                baseline_verdict=old.verdict,
                verdict=out.verdict,
                baseline_passed=old.passed,
                passed=out.passed,
                case_changed=bool(old.digest) and old.digest != out.digest,
                failed_checks=out.failed_checks,
            )
        )
    return flips


def compare(current: Snapshot, baseline: Snapshot) -> Delta:
    """Metric by metric and case by case; flips only for cases present in both runs."""
    now = scalars(current.metrics)
    before = scalars(baseline.metrics)
    versions = {
        k: (baseline.versions.get(k), current.versions.get(k))
        for k in sorted(set(baseline.versions) | set(current.versions))
        if baseline.versions.get(k) != current.versions.get(k)
    }
    return Delta(
        gold_changed=current.gold.fingerprint != baseline.gold.fingerprint,
        baseline_fingerprint=baseline.gold.fingerprint,
        fingerprint=current.gold.fingerprint,
        added=sorted(set(current.cases) - set(baseline.cases)),
        removed=sorted(set(baseline.cases) - set(current.cases)),
        modified=sorted(
            c
            for c, out in current.cases.items()
            if c in baseline.cases and baseline.cases[c].digest and baseline.cases[c].digest != out.digest
        ),
        metrics=[_change(metric, now[name], before.get(name)) for name, metric in METRICS.items()],
        flips=case_flips(current, baseline),
        versions=versions,
    )
