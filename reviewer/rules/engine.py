"""The decision: a pure function from checked findings (+ sex, claimed codes) to a Decision."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reviewer.decision import Criterion, CriterionId, Decision, RecommendedCode, Role, Status, Verdict
from reviewer.findings import Assertion, Findings, Sex
from reviewer.inputs.claim import ClaimedCode
from reviewer.rules import verdict as v
from reviewer.rules.cms import load_tables
from reviewer.rules.codes import recommend
from reviewer.rules.criteria import criteria as evaluate
from reviewer.rules.edits import claim_edits
from reviewer.rules.facts import Facts
from reviewer.rules.flags import flags
from reviewer.rules.icd10 import suggest_icd10
from reviewer.rules.queries import draft
from reviewer.rules.ruleset import load_ruleset
from reviewer.rules.sex import patient_sex, sex_edits


def decide(
    findings: Findings,
    *,
    sex: Sex | None = None,
    claimed: Sequence[ClaimedCode] = (),
    parts: Mapping[str, Findings] | None = None,
    error: str | None = None,
) -> Decision:
    """The decision on checked findings. `parts` (hybrid) are each extractor's own findings:
    a criterion they disagree on cannot support 11004. `error` (a failed extraction) makes the
    verdict `query`: a human must review the note."""
    rs = load_ruleset()
    facts = Facts(findings)
    criteria = evaluate(facts)
    if parts:
        criteria = _mark_disagreements(criteria, parts)
    by_id = {k.id: k for k in criteria}
    verdict = v.verdict(criteria)
    disputed = [k for k in criteria if len(set(k.by_extractor.values())) > 1 and k.status is Status.met]
    if error is not None or (verdict is Verdict.supported and disputed):
        verdict = Verdict.query
    who = patient_sex(findings, sex)
    recommended = recommend(facts, by_id, rs, sex=who)
    if error is not None:
        summary = f"Needs human review: {error}."
        recommended = _no_primary(recommended)
    elif verdict is Verdict.query and disputed:
        summary = v.disputed_summary(disputed)
        recommended = _no_primary(recommended)
    else:
        summary = v.summary(verdict, criteria)
    claim = (
        claim_edits(
            list(claimed),
            verdict=verdict,
            recommended=recommended,
            sex=sex or who,
            tables=load_tables(),
            separate_site=bool(facts.field.separate),
        )
        if claimed
        else []
    )
    nsti_confirmed = by_id[CriterionId.necrotizing_infection].status is Status.met
    return Decision(
        verdict=verdict,
        summary=summary,
        criteria=criteria,
        recommended_codes=recommended,
        icd10=suggest_icd10(_confirmed(findings, by_id), who, nsti_confirmed),
        queries=draft(facts, criteria, recommended, rs),
        edits=sex_edits(findings, sex) + claim,
        flags=flags(facts, by_id[CriterionId.excisional]),
        ruleset_version=rs.version,
    )


def _no_primary(codes: list[RecommendedCode]) -> list[RecommendedCode]:
    """Nothing is billed as primary when a human must review the note first."""
    return [r.model_copy(update={"role": Role.consider}) if r.role is Role.primary else r for r in codes]


def _mark_disagreements(criteria: list[Criterion], parts: Mapping[str, Findings]) -> list[Criterion]:
    per_part = {name: {k.id: k.status for k in evaluate(Facts(f))} for name, f in parts.items()}
    return [k.model_copy(update={"by_extractor": {n: per_part[n][k.id] for n in per_part}}) for k in criteria]


def _confirmed(findings: Findings, by_id: dict[CriterionId, Criterion]) -> Findings:
    """A working or suspected NSTI diagnosis that C1 found confirmed counts as present."""
    proof = by_id[CriterionId.necrotizing_infection]
    if proof.status is not Status.met:
        return findings
    cited = {(e.quote, e.start, e.end) for e in proof.evidence}
    nsti = [
        m.model_copy(update={"assertion": Assertion.present})
        if (m.evidence.quote, m.evidence.start, m.evidence.end) in cited
        else m
        for m in findings.nsti
    ]
    return findings.model_copy(update={"nsti": nsti})
