"""Compliant, non-leading physician queries: one per unclear element, citing what the note
does say (clinical indicators), with open options including other / unable to determine."""

from __future__ import annotations

from reviewer.decision import Criterion, CriterionId, Query, RecommendedCode, Role, Status
from reviewer.findings import Evidence, Findings
from reviewer.rules.facts import Facts, present
from reviewer.rules.ruleset import Ruleset

# What to cite for each criterion when it is unclear.
_INDICATORS = {
    CriterionId.necrotizing_infection: ("nsti", "nsti_indicators", "sepsis", "comorbidities"),
    CriterionId.site: ("sites",),
    CriterionId.excisional: ("techniques",),
    CriterionId.depth: ("layers",),
}


def _indicators(f: Findings, cid: CriterionId, limit: int = 6) -> list[Evidence]:
    """What the note does say about the criterion: findings asserted present, then suspected."""
    out: dict[tuple[str, int, int], Evidence] = {}
    for name in _INDICATORS[cid]:
        items = getattr(f, name)
        said = present(items)
        suspected = [i for i in items if i.assertion.value == "possible" and i.evidence.start >= 0]
        for item in [*said, *suspected]:
            out.setdefault((item.evidence.quote, item.evidence.start, item.evidence.end), item.evidence)
            if len(out) >= limit:
                return list(out.values())
    return list(out.values())


def draft(facts: Facts, criteria: list[Criterion], codes: list[RecommendedCode], rs: Ruleset) -> list[Query]:
    f = facts.findings
    templates = rs.queries
    queries: list[Query] = []
    # No NSTI or no debridement at all: no answer about site or depth could make any NSTI code
    # billable, so the surgeon is not asked (ruleset decision queries-that-matter).
    moot = any(
        c.status is Status.not_met and c.id in (CriterionId.necrotizing_infection, CriterionId.excisional)
        for c in criteria
    )
    for c in criteria:
        if c.status is not Status.unclear or moot:
            continue
        t = templates[c.id.value]
        queries.append(
            Query(
                topic=c.id.value,
                question=t.question,
                options=list(t.options),
                indicators=_indicators(f, c.id),
            )
        )
    # 11042-11047 add-ons need the area; ask when a recommended excisional code lacks it.
    for code in codes:
        if code.code in {"11042", "11043", "11044"} and code.role is not Role.consider:
            has_addon_or_area = any(a for a in f.areas if a.evidence.start >= 0)
            if not has_addon_or_area:
                t = templates["area"]
                where = "the separately debrided region" if code.modifiers else "the debrided site"
                queries.append(
                    Query(
                        topic="area",
                        question=t.question.format(where=where),
                        options=list(t.options),
                    )
                )
                break
    return queries
