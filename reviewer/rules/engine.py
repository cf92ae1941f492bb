"""The decision: a pure function from checked findings (+ sex, claimed codes) to a Decision."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reviewer.decision import Criterion, CriterionId, Decision, Edit, Flag, Role, Severity, Status, Verdict
from reviewer.findings import Alignment, Assertion, Findings, RepeatKind, Sex, SexBasis, SexStatement
from reviewer.rules import codes as code_rules
from reviewer.rules import criteria as c
from reviewer.rules.cms import load_tables
from reviewer.rules.edits import ClaimedCode, claim_edits
from reviewer.rules.icd10 import suggest_icd10
from reviewer.rules.queries import draft
from reviewer.rules.ruleset import load_ruleset


def note_sex(findings: Findings) -> tuple[Sex | None, list[SexStatement]]:
    """The patient's sex as the note tells it, with its evidence (ruleset decision
    sex-from-note): stated words first ("58-year-old man", "Sex: F"), else sex-specific anatomy,
    else pronouns. A basis that points both ways tells nothing."""
    clues = [s for s in findings.sex if s.evidence.alignment not in (Alignment.unaligned, Alignment.mismatch)]
    for basis in (SexBasis.stated, SexBasis.anatomy, SexBasis.pronoun):
        told = [s for s in clues if s.basis is basis and s.assertion is not Assertion.other_person]
        sexes = {s.sex for s in told}
        if len(sexes) == 1:
            return sexes.pop(), told
        if len(sexes) > 1:
            return None, told
    return None, []


def patient_sex(findings: Findings, sex: Sex | None) -> Sex | None:
    """The caller's sex when it agrees with the note (or the note does not tell); the note's
    when the caller gives none; unknown when they disagree (an edit says so)."""
    told, _ = note_sex(findings)
    if sex is None:
        return told
    return sex if told in (None, sex) else None


def evaluate_criteria(findings: Findings) -> tuple[list[Criterion], c.Field]:
    field = c.debrided_field(findings)
    technique = c.excisional(findings)
    criteria = [
        c.necrotizing_infection(findings),
        c.site(findings, field, technique),
        technique,
        c.depth(findings, technique, field),
    ]
    return criteria, field


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
    criteria, field = evaluate_criteria(findings)
    if parts:
        criteria = _mark_disagreements(criteria, parts)
    by_id = {k.id: k for k in criteria}
    verdict = _verdict(criteria)
    disputed = [k for k in criteria if len(set(k.by_extractor.values())) > 1 and k.status is Status.met]
    if error is not None or (verdict is Verdict.supported and disputed):
        verdict = Verdict.query
    who = patient_sex(findings, sex)
    recommended = code_rules.recommend(findings, by_id, field, rs, sex=who)
    nsti_confirmed = by_id[CriterionId.necrotizing_infection].status is Status.met
    if error is not None:
        summary = f"Needs human review: {error}."
        recommended = [
            r.model_copy(update={"role": Role.consider}) if r.role is Role.primary else r for r in recommended
        ]
    elif verdict is Verdict.query and disputed:
        summary = "Needs human review: the extractors disagree on " + ", ".join(
            f"{k.id.value} ({', '.join(f'{n}: {s.value}' for n, s in k.by_extractor.items())})"
            for k in disputed
        )
        recommended = [
            r.model_copy(update={"role": Role.consider}) if r.role is Role.primary else r for r in recommended
        ]
    else:
        summary = _summary(verdict, criteria)
    return Decision(
        verdict=verdict,
        summary=summary,
        criteria=criteria,
        recommended_codes=recommended,
        icd10=suggest_icd10(_confirmed(findings, by_id), who, nsti_confirmed),
        queries=draft(findings, criteria, recommended, rs),
        edits=_sex_edits(findings, sex)
        + (
            claim_edits(
                list(claimed),
                verdict=verdict,
                recommended=recommended,
                sex=sex or who,
                tables=load_tables(),
                separate_site=bool(field.separate),
            )
            if claimed
            else []
        ),
        flags=_flags(findings, field, by_id[CriterionId.excisional]),
        ruleset_version=str(rs["version"]),
    )


def _sex_edits(findings: Findings, sex: Sex | None) -> list[Edit]:
    """The sex given with the claim against the sex the note tells (ruleset decision
    sex-from-note); when they disagree no sex-specific diagnosis is suggested."""
    told, evidence = note_sex(findings)
    if sex is None or told is None or told is sex:
        return []
    words = {Sex.male: "male", Sex.female: "female"}
    quotes = ", ".join(dict.fromkeys(f'"{s.evidence.quote}"' for s in evidence[:3]))
    return [
        Edit(
            kind="sex_contradicts_note",
            severity=Severity.warning,
            codes=[],
            message=(
                f"The claim gives the patient's sex as {words[sex]}, but the note reads {words[told]} "
                f"({quotes}): confirm it before billing; sex-specific diagnoses are not suggested meanwhile."
            ),
            source="ruleset",
        )
    ]


def _mark_disagreements(criteria: list[Criterion], parts: Mapping[str, Findings]) -> list[Criterion]:
    per_part = {name: {k.id: k.status for k in evaluate_criteria(f)[0]} for name, f in parts.items()}
    out = []
    for k in criteria:
        statuses = {name: per_part[name][k.id] for name in per_part}
        out.append(k.model_copy(update={"by_extractor": statuses}))
    return out


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


def _verdict(criteria: Sequence[Criterion]) -> Verdict:
    statuses = {k.status for k in criteria}
    if Status.not_met in statuses:
        return Verdict.not_supported
    if Status.unclear in statuses:
        return Verdict.query
    # Safety rule: `supported` rests only on aligned evidence, re-checked here.
    if any(not k.evidence or any(e.start < 0 for e in k.evidence) for k in criteria):
        return Verdict.query
    return Verdict.supported


def _summary(verdict: Verdict, criteria: Sequence[Criterion]) -> str:
    if verdict is Verdict.supported:
        return "CPT 11004 is supported: all four criteria are met."
    failing = [k for k in criteria if k.status is Status.not_met]
    unclear = [k for k in criteria if k.status is Status.unclear]
    if verdict is Verdict.not_supported:
        return "CPT 11004 is not supported. " + " ".join(k.reason for k in failing)
    return "CPT 11004 needs a physician query. " + " ".join(k.reason for k in unclear)


def _repeat_flags(f: Findings, debrided_today: bool) -> list[Flag]:
    """Two flags, never merged (policy, "Repeat (serial) debridement"): this operation repeats
    an earlier debridement of this infection (only when something is debrided today: a
    dressing change after a debridement repeats nothing); a further debridement is planned."""
    mentions = [r for r in f.repeat if r.evidence.alignment not in (Alignment.unaligned, Alignment.mismatch)]
    today = [r for r in mentions if r.kind is RepeatKind.today and r.assertion is Assertion.present]
    planned = [
        r
        for r in mentions
        if (r.kind is RepeatKind.planned and r.assertion in (Assertion.present, Assertion.hypothetical))
        or (r.kind is RepeatKind.today and r.assertion is Assertion.hypothetical)
    ]
    flags: list[Flag] = []
    if today and debrided_today:
        flags.append(
            Flag(
                kind="repeat_debridement",
                message=(
                    "This operation repeats an earlier debridement of this infection. 11004-11006 carry a 0-day "
                    "global: a later-date return is a new code on its own date with no global modifier, unless it "
                    "falls in the global period of another procedure by the same surgeon (e.g. orchiectomy, "
                    "colostomy: 90 days), then modifier 58 (planned/staged) or 78 (unplanned return). Same date: "
                    "one unit only (MUE 1)."
                ),
                evidence=[r.evidence for r in today],
            )
        )
    if planned:
        flags.append(
            Flag(
                kind="planned_debridement",
                message=(
                    "A further debridement is planned. It will be billed on its own date (0-day global); "
                    "nothing about it belongs on today's claim."
                ),
                evidence=[r.evidence for r in planned],
            )
        )
    return flags


def _flags(f: Findings, field: c.Field, technique: Criterion) -> list[Flag]:
    flags = _repeat_flags(f, debrided_today=technique.status is not Status.not_met)
    if field.contiguous and (field.genital_perineal or field.abdominal_wall):
        names = ", ".join(r.value for r in field.contiguous)
        flags.append(
            Flag(
                kind="contiguous_extension",
                message=(
                    f"The debrided field extends onto the {names} without being documented as a separate wound: "
                    "it is taken as part of the NSTI field. If it was a separate, non-contiguous wound, the surgeon "
                    "should say so; it would then be reported with 11042-11047 and modifier XS."
                ),
                evidence=[s.evidence for s in field.sites if s.region in field.contiguous],
            )
        )
    if field.groin and field.genital_perineal:
        flags.append(
            Flag(
                kind="groin_in_field",
                message="Groin debrided in continuity with the genital/perineal field: it rides inside the 11004 field.",
                evidence=[s.evidence for s in field.sites if s.region.value == "groin"],
            )
        )
    return flags
