"""The evaluation harness on hand-made results: checks, metrics with known numbers, evidence
character F1, baseline comparison, gates, reports, and the generated coverage table."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path

import pytest

from reviewer.decision import (
    Criterion,
    CriterionId,
    Decision,
    Edit,
    Icd10Suggestion,
    RecommendedCode,
    Role,
    Severity,
    Status,
    Verdict,
)
from reviewer.evaluate import (
    HARD_GATES,
    METRICS,
    CaseResult,
    EvalError,
    EvalReport,
    Gate,
    assess,
    bundled_eval_files,
    compare,
    compute_metrics,
    evaluate_gates,
    expected_spans,
    load_gates,
    run_cases,
    scalars,
    snapshot,
)
from reviewer.extract import Extraction, Usage
from reviewer.findings import Evidence, Findings
from reviewer.gold import Expected, load_cases
from reviewer.note import Note
from reviewer.pipeline import ExtractorInfo, Review
from reviewer.report.eval import coverage_markdown, eval_html, eval_json, eval_markdown, eval_text

ROOT = Path(__file__).parent.parent
GOLD = ROOT / "eval" / "gold"
ALL_MET = dict.fromkeys(CriterionId, Status.met)
VERSIONS = {"ruleset": "1.0.0"}


def make_review(
    verdict: Verdict,
    *,
    statuses: dict[CriterionId, Status] | None = None,
    evidence: dict[CriterionId, Sequence[tuple[int, int]]] | None = None,
    note: str = "",
    primary: Sequence[str] = (),
    icd10: Sequence[str] = (),
    edits: Sequence[str] = (),
) -> Review:
    statuses = statuses or ALL_MET
    evidence = evidence or {}
    criteria = [
        Criterion(
            id=cid,
            status=statuses.get(cid, Status.met),
            reason="r",
            evidence=[Evidence(quote=note[s:e], start=s, end=e) for s, e in evidence.get(cid, [])],
        )
        for cid in CriterionId
    ]
    decision = Decision(
        verdict=verdict,
        summary="s",
        criteria=criteria,
        recommended_codes=[RecommendedCode(code=c, role=Role.primary) for c in primary],
        icd10=[Icd10Suggestion(code=c, title=c, reason="r", billable=True) for c in icd10],
        edits=[Edit(kind=k, severity=Severity.error, codes=[], message="m") for k in edits],
        ruleset_version="1.0.0",
    )
    return Review(
        note_id="n",
        note_sha256="0" * 64,
        extractor=ExtractorInfo(name="rules"),
        ruleset_version="1.0.0",
        findings=Findings(),
        decision=decision,
    )


def expected(verdict: Verdict, acceptable: Sequence[Verdict] = (), **kw: object) -> Expected:
    return Expected.model_validate(
        {
            "verdict": verdict,
            "acceptable_verdicts": list(acceptable) or [verdict],
            "criteria": kw.pop("criteria", ALL_MET),
            **kw,
        }
    )


def case(case_id: str, exp: Expected, got: Verdict | None, note: str = "note", **kw: object) -> CaseResult:
    review = make_review(got, note=note, **kw) if got is not None else None  # type: ignore[arg-type]
    return assess(case_id, note, exp, review, error=None if review else "RuntimeError: boom", digest=case_id)


S, N, Q = Verdict.supported, Verdict.not_supported, Verdict.query


def five_cases() -> list[CaseResult]:
    return [
        case("a", expected(S), S),  # right
        case("b", expected(S), Q),  # wrong: too cautious
        case("c", expected(N), S),  # wrong and unsafe
        case("d", expected(Q, [Q, N]), N),  # acceptable alternative
        case("e", expected(Q), Q),  # right
    ]


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
    assert set(values) == set(METRICS)
    for name, info in METRICS.items():
        assert info.description.endswith("."), name
        assert values[name] is None or isinstance(values[name], float)
    for name, field in type(m).model_fields.items():
        if name in METRICS:
            assert field.description, name


def report_of(results: list[CaseResult]) -> EvalReport:
    base = snapshot(five_cases(), compute_metrics(five_cases()), extractor="rules", versions=VERSIONS)
    now = snapshot(results, compute_metrics(results), extractor="rules", versions=VERSIONS)
    return EvalReport(
        extractor="rules",
        gold_dir="eval/gold",
        elapsed_s=1.0,
        current=now,
        results=results,
        baseline_path="eval/baselines/rules.json",
        baseline=base,
        delta=compare(now, base),
        gates=evaluate_gates([Gate(metric="unsafe", max=0)], now, base),
    )


class Marks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.marks: list[tuple[int, int, str]] = []
        self._open: list[list[object]] = []
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.refs += [v or "" for k, v in attrs if k in {"href", "src"}]
        if tag == "mark":
            self._open.append([int(a["data-start"] or 0), int(a["data-end"] or 0), ""])

    def handle_data(self, data: str) -> None:
        for m in self._open:
            m[2] = str(m[2]) + data

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark":
            s, e, text = self._open.pop()
            self.marks.append((int(str(s)), int(str(e)), str(text)))


def test_reports_render_failing_cases_and_highlight_at_exact_offsets() -> None:
    note = 'Fournier\'s <b>gangrene</b> & "fascia" excised.\r\nDone.'
    exp = expected(N, evidence={"depth": ['"fascia"']})
    failing = case(
        "z-1", exp, S, note=note, evidence={CriterionId.depth: [(29, 37)], CriterionId.site: [(0, 10)]}
    )
    report = report_of([*five_cases(), failing, case("crashed", expected(Q), None)])
    md = eval_markdown(report)
    assert "| metric | value | baseline | change |" in md
    assert "| **FAIL** | `unsafe <= 0` |" in md and "z-1" in md
    assert "<" not in md.replace("<=", "")  # plain Markdown, nothing from the note
    text = eval_text(report)
    assert (
        text.startswith("Gold-set evaluation, rules extractor: REGRESSION: unsafe <= 0\n") and "z-1" in text
    )
    assert text.splitlines()[1].startswith("Verdict accuracy 42.9%: 4 of 7 cases wrong, 2 unsafe.")
    assert "PASS" not in md.splitlines()[2] and md.splitlines()[2].startswith("**REGRESSION: unsafe <= 0.**")
    page = eval_html(report)
    assert "http://" not in page and "https://" not in page
    assert "<b>" not in page and "&lt;b&gt;" in page
    parser = Marks()
    parser.feed(page)
    assert not [r for r in parser.refs if not r.startswith("#")]
    assert parser.marks
    for s, e, text in parser.marks:
        assert note[s:e] == text
    assert {note[s:e] for s, e, _ in parser.marks} == {"Fournier's", '"fascia"'}
    data = eval_json(report)
    assert '"id": "z-1"' in data and '"id": "crashed"' in data
    assert 'id="case-crashed"' in page and "RuntimeError: boom" in page


def test_checked_in_coverage_table_is_up_to_date() -> None:
    path = GOLD / "COVERAGE.md"
    text = coverage_markdown(load_cases(GOLD))
    assert path.exists(), f"{path} missing: run `reviewer eval --coverage`"
    assert path.read_text("utf-8") == text, f"{path} is stale: run `reviewer eval --coverage`"


def test_coverage_counts_verdict_by_style_and_branches() -> None:
    cases = load_cases(GOLD)
    text = coverage_markdown(cases)
    assert f"Totals: {len(cases)} cases" in text
    assert "| style | supported | not_supported | query | total |" in text
    for c in cases:
        assert f"| {c.id} | {c.style} |" in text
    seed = next(c for c in cases if c.branches)
    assert f"`{seed.branches[0]}`" in text


class FakeExtractor:
    """Finds nothing, spends tokens, and can be told to crash."""

    name = "fake"

    def __init__(self, crash: type[Exception] | None = None) -> None:
        self.crash = crash
        self.calls = 0

    def extract(self, note: Note) -> Extraction:
        self.calls += 1
        if self.crash is not None:
            raise self.crash("endpoint down")
        usage = Usage(prompt_tokens=100, completion_tokens=20, cached_tokens=50, attempts=1)
        return Extraction(findings=Findings(), extractor="fake", usage=usage)


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
