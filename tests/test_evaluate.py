"""The evaluation harness on hand-made results: checks, metrics with known numbers, evidence
character F1, the metric table, baseline comparison, gates, and `run()` end to end."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from reviewer.decision import CriterionId, Status
from reviewer.evaluate import (
    HARD_GATES,
    METRICS,
    EvalError,
    Gate,
    bundled_eval_files,
    compare,
    compute_metrics,
    evaluate_gates,
    expected_spans,
    load_gates,
    metric_table,
    run,
    run_cases,
    scalars,
    snapshot,
)
from reviewer.evaluate.cases import load_cases
from tests.evaluate_results import ALL_MET, VERSIONS, FakeExtractor, N, Q, S, case, expected, five_cases

ROOT = Path(__file__).parent.parent
GOLD = ROOT / "eval" / "gold"


def test_confusion_matrix_and_per_verdict_precision_recall() -> None:
    m = compute_metrics(five_cases())
    assert m.cases == 5
    assert m.confusion["supported"] == {"supported": 1, "not_supported": 0, "query": 1, "error": 0}
    assert m.confusion["not_supported"] == {"supported": 1, "not_supported": 0, "query": 0, "error": 0}
    assert m.confusion["query"] == {"supported": 0, "not_supported": 1, "query": 1, "error": 0}
    assert m.verdict_accuracy == pytest.approx(3 / 5)
    assert m.verdict_exact == pytest.approx(2 / 5)
    v = m.verdicts
    assert v["supported"].precision == v["supported"].recall == 0.5
    assert (v["not_supported"].precision, v["not_supported"].recall) == (1.0, 0.0)
    assert (v["query"].precision, v["query"].recall) == (0.5, 1.0)
    assert m.query_rate == pytest.approx(2 / 5)
    assert m.expected_query_rate == pytest.approx(2 / 5)


def test_unsafe_is_supported_where_supported_is_not_acceptable() -> None:
    m = compute_metrics(five_cases())
    assert m.unsafe == 1
    assert m.unsafe_cases == ["c"]
    assert scalars(m)["unsafe"] == 1


def test_a_crash_is_a_failing_error_case() -> None:
    r = case("x", expected(S), None)
    assert not r.passed and r.verdict is None
    assert r.failures == ["error: RuntimeError: boom"]
    m = compute_metrics([r])
    assert m.errors == 1 and m.error_cases == ["x"]
    assert m.confusion["supported"]["error"] == 1
    assert m.verdict_accuracy == 0.0


def test_failure_reasons_name_the_check_and_the_difference() -> None:
    exp = expected(
        S,
        primary_codes=["11004"],
        criteria={**ALL_MET, CriterionId.depth: Status.met},
        icd10=["N49.3"],
        edits=["overcoding"],
    )
    r = case("x", exp, Q, statuses={CriterionId.depth: Status.unclear}, primary=[], icd10=["E11.9"])
    assert not r.passed
    assert set(r.failed_checks()) == {"verdict", "primary_codes", "criteria", "icd10", "edits"}
    text = "\n".join(r.failures)
    assert "verdict: expected supported, got query" in text
    assert "primary_codes: expected 11004, got none" in text
    assert "criteria: depth expected met, got unclear" in text
    assert "icd10: missing N49.3" in text


def test_primary_codes_icd10_and_edit_agreement() -> None:
    results = [
        case("a", expected(S, primary_codes=["11004"], icd10=["N49.3", "E11.9"], edits=[]), S, primary=["11004"], icd10=["N49.3"], edits=["mue"]),
        case("b", expected(N, primary_codes=[], icd10=[], edits=["overcoding"]), N, edits=["overcoding"]),
    ]  # fmt: skip
    m = compute_metrics(results)
    assert m.primary_code_exact == 1.0
    assert m.icd10_recall == pytest.approx(1 / 2)
    assert m.icd10_agreement == pytest.approx(1 / 2)
    assert m.edit_recall == 1.0 and m.edit_agreement == 1.0
    assert m.unexpected_edits == 1


def test_criterion_status_precision_recall() -> None:
    exp = expected(Q, criteria={**ALL_MET, CriterionId.depth: Status.unclear})
    results = [
        case("a", exp, Q, statuses={CriterionId.depth: Status.unclear}),
        case("b", exp, Q, statuses={CriterionId.depth: Status.met}),
    ]
    m = compute_metrics(results)
    assert m.criteria["depth"].accuracy == pytest.approx(1 / 2)
    assert m.criteria["site"].accuracy == 1.0
    met = m.criteria["all"].by_status["met"]
    assert (met.support, met.predicted, met.correct) == (6, 7, 6)
    assert met.precision == pytest.approx(6 / 7) and met.recall == 1.0
    unclear = m.criteria["all"].by_status["unclear"]
    assert unclear.precision == 1.0 and unclear.recall == pytest.approx(1 / 2)
    assert m.criterion_accuracy == pytest.approx(7 / 8)
    assert m.criteria["all"].by_status["not_met"].precision is None


NOTE = "0123456789 fascia was excised; fascia"


def test_evidence_char_f1_on_known_spans() -> None:
    # Expected "2345" = [2, 6); cited [4, 8): 2 of 4 cited chars are expected, 2 of 4 expected are cited.
    exp = expected(S, evidence={"site": ["2345"]})
    r = case("a", exp, S, note=NOTE, evidence={CriterionId.site: [(4, 8)]})
    m = compute_metrics([r])
    assert m.evidence.cited_chars == 4 and m.evidence.expected_chars == 4
    assert m.evidence.precision == pytest.approx(0.5)
    assert m.evidence.recall == pytest.approx(0.5)
    assert m.evidence.f1 == pytest.approx(0.5)
    assert scalars(m)["evidence_char_f1"] == pytest.approx(0.5)


def test_evidence_quote_counts_once_at_its_best_covered_occurrence() -> None:
    assert expected_spans(NOTE, "fascia") == [(11, 17), (31, 37)]
    exp = expected(S, evidence={"depth": ["fascia"]})
    r = case("a", exp, S, note=NOTE, evidence={CriterionId.depth: [(31, 37)]})
    m = compute_metrics([r])
    assert (m.evidence.precision, m.evidence.recall) == (1.0, 1.0)


def test_evidence_is_micro_averaged_over_pairs() -> None:
    exp = expected(S, evidence={"site": ["0123456789"], "depth": ["fascia"]})
    # site: cites [0, 10) exactly (10/10); depth: cites nothing (0 of 6 expected).
    r = case("a", exp, S, note=NOTE, evidence={CriterionId.site: [(0, 10)]})
    m = compute_metrics([r])
    assert m.evidence.pairs == 2
    assert m.evidence.precision == 1.0
    assert m.evidence.recall == pytest.approx(10 / 16)
    assert m.evidence_by_criterion["depth"].recall == 0.0
    assert m.evidence_by_criterion["depth"].f1 == 0.0


def test_latency_mean_and_p95() -> None:
    results = [case(str(i), expected(S), S).model_copy(update={"latency_s": float(i)}) for i in range(1, 21)]
    m = compute_metrics(results)
    assert m.latency_mean_s == pytest.approx(10.5)
    assert m.latency_p95_s == 19.0
    assert m.tokens_total == 0 and m.tokens_mean == 0


def test_compare_lists_flips_for_cases_in_both() -> None:
    before = five_cases()
    after = [
        case("a", expected(S), Q),  # newly failing
        case("b", expected(S), S),  # newly passing
        case("c", expected(N), Q),  # still failing, verdict changed
        case("e", expected(Q), Q),
        case("f", expected(Q), Q),  # new
    ]
    base = snapshot(before, compute_metrics(before), extractor="rules", versions=VERSIONS)
    now = snapshot(after, compute_metrics(after), extractor="rules", versions={"ruleset": "1.1.0"})
    delta = compare(now, base)
    assert {(f.id, f.kind) for f in delta.flips} == {
        ("a", "newly_failing"),
        ("b", "newly_passing"),
        ("c", "verdict_changed"),
    }
    assert delta.added == ["f"] and delta.removed == ["d"]
    assert delta.gold_changed
    assert delta.versions == {"ruleset": ("1.0.0", "1.1.0")}
    unsafe = next(d for d in delta.metrics if d.name == "unsafe")
    assert (unsafe.value, unsafe.baseline, unsafe.change) == (0, 1, "better")


def gates_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gates.yaml"
    path.write_text(text)
    return path


def test_gates_file_syntax(tmp_path: Path) -> None:
    gates = load_gates(
        gates_file(
            tmp_path,
            "rules:\n  - {metric: unsafe, max: 0}\n  - {metric: verdict_accuracy, min: baseline, tolerance: 0.02}\n",
        ),
        "rules",
    )
    assert [g.label for g in gates] == ["unsafe <= 0", "verdict_accuracy >= baseline - 0.02"]
    for text, msg in [
        ("rules:\n  - {metric: nope, max: 0}\n", r"field rules\.0: unknown metric 'nope'"),
        ("rules:\n  - {metric: unsafe, max: 0, min: 0}\n", r"exactly one of min, max, equals"),
        ("rules:\n  - {metric: unsafe, max: 0, tolerance: -1}\n", r"field rules\.0\.tolerance"),
        ("rules:\n  - {metric: unsafe, max: lots}\n", r"field rules\.0\.max"),
        ("llm: []\n", r"field rules: no gates for extractor 'rules'"),
        ("rules: [\n", r"not valid YAML"),
    ]:
        with pytest.raises(EvalError, match=msg):
            load_gates(gates_file(tmp_path, text), "rules")


def test_gates_semantics_and_the_cases_they_name() -> None:
    before = [case("a", expected(S), S), case("b", expected(N), N)]
    after = [case("a", expected(S), S), case("b", expected(N), S)]  # b flips to unsafe
    base = snapshot(before, compute_metrics(before), extractor="rules", versions=VERSIONS)
    now = snapshot(after, compute_metrics(after), extractor="rules", versions=VERSIONS)
    gates = [
        Gate(metric="unsafe", max=0),
        Gate(metric="verdict_accuracy", min="baseline"),
        Gate(metric="verdict_accuracy", min="baseline", tolerance=0.5),
        Gate(metric="verdict_exact", equals=0.5),
        Gate(metric="verdict_precision.query", min=0.9),  # nothing judged query: n/a
        Gate(metric="criterion_accuracy", min="baseline", name="criteria hold"),
    ]
    res = evaluate_gates(gates, now, base)
    assert [r.status for r in res] == ["fail", "fail", "pass", "pass", "n/a", "pass"]
    assert res[0].cases == ["b"] and "unsafe cases: b" in res[0].detail
    assert res[1].cases == ["b"] and "newly failing cases: b" in res[1].detail
    assert res[1].bound == 1.0 and res[2].bound == 0.5
    assert res[5].gate == "criteria hold"
    # A baseline gate with no baseline fails; an absolute one is still checked.
    res = evaluate_gates(gates[:2], now, None)
    assert [r.status for r in res] == ["fail", "fail"]
    assert "no baseline" in res[1].detail


def test_every_metric_is_named_and_documented() -> None:
    m = compute_metrics(five_cases())
    values = scalars(m)
    assert list(values) == list(METRICS)
    assert [row.name for row in metric_table(m)] == list(METRICS)
    assert {row.name: row.value for row in metric_table(m)} == values
    for name, metric in METRICS.items():
        assert metric.name == name
        assert metric.definition.endswith("."), name
        assert metric.direction in ("higher", "lower", "none")
        assert values[name] is None or isinstance(values[name], float)
    undocumented = [n for n, f in type(m).model_fields.items() if n in METRICS and not f.description]
    assert undocumented == []


def test_the_metric_table_reads_each_metric_from_its_place_in_the_metrics() -> None:
    m = compute_metrics(five_cases())
    values = scalars(m)
    assert values["verdict_accuracy"] == m.verdict_accuracy == pytest.approx(3 / 5)
    assert values["unsafe"] == 1.0 and values["cases_failed"] == 2.0
    assert values["verdict_precision.supported"] == m.verdicts["supported"].precision
    assert values["verdict_recall.query"] == m.verdicts["query"].recall
    assert values["criterion_accuracy.depth"] == m.criteria["depth"].accuracy
    assert values["criterion_precision.met"] == m.criteria["all"].by_status["met"].precision
    assert values["evidence_char_f1"] is None and values["tokens_total"] == 0.0
    # A baseline written before a metric existed reads as "no value", never as an error.
    old = m.model_copy(update={"criteria": {}, "verdicts": {}})
    assert scalars(old)["criterion_accuracy.depth"] is None and scalars(old)["verdict_recall.query"] is None


def test_run_cases_reuses_one_extractor_and_counts_tokens() -> None:
    cases = load_cases(GOLD)[:3]
    fake = FakeExtractor()
    results = run_cases(cases, fake)
    assert fake.calls == 3
    assert [r.id for r in results] == [c.id for c in cases]
    assert all(r.latency_s > 0 for r in results)
    m = compute_metrics(results)
    assert (m.tokens_total, m.tokens_mean, m.cached_tokens, m.attempts) == (360, 120, 150, 3)


def test_run_cases_records_a_crash_and_propagates_a_fatal_error() -> None:
    cases = load_cases(GOLD)[:2]
    results = run_cases(cases, FakeExtractor(crash=RuntimeError))
    assert [r.error for r in results] == ["RuntimeError: endpoint down"] * 2
    assert compute_metrics(results).errors == 2
    with pytest.raises(LookupError, match="endpoint down"):
        run_cases(cases, FakeExtractor(crash=LookupError), fatal=(LookupError,))


def test_an_unsafe_case_fails_whatever_the_gates_file_says() -> None:
    before = [case("a", expected(S), S), case("b", expected(N), S)]  # unsafe in the baseline too
    base = snapshot(before, compute_metrics(before), extractor="llm", versions=VERSIONS)
    for gates in ([], [Gate(metric="unsafe", max=5)], [Gate(metric="unsafe", max="baseline")]):
        res = evaluate_gates(gates, base, base)
        assert res[0].gate == "unsafe <= 0" and res[0].status == "fail" and res[0].cases == ["b"]
        assert [r.gate for r in res[1:]] == [g.label for g in gates]
    # The gates file's own copy of the hard gate is not checked twice.
    res = evaluate_gates([Gate(metric="unsafe", max=0), Gate(metric="errors", max=0)], base, None)
    assert [r.gate for r in res] == ["unsafe <= 0", "errors <= 0"]
    assert [g.label for g in HARD_GATES] == ["unsafe <= 0"]


def test_the_bundled_gold_set_is_the_checkout_and_the_wheel_ships_it() -> None:
    files = bundled_eval_files()
    assert files is not None and not files.packaged  # tests run from a checkout
    root = Path(__file__).resolve().parent.parent
    assert files.root == root / "eval"
    assert files.gold.is_dir() and files.gates.is_file() and files.baseline("rules").is_file()
    wheel = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))["tool"]["hatch"]["build"]["targets"]
    shipped = wheel["wheel"]["force-include"]
    assert shipped["eval/gold"] == "reviewer/_eval/gold"
    assert shipped["eval/baselines"] == "reviewer/_eval/baselines"
    assert shipped["eval/gates.yaml"] == "reviewer/_eval/gates.yaml"


def test_run_does_a_whole_evaluation_with_one_extractor(tmp_path: Path) -> None:
    gold = tmp_path / "gold"
    gold.mkdir()
    cases = load_cases(GOLD)[:3]
    for c in cases:
        assert c.path is not None
        shutil.copy(c.path, gold / c.path.name)
    gates = tmp_path / "gates.yaml"
    gates.write_text("fake:\n  - {metric: errors, max: 0}\n  - {metric: verdict_accuracy, min: baseline}\n")
    baseline = tmp_path / "fake.json"
    fake = FakeExtractor()
    progress: list[tuple[int, int]] = []
    report = run(gold, gates=gates, baseline=baseline, extractor=fake, progress=lambda *p: progress.append(p))
    assert fake.calls == 3 and progress == [(1, 3), (2, 3), (3, 3)]
    assert (
        report.extractor == "fake" and report.gold_dir == str(gold) and report.baseline_path == str(baseline)
    )
    assert [r.id for r in report.results] == [c.id for c in cases]
    assert report.baseline is None and report.delta is None and not report.baseline_updated
    assert report.metrics.tokens_total == 360 and report.elapsed_s > 0
    assert [(g.gate, g.status) for g in report.gates] == [
        ("unsafe <= 0", "pass"),
        ("errors <= 0", "pass"),
        ("verdict_accuracy >= baseline", "fail"),
    ]
    accepted = run(gold, gates=gates, baseline=baseline, extractor=fake, accept_baseline=True)
    assert accepted.baseline_updated and accepted.gates_passed and not baseline.exists()
    baseline.write_text(accepted.current.model_dump_json(), "utf-8")
    again = run(gold, gates=gates, baseline=baseline, extractor=fake)
    assert again.baseline == accepted.current
    assert again.delta is not None and not again.delta.gold_changed and again.delta.flips == []
    assert again.gates_passed
    with pytest.raises(
        EvalError, match=r"rules\.json: field extractor: the baseline is for 'rules', not 'fake'"
    ):
        run(gold, gates=gates, baseline=ROOT / "eval" / "baselines" / "rules.json", extractor=fake)
