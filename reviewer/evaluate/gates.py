"""Gates (eval/gates.yaml): the conditions a run must meet, checked on its metrics against
fixed bounds or the baseline. A failing gate names itself and the cases behind it.

Gate syntax, one section per extractor:

    rules:
      - {metric: unsafe, max: 0}
      - {metric: verdict_accuracy, min: baseline, tolerance: 0.0}

Each gate has `metric` (a name in the metric table, `METRICS`) and exactly one bound: `min`
(value >= bound), `max` (value <= bound) or `equals` (|value - bound| <= tolerance). A bound is a
number or the word `baseline` (the metric's value in the baseline snapshot). `tolerance` (>= 0,
default 0) relaxes the bound: `min: B` passes when value >= B - tolerance, `max: B` when value <=
B + tolerance. An optional `name` labels the gate in reports. A gate whose metric (or baseline
value) has no value, because its denominator is empty, is `n/a` and does not fail; a gate that
needs a baseline when there is none fails. `HARD_GATES` (`unsafe <= 0`) are checked for every
extractor whatever the gates file and the baseline say.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from reviewer.datafile import load_yaml
from reviewer.evaluate.baseline import CaseOutcome, Snapshot
from reviewer.evaluate.errors import EvalError
from reviewer.evaluate.metrics import METRICS, Metric, scalars

__all__ = ["HARD_GATES", "Gate", "GateResult", "evaluate_gates", "load_gates"]

_EPS = 1e-9


class Gate(BaseModel):
    """One gate of eval/gates.yaml (see the module docstring for the semantics)."""

    model_config = ConfigDict(extra="forbid")

    metric: str
    min: float | Literal["baseline"] | None = None
    max: float | Literal["baseline"] | None = None
    equals: float | Literal["baseline"] | None = None
    tolerance: float = Field(0.0, ge=0)
    name: str | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> Gate:
        if self.metric not in METRICS:
            raise ValueError(f"unknown metric {self.metric!r}")
        bounds = [b for b in (self.min, self.max, self.equals) if b is not None]
        if len(bounds) != 1:
            raise ValueError("a gate needs exactly one of min, max, equals")
        return self

    @property
    def op(self) -> Literal["min", "max", "equals"]:
        return "min" if self.min is not None else "max" if self.max is not None else "equals"

    @property
    def bound(self) -> float | Literal["baseline"]:
        value = self.min if self.min is not None else self.max if self.max is not None else self.equals
        assert value is not None
        return value

    @property
    def uses_baseline(self) -> bool:
        return self.bound == "baseline"

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        symbol = {"min": ">=", "max": "<=", "equals": "=="}[self.op]
        bound = self.bound if isinstance(self.bound, str) else _num(self.bound)
        sign = {"min": " - ", "max": " + ", "equals": " ± "}[self.op]
        tol = f"{sign}{_num(self.tolerance)}" if self.tolerance else ""
        return f"{self.metric} {symbol} {bound}{tol}"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


class GateResult(BaseModel):
    gate: str  # the gate's label, e.g. "verdict_accuracy >= baseline"
    metric: str
    status: Literal["pass", "fail", "n/a"]
    value: float | None
    bound: float | None  # the effective bound, tolerance applied
    detail: str
    cases: list[str] = []  # cases that newly fail the check this metric is computed from

    @property
    def failed(self) -> bool:
        return self.status == "fail"


def load_gates(path: Path, extractor: str) -> list[Gate]:
    """The gates for `extractor`; EvalError (file and field named) on a malformed file."""
    try:
        raw: Any = load_yaml(path.read_text("utf-8"))
    except OSError as exc:
        raise EvalError(f"{path}: cannot read gates ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        raise EvalError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(raw, dict):
        raise EvalError(f"{path}: the gates file is a mapping of extractor -> list of gates")
    section = raw.get(extractor)
    if section is None:
        raise EvalError(f"{path}: field {extractor}: no gates for extractor {extractor!r}")
    if not isinstance(section, list):
        raise EvalError(f"{path}: field {extractor}: a list of gates is expected")
    gates = []
    for i, item in enumerate(section):
        try:
            gates.append(Gate.model_validate(item))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in (extractor, i, *err["loc"]))
            msg = str(err["msg"]).removeprefix("Value error, ")
            raise EvalError(f"{path}: field {where}: {msg}") from None
    return gates


def _fmt(metric: Metric, value: float | None) -> str:
    if value is None:
        return "n/a"
    if metric.kind == "rate":
        return f"{value:.4f}"
    if metric.kind == "seconds":
        return f"{value:.4f} s"
    if metric.kind == "count" or float(value).is_integer():
        return _num(value)
    return f"{value:.1f}"


def _culprits(metric: Metric, current: Snapshot, baseline: Snapshot | None) -> tuple[list[str], str]:
    """The cases behind a failing gate: those newly failing its check (else all failing it)."""
    if metric.name == "unsafe":
        return list(current.metrics.unsafe_cases), "unsafe cases"
    if metric.check is None:
        return [], ""

    def fails(out: CaseOutcome) -> bool:
        return (not out.passed) if metric.check == "*" else (metric.check in out.failed_checks)

    failing = [c for c, out in current.cases.items() if fails(out)]
    if baseline is None:
        return failing, "failing cases"
    newly = [c for c in failing if c not in baseline.cases or not fails(baseline.cases[c])]
    if newly:
        return newly, "newly failing cases"
    return failing, "failing cases"


# Gates that hold for every extractor, whatever the gates file and the baseline say: a
# `supported` verdict the record does not support is never accepted.
HARD_GATES: tuple[Gate, ...] = (Gate(metric="unsafe", max=0),)


def _with_hard_gates(gates: Sequence[Gate]) -> list[Gate]:
    """The hard gates first, then the given ones (a given copy of a hard gate is dropped)."""
    hard = {(g.metric, g.op, g.bound, g.tolerance) for g in HARD_GATES}
    return [*HARD_GATES, *(g for g in gates if (g.metric, g.op, g.bound, g.tolerance) not in hard)]


def evaluate_gates(gates: Sequence[Gate], current: Snapshot, baseline: Snapshot | None) -> list[GateResult]:
    """Each gate checked on the current metrics; a failing gate names the cases behind it.
    `HARD_GATES` (no unsafe case) are always checked, first."""
    now = scalars(current.metrics)
    before = scalars(baseline.metrics) if baseline is not None else None
    return [_check(gate, now[gate.metric], before, current, baseline) for gate in _with_hard_gates(gates)]


def _check(
    gate: Gate,
    value: float | None,
    before: dict[str, float | None] | None,
    current: Snapshot,
    baseline: Snapshot | None,
) -> GateResult:
    metric = METRICS[gate.metric]
    if gate.uses_baseline:
        if before is None:
            detail = "no baseline to compare with (accept one with --update-baseline)"
            return GateResult(
                gate=gate.label, metric=gate.metric, status="fail", value=value, bound=None, detail=detail
            )
        base = before.get(gate.metric)
        origin = f"baseline {_fmt(metric, base)}"
    else:
        base = float(gate.bound)
        origin = _fmt(metric, base)
    if value is None or base is None:
        detail = f"{gate.metric} has no value ({'now' if value is None else 'in the baseline'})"
        return GateResult(
            gate=gate.label, metric=gate.metric, status="n/a", value=value, bound=None, detail=detail
        )
    bound, ok, relation = _bound_check(gate, value, base)
    tol_text = f" (tolerance {_num(gate.tolerance)})" if gate.tolerance else ""
    detail = f"{_fmt(metric, value)} {relation} {origin}{tol_text}"
    cases: list[str] = []
    if not ok:
        cases, what = _culprits(metric, current, baseline)
        if cases:
            known = baseline.cases if baseline is not None else {}
            named = [c if c in known or baseline is None else f"{c} (new case)" for c in cases]
            detail += f"; {what}: {', '.join(named)}"
    status: Literal["pass", "fail"] = "pass" if ok else "fail"
    return GateResult(
        gate=gate.label,
        metric=gate.metric,
        status=status,
        value=value,
        bound=bound,
        detail=detail,
        cases=cases,
    )


def _bound_check(gate: Gate, value: float, base: float) -> tuple[float, bool, str]:
    """(the effective bound, whether the value passes, the relation to print)."""
    tol = gate.tolerance
    if gate.op == "min":
        ok = value >= base - tol - _EPS
        return base - tol, ok, ">=" if ok else "<"
    if gate.op == "max":
        ok = value <= base + tol + _EPS
        return base + tol, ok, "<=" if ok else ">"
    ok = abs(value - base) <= tol + _EPS
    return base, ok, "==" if ok else "!="
