"""Hand-made evaluation results for the evaluation tests: reviews with chosen verdicts,
statuses and evidence, gold expectations, and an extractor that finds nothing."""

from __future__ import annotations

from collections.abc import Sequence

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
    CaseResult,
    EvalReport,
    Gate,
    assess,
    compare,
    compute_metrics,
    evaluate_gates,
    snapshot,
)
from reviewer.evaluate.cases import Expected
from reviewer.extract import Extraction, Usage
from reviewer.findings import Evidence, Findings
from reviewer.note import Note
from reviewer.pipeline import ExtractorInfo, Review

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
