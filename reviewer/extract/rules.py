"""The deterministic extractor: lexicon targets, ConText assertions, section awareness and
sentence-level relations (which site was debrided, which layer was removed)."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from reviewer.extract import Extraction
from reviewer.findings import (
    TREATING,
    Area,
    Assertion,
    Comorbidity,
    Evidence,
    Findings,
    Laterality,
    Layer,
    LayerAction,
    LayerFinding,
    NstiIndicator,
    NstiMention,
    NstiType,
    Organism,
    OtherProcedure,
    ProcedureKind,
    Region,
    RepeatDebridement,
    RepeatKind,
    Sepsis,
    Sex,
    SexBasis,
    SexStatement,
    Site,
    SiteRole,
    Technique,
    TechniqueKind,
)
from reviewer.language.affirmation import clauses, screen
from reviewer.language.context import assert_spans
from reviewer.language.lexicon import Lexicon, Target, load_lexicon
from reviewer.language.sections import BEFORE_TODAY, NAMING_TODAY, NOT_TODAY, OPERATIVE, TREATED_IN_SUMMARY
from reviewer.note import Note

# Lexicon values whose technique treats a site named in the same sentence ("excision_verb"
# becomes excisional when the sentence names necrotic tissue).
_TREATING = frozenset({k.value for k in TREATING} | {"excision_verb"})

# Categories whose facts the decision rests on: each must be stated as done or present today
# (affirmation screen). Organisms, sepsis, comorbidities and sex only feed ICD-10 suggestions.
DECISIVE = frozenset(
    {"nsti", "gangrene_suspect", "nsti_indicators", "sites", "techniques", "layers", "procedures", "repeat"}
)

# Techniques that take tissue away or drain it where they are done; techniques that open a
# space (exploration, blunt dissection) treat it unless the sentence finds it clean; and
# techniques that only look, wash or dress.
_REMOVING = frozenset(
    {
        "excisional",
        "debridement_unspecified",
        "excision_verb",
        "incision_drainage",
        "selective",
        "nonselective",
    }
)
_OPENING = frozenset({"exploration", "blunt"})
_LOOKING = frozenset({"irrigation", "packing_dressing"})

# Comorbidities are chronic: "history of diabetes" still means diabetes today.
_CHRONIC_OK = frozenset({Assertion.present, Assertion.historical})

_BIOPSY_OF = re.compile(r"(?:biops\w*|samples?|specimens?)\s+of\s+(?:the\s+)?(?:\w+\s+){0,3}$")
# "down to the fascia, which was then excised": a relative clause removes the layer reached.
_REMOVED_AFTER = re.compile(
    r"^[^.;]{0,40}?\b(?:which|that|and (?:this|it|that)) (?:was|were) (?:\w+ ){0,3}?(?:excised|debrided|resected|removed|cut away)"
)
# "not viable" describes necrosis, not a layer left in place; what follows "until" or "down to"
# describes where the excision stopped.
_NOT_KEPT = re.compile(r"(?:not|non-?) ?(?:viable|healthy|intact|bleeding)")
_EXCISION_END = re.compile(
    r"\b(?:until|till|down to|back to|to reach|to the level of|to (?:the )?(?=(?:healthy|viable|bleeding|normal|clean|good|well[- ]perfused)\b))"
)


class RulesExtractor:
    name = "rules"

    def extract(self, note: Note) -> Extraction:
        lex = load_lexicon()
        return Extraction(findings=build_findings(note, lex), extractor=self.name, assertions_checked=True)


def with_secondary_facts(note: Note, findings: Findings) -> Findings:
    """`findings` of an extractor that does not read the secondary facts (the LLM), completed by
    this deterministic pass: organisms, sepsis and comorbidities (ICD-10 only, never decisive),
    and its sex clues (stated words, anatomy, pronouns) beside the extractor's own, so a small
    model that misses the patient's sex does not leave the coder without it."""
    rules = build_findings(note, load_lexicon())
    told = {(s.sex, s.evidence.quote) for s in findings.sex}
    sex = findings.sex + [s for s in rules.sex if (s.sex, s.evidence.quote) not in told]
    return findings.model_copy(
        update={
            "organisms": rules.organisms,
            "sepsis": rules.sepsis,
            "comorbidities": rules.comorbidities,
            "sex": sex,
        }
    )


def _assertions(
    note: Note, lex: Lexicon, targets: list[Target]
) -> tuple[list[Assertion], list[tuple[int, int]]]:
    """The assertion of each target, and the removal verbs ("excised", "debrided") that are
    themselves stated as done today: a layer is removed only through one of those."""
    verbs = [(m.start(), m.end()) for m in lex.removal_verbs.finditer(note.norm)]
    spans = [(t.start, t.end) for t in targets] + verbs
    statuses = assert_spans(note, spans)
    decisive = [i for i, t in enumerate(targets) if t.category in DECISIVE]
    decisive += range(len(targets), len(spans))
    screened = screen(note, [spans[i] for i in decisive], [statuses[i] for i in decisive])
    for i, status in zip(decisive, screened, strict=True):
        statuses[i] = status
    done = [
        v for v, status in zip(verbs, statuses[len(targets) :], strict=True) if status is Assertion.present
    ]
    return statuses[: len(targets)], done


@dataclass(frozen=True)
class _Sentence:
    """What the lexicon says about one sentence, read once for all the targets in it."""

    start: int
    end: int
    section: str
    kinds: frozenset[str]  # techniques stated as done
    regions: frozenset[str]  # sites stated
    inspected: bool  # "inspected", "explored and found clean"
    surface_only: bool  # slough lifted and trimmed, nothing deep named
    necrosis: bool  # necrotic tissue named (and not denied)
    all_necrotic: bool  # "all necrotic tissue was excised"
    separate: bool  # "a separate wound of the thigh"
    verbs: list[tuple[int, int]]  # removal verbs stated as done today
    clauses: list[tuple[int, int]]
    layers: tuple[int, ...]  # starts of the tissue layers the sentence names
    drained: bool  # the note drains an abscess today (incision and drainage stated as done)


def _read_sentence(
    note: Note,
    lex: Lexicon,
    span: tuple[int, int],
    items: list[tuple[Target, Assertion]],
    verbs: list[tuple[int, int]],
    drained: bool,
) -> _Sentence:
    sentence = note.norm[span[0] : span[1]]
    present = [t for t, a in items if a is Assertion.present]
    return _Sentence(
        start=span[0],
        end=span[1],
        section=note.section_at(span[0]).name,
        kinds=frozenset(t.value for t in present if t.category == "techniques"),
        regions=frozenset(t.value for t in present if t.category == "sites"),
        inspected=lex.inspection_cues.search(sentence) is not None,
        surface_only=lex.surface_cues.search(sentence) is not None
        and lex.deep_tissue.search(lex.deep_tissue_denied.sub(" ", sentence)) is None,
        necrosis=lex.necrosis_cues.search(lex.necrosis_denied.sub(" ", sentence)) is not None,
        all_necrotic=lex.all_necrotic_scope.search(sentence) is not None,
        separate=lex.separate_region_cues.search(sentence) is not None,
        verbs=verbs,
        clauses=clauses(note, span),
        layers=tuple(t.start for t, _ in items if t.category == "layers"),
        drained=drained,
    )


def build_findings(note: Note, lex: Lexicon) -> Findings:
    """Every lexicon target of the note with its assertion, read sentence by sentence into
    findings (a site's role, a technique's kind, a layer's action come from its sentence)."""
    targets = lex.find(note.norm)
    statuses, done_verbs = _assertions(note, lex, targets)
    by_sentence: dict[tuple[int, int], list[tuple[Target, Assertion]]] = {}
    for t, status in zip(targets, statuses, strict=True):
        by_sentence.setdefault(note.sentence_at(t.start), []).append((t, status))
    verbs_by_sentence: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for v in done_verbs:
        verbs_by_sentence.setdefault(note.sentence_at(v[0]), []).append(v)

    drained = any(
        t.category == "techniques" and t.value == "incision_drainage" and status is Assertion.present
        for t, status in zip(targets, statuses, strict=True)
    )
    found: dict[str, list[Any]] = {name: [] for name, value in Findings() if isinstance(value, list)}
    for span, items in by_sentence.items():
        sentence = _read_sentence(note, lex, span, items, verbs_by_sentence.get(span, []), drained)
        for t, status in items:
            builder = _BUILDERS.get(t.category)
            if builder is not None:
                for name, finding in builder(note, lex, t, status, sentence):
                    found[name].append(finding)
    found["areas"] = list(_areas(note, lex, found["sites"]))
    found["sex"] += _sex_clues(note, lex)
    return Findings(postop_same_as_preop=_postop_same(note, lex), **found)


_Built = list[tuple[str, Any]]  # (Findings field, finding)


def _nsti(note: Note, lex: Lexicon, t: Target, status: Assertion, s: _Sentence) -> _Built:
    kind = NstiType.genital_gangrene if t.category == "gangrene_suspect" else NstiType(t.value)
    return [("nsti", NstiMention(evidence=evidence_at(note, t.start, t.end), assertion=status, type=kind))]


def _indicator(note: Note, lex: Lexicon, t: Target, status: Assertion, s: _Sentence) -> _Built:
    e = evidence_at(note, t.start, t.end)
    return [("nsti_indicators", NstiIndicator(evidence=e, assertion=status, kind=t.value))]


def _site(note: Note, lex: Lexicon, t: Target, status: Assertion, s: _Sentence) -> _Built:
    site = Site(
        evidence=evidence_at(note, t.start, t.end),
        assertion=status,
        region=Region(t.value),
        laterality=_laterality(lex, note.norm, t.start, s.start),
        role=_site_role(s.section, s.kinds, s.necrosis, s.inspected),
        separate=s.separate,
    )
    return [("sites", site)]


def _technique(note: Note, lex: Lexicon, t: Target, status: Assertion, s: _Sentence) -> _Built:
    e = evidence_at(note, t.start, t.end)
    kind = t.value
    if kind == "excision_verb":
        if not s.necrosis:
            return []  # an excision of a hydrocele sac is not a debridement
        kind = "excisional"
    if kind in ("excisional", "debridement_unspecified") and s.surface_only:
        kind = "selective"  # "slough lifted with forceps and trimmed with scissors"
    if kind in ("excisional", "debridement_unspecified") and _of_abscess_cavity(note, lex, t, s):
        kind = "incision_drainage"  # "the abscess lining was excised": part of the drainage
    all_necrotic = s.all_necrotic and kind == "excisional"
    built: _Built = [
        (
            "techniques",
            Technique(
                evidence=e, assertion=status, kind=TechniqueKind(kind), all_necrotic_tissue=all_necrotic
            ),
        )
    ]
    if kind == "incision_drainage":
        built.append(
            ("procedures", OtherProcedure(evidence=e, assertion=status, kind=ProcedureKind.incision_drainage))
        )
    return built


def _of_abscess_cavity(note: Note, lex: Lexicon, t: Target, s: _Sentence) -> bool:
    """A removal whose clause is about the drained abscess's own cavity, wall, lining or
    loculations and names no tissue layer (ruleset decision abscess-cavity-is-drainage)."""
    if not s.drained:
        return False
    start, end = next((c for c in s.clauses if c[0] <= t.start < c[1]), (s.start, s.end))
    if any(start <= layer < end for layer in s.layers):
        return False
    if lex.abscess_cavity_beyond.search(note.norm, start, end) is not None:
        return False
    return lex.abscess_cavity.search(note.norm, start, end) is not None


def _layer(note: Note, lex: Lexicon, t: Target, status: Assertion, s: _Sentence) -> _Built:
    action = _layer_action(lex, note.norm, t, s.start, s.end, s.verbs, s.clauses, s.necrosis)
    region = next(iter(s.regions)) if len(s.regions) == 1 else None
    layer = LayerFinding(
        evidence=evidence_at(note, t.start, t.end),
        assertion=status,
        layer=Layer(t.value),
        action=action,
        region=Region(region) if region else None,
    )
    return [("layers", layer)]


def _procedure(note: Note, lex: Lexicon, t: Target, status: Assertion, s: _Sentence) -> _Built:
    e = evidence_at(note, t.start, t.end)
    return [("procedures", OtherProcedure(evidence=e, assertion=status, kind=ProcedureKind(t.value)))]


def _repeat_finding(note: Note, lex: Lexicon, t: Target, status: Assertion, s: _Sentence) -> _Built:
    clause = next((c for c in s.clauses if c[0] <= t.start < c[1]), (s.start, s.end))
    kind, keep = _repeat(lex, t.value, status, s.section, note.norm[clause[0] : clause[1]])
    staged = lex.repeat_staged.search(note.norm, t.start, t.end) is not None
    e = evidence_at(note, t.start, t.end)
    return [("repeat", RepeatDebridement(evidence=e, assertion=keep, kind=kind, staged=staged))]


def _organism(note: Note, lex: Lexicon, t: Target, status: Assertion, s: _Sentence) -> _Built:
    return [
        ("organisms", Organism(evidence=evidence_at(note, t.start, t.end), assertion=status, name=t.value))
    ]


def _sepsis(note: Note, lex: Lexicon, t: Target, status: Assertion, s: _Sentence) -> _Built:
    e = evidence_at(note, t.start, t.end)
    return [("sepsis", Sepsis(evidence=e, assertion=status, severity=t.value))]


def _comorbidity(note: Note, lex: Lexicon, t: Target, status: Assertion, s: _Sentence) -> _Built:
    chronic = Assertion.present if status in _CHRONIC_OK else status
    e = evidence_at(note, t.start, t.end)
    return [("comorbidities", Comorbidity(evidence=e, assertion=chronic, name=t.value))]


def _sex(note: Note, lex: Lexicon, t: Target, status: Assertion, s: _Sentence) -> _Built:
    if status is Assertion.other_person:
        return []
    e = evidence_at(note, t.start, t.end)
    return [("sex", SexStatement(evidence=e, assertion=Assertion.present, sex=Sex(t.value)))]


# Lexicon category -> what its targets become.
_BUILDERS: dict[str, Callable[[Note, Lexicon, Target, Assertion, _Sentence], _Built]] = {
    "nsti": _nsti,
    "gangrene_suspect": _nsti,
    "nsti_indicators": _indicator,
    "sites": _site,
    "techniques": _technique,
    "layers": _layer,
    "procedures": _procedure,
    "repeat": _repeat_finding,
    "organisms": _organism,
    "sepsis": _sepsis,
    "comorbidities": _comorbidity,
    "sex": _sex,
}


def _site_role(section: str, kinds: frozenset[str], necrosis: bool, inspected: bool) -> SiteRole:
    """Debrided when named in the operative narrative with a technique that removes or drains
    tissue; examined when named there only as inspected, washed out, dressed or found clean
    (ruleset decision field-needs-removal); involved when described there as necrotic; named
    only in a diagnosis, the indications or the exam, it is merely mentioned (ruleset decision
    site-from-necrotic-field)."""
    if section in TREATED_IN_SUMMARY and kinds & _TREATING:
        return SiteRole.debrided  # a progress note's "S: perineal wound debrided", "A: abscess, drained"
    if section not in OPERATIVE:
        return SiteRole.mentioned
    if kinds & _REMOVING or (kinds & _OPENING and not inspected):
        return SiteRole.debrided
    if inspected or kinds & _LOOKING:
        return SiteRole.examined
    if necrosis:
        return SiteRole.involved
    return SiteRole.mentioned


def _repeat(
    lex: Lexicon, value: str, status: Assertion, section: str, clause: str
) -> tuple[RepeatKind, Assertion]:
    """What a repeat-debridement mention says (ruleset decision repeat-vs-index): this
    operation repeats an earlier debridement of this infection (`today`, present), or a further
    debridement is planned (`planned`, present). A return only under a condition is `possible`;
    an earlier debridement years ago treated another episode (`historical`)."""
    if status in (Assertion.absent, Assertion.other_person):
        return RepeatKind.planned if value == "planned" else RepeatKind.today, status
    if lex.repeat_conditions.search(clause):
        return RepeatKind.planned, Assertion.possible
    if section == "plan":
        return RepeatKind.planned, Assertion.present
    if value == "planned":
        return (RepeatKind.today if section in NAMING_TODAY else RepeatKind.planned), Assertion.present
    if status in (Assertion.hypothetical, Assertion.possible):
        return RepeatKind.planned, Assertion.present  # "will return to the OR for a second look"
    if section == "history" or lex.distant_past.search(clause):
        return RepeatKind.today, Assertion.historical
    if value == "after" and section not in BEFORE_TODAY and not lex.repeat_when.search(clause):
        return RepeatKind.today, Assertion.possible  # "impression: Fournier's s/p debridement": today's
    return RepeatKind.today, Assertion.present  # a second look today, or a recent prior debridement


def _laterality(lex: Lexicon, norm: str, start: int, floor: int) -> Laterality | None:
    window = norm[max(floor, start - 16) : start]
    best: tuple[int, str] | None = None
    for side, pattern in lex.laterality:
        for m in pattern.finditer(window):
            if best is None or m.start() > best[0]:
                best = (m.start(), side)
    return Laterality(best[1]) if best else None


def _layer_action(
    lex: Lexicon,
    norm: str,
    t: Target,
    s_start: int,
    s_end: int,
    verbs: list[tuple[int, int]],
    clauses: list[tuple[int, int]],
    necrosis: bool,
) -> LayerAction:
    """What happened to a layer, from its sentence; `verbs` are the removal verbs of the
    sentence stated as done today (a negated or planned "excised" removes nothing)."""
    removal = bool(verbs)
    before = norm[max(s_start, t.start - 60) : t.start]
    after = norm[t.end : min(s_end, t.end + 60)]
    clause_end = next((end for start, end in clauses if start <= t.start < end), s_end)
    clause = norm[t.end : max(t.end, clause_end)]
    own = _EXCISION_END.split(_NOT_KEPT.sub(lambda m: " " * len(m.group()), clause), maxsplit=1)[0]
    kept = lex.layer_kept_in_clause.search(own)
    cut_at = min((v[0] for v in verbs if t.end <= v[0] < clause_end), default=None)
    if removal and (lex.layer_sampled_cues.search(clause) or _BIOPSY_OF.search(before)):
        return LayerAction.exposed  # a biopsy or frozen section samples the layer
    if removal and lex.layer_including_before.search(before):
        return LayerAction.removed
    if kept and (cut_at is None or t.end + kept.start() < cut_at):
        return LayerAction.exposed  # "fascia: inspected, found viable, not excised"
    if lex.layer_exposed_before.search(before) or lex.layer_exposed_after.search(after):
        then = _REMOVED_AFTER.search(after)
        if then and t.end + then.end() in {v[1] for v in verbs}:
            return LayerAction.removed  # "fascia, which was then excised"
        return LayerAction.exposed
    if removal:
        return LayerAction.removed
    if necrosis:
        return LayerAction.necrotic
    return LayerAction.exposed


def evidence_at(note: Note, start: int, end: int) -> Evidence:
    """Evidence for the span [start, end) of `note.norm`, in the original text's offsets."""
    t_start, t_end = note.text_span(start, end)
    return Evidence(
        quote=note.text[t_start:t_end], start=t_start, end=t_end, section=note.section_at(start).name
    )


def _sex_clues(note: Note, lex: Lexicon, per_sex: int = 3) -> list[SexStatement]:
    """Anatomy and pronouns that tell the patient's sex when the note does not state it
    (ruleset decision sex-from-note), as evidence: the first few anatomy words of each sex
    (the rule layer weighs them), and the pronouns of one sex when they clearly outnumber the
    other's (at least two, and three times as many). Family-history sections are skipped."""

    def matches(pattern: re.Pattern[str]) -> list[re.Match[str]]:
        return [m for m in pattern.finditer(note.norm) if note.section_at(m.start()).name != "family_history"]

    def clue(m: re.Match[str], sex: str, basis: SexBasis) -> SexStatement:
        return SexStatement(evidence=evidence_at(note, m.start(), m.end()), sex=Sex(sex), basis=basis)

    clues = [clue(m, sex, SexBasis.anatomy) for sex, p in lex.sex_anatomy for m in matches(p)[:per_sex]]
    pronouns = {sex: matches(p) for sex, p in lex.sex_pronouns}
    for sex, found in pronouns.items():
        others = sum(len(v) for k, v in pronouns.items() if k != sex)
        if len(found) >= 2 and len(found) >= 3 * others:
            clues.extend(clue(m, sex, SexBasis.pronoun) for m in found[:per_sex])
    return clues


def _postop_same(note: Note, lex: Lexicon) -> Evidence | None:
    for s in note.sections:
        if s.name != "postoperative_diagnosis":
            continue
        m = lex.postop_same.match(note.norm, s.body_start, s.end)
        if m:
            start = m.start() + len(m.group()) - len(m.group().lstrip(" \t\n,:.-"))
            return evidence_at(note, start, m.end())
    return None


def _areas(note: Note, lex: Lexicon, sites: Iterable[Site]) -> Iterable[Area]:
    matches = sorted((m for p in lex.areas for m in p.finditer(note.norm)), key=lambda m: m.start())
    # Sites by offset in `norm`, to find a sentence's sites by bisection (linear in the note).
    placed = sorted(((note.norm_offset(s.evidence.start), s.region) for s in sites), key=lambda p: p[0])
    offsets = [offset for offset, _ in placed]
    last_end = -100
    for m in matches:
        # "12 x 5 cm (60 sq cm)" is one measurement written twice.
        adjacent = m.start() - last_end < 12
        last_end = max(last_end, m.end())
        section = note.section_at(m.start()).name
        if adjacent or section in NOT_TODAY:
            continue
        groups = m.groupdict()
        sq_cm = float(groups["v"]) if groups.get("v") else float(groups["a"]) * float(groups["b"])
        s_start, s_end = note.sentence_at(m.start())
        regions = {
            region for _, region in placed[bisect_left(offsets, s_start) : bisect_left(offsets, s_end)]
        }
        yield Area(
            evidence=evidence_at(note, m.start(), m.end()),
            debrided=lex.removal_verbs.search(note.norm, s_start, s_end) is not None,
            sq_cm=round(sq_cm, 1),
            region=next(iter(regions)) if len(regions) == 1 else None,
        )
