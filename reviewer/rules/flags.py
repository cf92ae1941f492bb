"""Informational flags: repeat and planned debridement, a field extending past its region, the
groin inside the field."""

from __future__ import annotations

from reviewer.decision import Criterion, Flag, Status
from reviewer.findings import Alignment, Assertion, Findings, Region, RepeatKind
from reviewer.rules.facts import Facts

_REPEAT = (
    "This operation repeats an earlier debridement of this infection. 11004-11006 carry a 0-day "
    "global: a later-date return is a new code on its own date with no global modifier, unless it "
    "falls in the global period of another procedure by the same surgeon (e.g. orchiectomy, "
    "colostomy: 90 days), then modifier 58 (planned/staged) or 78 (unplanned return). Same date: "
    "one unit only (MUE 1)."
)
_PLANNED = (
    "A further debridement is planned. It will be billed on its own date (0-day global); "
    "nothing about it belongs on today's claim."
)


def flags(facts: Facts, technique: Criterion) -> list[Flag]:
    out = _repeat_flags(facts.findings, debrided_today=technique.status is not Status.not_met)
    field = facts.field
    if field.contiguous and (field.genital_perineal or field.abdominal_wall):
        names = ", ".join(r.value for r in field.contiguous)
        message = (
            f"The debrided field extends onto the {names} without being documented as a separate wound: "
            "it is taken as part of the NSTI field. If it was a separate, non-contiguous wound, the surgeon "
            "should say so; it would then be reported with 11042-11047 and modifier XS."
        )
        evidence = [s.evidence for s in field.sites if s.region in field.contiguous]
        out.append(Flag(kind="contiguous_extension", message=message, evidence=evidence))
    if field.groin and field.genital_perineal:
        message = (
            "Groin debrided in continuity with the genital/perineal field: it rides inside the 11004 field."
        )
        evidence = [s.evidence for s in field.sites if s.region is Region.groin]
        out.append(Flag(kind="groin_in_field", message=message, evidence=evidence))
    return out


def _repeat_flags(f: Findings, debrided_today: bool) -> list[Flag]:
    """Two flags, never merged (policy, "Repeat (serial) debridement"; ruleset decision
    repeat-vs-index): this operation repeats an earlier debridement of this infection (only
    when something is debrided today: a dressing change after a debridement repeats nothing);
    a further debridement is planned."""
    mentions = [r for r in f.repeat if r.evidence.alignment not in (Alignment.unaligned, Alignment.mismatch)]
    today = [r for r in mentions if r.kind is RepeatKind.today and r.assertion is Assertion.present]
    planned = [
        r
        for r in mentions
        if (r.kind is RepeatKind.planned and r.assertion in (Assertion.present, Assertion.hypothetical))
        or (r.kind is RepeatKind.today and r.assertion is Assertion.hypothetical)
    ]
    out: list[Flag] = []
    if today and debrided_today:
        out.append(Flag(kind="repeat_debridement", message=_REPEAT, evidence=[r.evidence for r in today]))
    if planned:
        out.append(Flag(kind="planned_debridement", message=_PLANNED, evidence=[r.evidence for r in planned]))
    return out
