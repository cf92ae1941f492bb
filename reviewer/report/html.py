"""One self-contained HTML page for a review: the verdict, the criteria and what follows from
them, and the full note with every evidence span highlighted at its exact character offsets.

No external resources: CSS is inline, there is no script, and a Content-Security-Policy meta
tag forbids loading anything. All note-derived text is escaped (jinja2 autoescape for the
template, `html.escape` for the highlighted note, which is built here and passed in as Markup).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from jinja2 import Environment, StrictUndefined
from markupsafe import Markup

import reviewer
from reviewer.decision import CriterionId, Decision
from reviewer.findings import Alignment, Evidence
from reviewer.pipeline import Review
from reviewer.report.headline import (
    NOTHING_READ,
    PARTIAL,
    WITHHELD,
    displayed_decision,
    explanation,
    headline,
)
from reviewer.report.shown import shown
from reviewer.report.text import (
    CRITERION_NAMES,
    MISMATCH_WARNING,
    STATUS_LABELS,
    evidence_location,
    evidence_place,
    kind_name,
    note_matches,
    topic_name,
)

__all__ = ["CRITERION_COLOURS", "Span", "highlight_note", "highlightable", "render_html"]

# Background colour of each criterion's highlights (and its legend swatch / card accent).
CRITERION_COLOURS: dict[CriterionId, str] = {
    CriterionId.necrotizing_infection: "#fecaca",
    CriterionId.site: "#bfdbfe",
    CriterionId.excisional: "#bbf7d0",
    CriterionId.depth: "#e9d5ff",
}
_ACCENTS: dict[CriterionId, str] = {
    CriterionId.necrotizing_infection: "#dc2626",
    CriterionId.site: "#2563eb",
    CriterionId.excisional: "#16a34a",
    CriterionId.depth: "#9333ea",
}
# Non-criterion evidence is drawn as an underline, so it combines with a criterion colour.
_EXTRA_LABELS: dict[str, str] = {
    "query": "Physician query indicator",
    "flag": "Flag evidence",
    "icd10": "ICD-10-CM evidence",
}


def highlightable(ev: Evidence, note_text: str) -> bool:
    """Whether the evidence has usable offsets into `note_text`."""
    return ev.alignment is not Alignment.unaligned and 0 <= ev.start < ev.end <= len(note_text)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str  # a criterion id, or one of "query", "flag", "icd10"
    title: str  # what a hover over the highlight says


@dataclass
class _Segment:
    start: int
    end: int
    labels: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)


def _spans(decision: Decision, note_text: str) -> list[Span]:
    spans: list[Span] = []

    def add(items: Iterable[Evidence], label: str, title: str) -> None:
        for ev in items:
            if highlightable(ev, note_text):
                spans.append(Span(ev.start, ev.end, label, title))

    for crit in decision.criteria:
        name = CRITERION_NAMES.get(crit.id, crit.id.value)
        add(crit.evidence, crit.id.value, f"{name}: {STATUS_LABELS[crit.status].lower()}")
    for query in decision.queries:
        add(query.indicators, "query", f"Query indicator ({topic_name(query.topic)})")
    for flag in decision.flags:
        add(flag.evidence, "flag", f"Flag: {flag.kind.replace('_', ' ')}")
    for icd in decision.icd10:
        add(icd.evidence, "icd10", f"ICD-10-CM {icd.code}")
    return spans


def _segments(spans: Sequence[Span], length: int) -> list[_Segment]:
    """Split [0, length) at every span boundary; each piece knows the spans covering it."""
    cuts = sorted({0, length, *(s.start for s in spans), *(s.end for s in spans)})
    segments = [_Segment(a, b) for a, b in pairwise(cuts) if a < b]
    for span in spans:
        for seg in segments:
            if span.start <= seg.start and seg.end <= span.end:
                if span.label not in seg.labels:
                    seg.labels.append(span.label)
                if span.title not in seg.titles:
                    seg.titles.append(span.title)
    return segments


def _escape(text: str) -> str:
    # Carriage returns as references, so an HTML parser does not fold CRLF and shift offsets.
    return html.escape(text, quote=True).replace("\r", "&#13;")


_ORDER = [c.value for c in CriterionId]


def _mark(seg: _Segment, text: str) -> str:
    criteria = sorted((lab for lab in seg.labels if lab in _ORDER), key=_ORDER.index)
    extras = [lab for lab in _EXTRA_LABELS if lab in seg.labels]
    classes = ["ev", *criteria, *extras]
    if len(criteria) > 1:
        classes.append("multi")
    attrs = [
        f'id="at-{seg.start}"',
        f'class="{_escape(" ".join(classes))}"',
        f'data-criterion="{_escape(" ".join(criteria))}"',
        f'data-start="{seg.start}"',
        f'data-end="{seg.end}"',
        f'title="{_escape("; ".join(seg.titles))}"',
    ]
    if len(criteria) > 1:
        # Horizontal bands, one colour per criterion covering this piece of text.
        step = 100 / len(criteria)
        stops = ", ".join(
            f"{CRITERION_COLOURS[CriterionId(c)]} {i * step:.0f}% {(i + 1) * step:.0f}%"
            for i, c in enumerate(criteria)
        )
        attrs.append(f'style="background: linear-gradient(180deg, {stops})"')
    return f"<mark {' '.join(attrs)}>{_escape(text)}</mark>"


def highlight_note(decision: Decision, note_text: str) -> Markup:
    """The note as escaped HTML, each evidence segment wrapped in a `<mark>`."""
    parts: list[str] = []
    for seg in _segments(_spans(decision, note_text), len(note_text)):
        piece = note_text[seg.start : seg.end]
        parts.append(_mark(seg, piece) if seg.labels else _escape(piece))
    return Markup("".join(parts))


def _compact(items: Sequence[Evidence], note_text: str) -> list[tuple[str, Evidence | None, str]]:
    """Distinct quotes in order, each with its first markable occurrence and all locations."""
    by_quote: dict[str, list[Evidence]] = {}
    for ev in items:
        by_quote.setdefault(ev.quote, []).append(ev)
    out: list[tuple[str, Evidence | None, str]] = []
    for quote, evs in by_quote.items():
        target = next((ev for ev in evs if highlightable(ev, note_text)), None)
        where = "; ".join(evidence_location(ev).strip("()") for ev in evs)
        out.append((quote, target, where))
    return out


def _extractor(review: Review) -> str:
    ext = review.extractor
    parts = [ext.name]
    if ext.model:
        parts.append(ext.model)
    if ext.prompt_version:
        parts.append(f"prompt {ext.prompt_version}")
    return " / ".join(parts)


_CSS = """
:root {
  --ink: #1f2933; --muted: #5f6b7a; --line: #d9dee5; --panel: #ffffff; --bg: #f4f6f8;
  --ok: #166534; --ok-bg: #dcfce7; --bad: #991b1b; --bad-bg: #fee2e2;
  --ask: #92400e; --ask-bg: #fef3c7; --info: #0e7490; --info-bg: #cffafe;
}
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body {
  margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    sans-serif;
}
h2 {
  font-size: 13px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted);
  margin: 0 0 8px; font-weight: 700;
}
h2 .count { font-weight: 400; }
.verdict {
  padding: 20px 28px 16px; border-bottom: 1px solid var(--line); background: var(--panel);
  border-top: 8px solid var(--accent);
}
.verdict.v-supported { --accent: var(--ok); --tint: var(--ok-bg); }
.verdict.v-not_supported { --accent: var(--bad); --tint: var(--bad-bg); }
.verdict.v-query { --accent: var(--ask); --tint: var(--ask-bg); }
.verdict.v-failed { --accent: var(--bad); --tint: var(--bad-bg); }
.verdict-line { margin: 0; font-size: 22px; line-height: 1.6; }
.verdict-line .lead { font-weight: 600; }
.verdict-line .sep { white-space: pre; }
.verdict-line .label {
  font-weight: 800; letter-spacing: .02em; color: var(--accent);
  background: var(--tint); padding: 2px 12px; border-radius: 6px;
}
.verdict.v-failed .verdict-line .lead { font-weight: 800; color: var(--accent); }
.verdict.v-failed .verdict-line .label { font-weight: 600; letter-spacing: 0; color: var(--ink);
  background: none; padding: 0; }
.summary { margin: 10px 0 8px; font-size: 15px; max-width: 110ch; }
ul.reasons { margin: 0 0 10px; padding-left: 20px; max-width: 110ch; }
h2 .partial { color: var(--bad); text-transform: none; letter-spacing: 0; }
.withheld p { margin: 0; color: var(--muted); }
.meta { display: flex; flex-wrap: wrap; gap: 4px 22px; margin: 0; color: var(--muted);
  font-size: 12.5px; }
.meta dt { display: inline; font-weight: 600; }
.meta dd { display: inline; margin: 0 0 0 4px; font-family: ui-monospace, Menlo, Consolas,
  monospace; }
.alert { margin: 12px 0 0; padding: 8px 12px; border-radius: 6px; border: 1px solid;
  font-weight: 600; }
.alert.error { color: var(--bad); background: var(--bad-bg); border-color: #fca5a5; }
.layout {
  display: grid; grid-template-columns: minmax(0, 5fr) minmax(0, 6fr); gap: 20px;
  padding: 20px 28px; align-items: start;
}
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px;
  padding: 14px 16px; margin-bottom: 16px; }
.panel.empty { padding: 10px 16px; }
.panel.empty h2 { margin: 0; }
.none { color: var(--muted); font-weight: 400; text-transform: none; letter-spacing: 0; }
.criterion { border-left: 4px solid var(--a); padding: 6px 0 8px 12px; margin: 0 0 12px; }
.criterion:last-child { margin-bottom: 0; }
.criterion-head { display: flex; align-items: center; gap: 10px; }
.criterion-head .name { font-weight: 650; flex: 1; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 3px;
  background: var(--c); border: 1px solid var(--a); vertical-align: -1px; }
.badge { display: inline-block; font-size: 11.5px; font-weight: 700; padding: 1px 8px;
  border-radius: 999px; letter-spacing: .03em; white-space: nowrap; }
.badge.met, .badge.info { color: var(--ok); background: var(--ok-bg); }
.badge.not_met, .badge.error { color: var(--bad); background: var(--bad-bg); }
.badge.unclear, .badge.warning { color: var(--ask); background: var(--ask-bg); }
.badge.info { color: var(--info); background: var(--info-bg); }
.badge.role { color: var(--ink); background: #e5e9ef; font-weight: 600; }
.badge.role.primary { color: var(--ok); background: var(--ok-bg); }
.badge.role.consider { color: var(--ask); background: var(--ask-bg); }
.reason { margin: 4px 0 2px; }
ul.evidence { list-style: none; margin: 2px 0 0; padding: 0; font-size: 13px; }
ul.evidence li { margin: 2px 0; }
ul.evidence .quote { color: var(--ink); text-decoration: none; font-style: italic;
  border-bottom: 1px dotted var(--muted); }
ul.evidence a.quote:hover { background: #fff7c2; }
ul.evidence .loc { color: var(--muted); font-size: 12px; margin-left: 4px; }
ul.evidence li.unaligned .quote { border-bottom: 0; text-decoration: line-through;
  color: var(--muted); }
ul.evidence li.unaligned .loc { color: var(--bad); }
.chips { display: flex; flex-wrap: wrap; gap: 4px; margin-top: 4px; }
.chip { font-size: 12px; padding: 0 6px; border-radius: 4px; background: #eef1f4;
  color: var(--ink); text-decoration: none; font-style: italic; }
a.chip:hover { background: #fff7c2; }
.chip.unaligned { text-decoration: line-through; color: var(--muted); }
.no-evidence { color: var(--muted); font-size: 13px; margin: 2px 0 0; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th { text-align: left; font-weight: 600; color: var(--muted); border-bottom: 1px solid
  var(--line); padding: 4px 8px 4px 0; font-size: 12px; }
td { border-bottom: 1px solid #eef1f4; padding: 6px 8px 6px 0; vertical-align: top; }
tr:last-child td { border-bottom: 0; }
td.code { font-family: ui-monospace, Menlo, Consolas, monospace; font-weight: 700;
  white-space: nowrap; }
td.num { text-align: right; }
.muted { color: var(--muted); }
.small { font-size: 12px; }
.query-card { border-top: 1px solid #eef1f4; padding-top: 10px; margin-top: 10px; }
.query-card:first-of-type { border-top: 0; padding-top: 0; margin-top: 0; }
.query-card .topic { font-size: 12px; color: var(--muted); font-weight: 600; }
.query-card .question { margin: 2px 0 4px; font-weight: 600; }
ul.options { list-style: none; margin: 0 0 4px; padding: 0 0 0 4px; }
ul.options li { padding-left: 1.4em; text-indent: -1.4em; }
ul.options li::before { content: "\\2610"; display: inline-block; width: 1.4em; text-indent: 0; color: var(--muted); }
.flag-card { margin: 0 0 10px; }
.flag-card:last-child { margin-bottom: 0; }
.flag-card .kind { font-weight: 650; }
ul.plain { margin: 0; padding-left: 18px; }
.note-panel { position: sticky; top: 12px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12px; color: var(--muted);
  margin: 0 0 10px; padding: 0; list-style: none; }
.legend li { display: flex; align-items: center; gap: 5px; }
.legend .sample { padding: 0 4px; border-radius: 2px; color: var(--ink); }
pre.note {
  margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; word-break: normal;
  font: 12.5px/1.55 ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono",
    monospace;
  max-height: calc(100vh - 110px); overflow: auto; padding: 12px; background: #fbfcfd;
  border: 1px solid #eef1f4; border-radius: 6px; tab-size: 4;
}
mark.ev { color: inherit; background: transparent; border-radius: 2px; padding: 1px 0; }
mark.query, .sample.query { border-bottom: 2px dashed #ea580c; }
mark.flag, .sample.flag { text-decoration: underline wavy #b45309; text-underline-offset: 3px; }
mark.icd10, .sample.icd10 { text-decoration: underline dotted #0f766e 2px; text-underline-offset: 3px; }
mark.flag.icd10 { text-decoration: underline wavy #b45309; }
mark.ev:target { outline: 2px solid #111827; outline-offset: 1px; }
footer { padding: 0 28px 24px; color: var(--muted); font-size: 12px; }
footer code { font-size: 11.5px; }
@media (max-width: 960px) {
  .layout { grid-template-columns: minmax(0, 1fr); }
  .note-panel { position: static; }
  pre.note { max-height: none; }
}
@media print {
  body { background: #fff; font-size: 11pt; }
  .verdict { border-bottom: 0; padding: 0 0 8px; }
  .layout { display: block; padding: 0; }
  .panel, .panel.empty { border: 0; border-radius: 0; padding: 8px 0; margin: 0; break-inside: avoid; }
  .note-panel { position: static; break-before: page; }
  pre.note { max-height: none; overflow: visible; border: 0; padding: 0; background: #fff;
    font-size: 9.5pt; }
  ul.evidence .quote { border-bottom: 0; }
  footer { padding: 8px 0 0; }
  mark.ev:target { outline: 0; }
}
"""

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" \
content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="robots" content="noindex, nofollow">
<title>{{ head.text }} | note {{ review.note_id }}</title>
<style>{{ css }}
{% for c in criteria_ids %}.criterion.{{ c.value }}, .legend .{{ c.value }} \
{ --c: {{ colours[c] }}; --a: {{ accents[c] }}; }
mark.{{ c.value }} { background: {{ colours[c] }}; }
{% endfor %}</style>
</head>
<body>
{% macro evidence_list(items) -%}
{% if items %}
<ul class="evidence">
{% for ev in items %}
{% if can_mark(ev) %}
<li><a class="quote" href="#at-{{ ev.start }}" title="characters {{ ev.start }}&ndash;{{ ev.end }}">\
&ldquo;{{ ev.quote }}&rdquo;</a><span class="loc">{{ place(ev) }}</span></li>
{% else %}
<li class="unaligned"><span class="quote">&ldquo;{{ ev.quote }}&rdquo;</span>\
<span class="loc">{{ place(ev) }}</span></li>
{% endif %}
{% endfor %}
</ul>
{% endif %}
{%- endmacro %}
{% macro chips(items) -%}
{% if items %}
<div class="chips">
{% for quote, target, where in compact(items) %}
{% if target %}<a class="chip" href="#at-{{ target.start }}" title="{{ where }}">{{ quote }}</a>\
{% else %}<span class="chip unaligned" title="{{ where }}">{{ quote }}</span>{% endif %}
{% endfor %}
</div>
{% endif %}
{%- endmacro %}
{% macro empty(title) -%}
<section class="panel empty"><h2>{{ title }}: <span class="none">none</span></h2></section>
{%- endmacro %}
<header class="verdict v-{{ head.tone }}">
<h1 class="verdict-line"><span class="lead">{{ head.lead }}</span>\
<span class="sep">{{ head.separator }}</span><span class="label">{{ head.label }}</span></h1>
<p class="summary">{{ why.intro }}</p>
{% if why.reasons %}<ul class="reasons">{% for r in why.reasons %}<li>{{ r }}</li>{% endfor %}</ul>{% endif %}
<dl class="meta">
<div><dt>Note</dt><dd>{{ review.note_id }}</dd></div>
<div><dt>Ruleset</dt><dd>{{ review.ruleset_version }}</dd></div>
<div><dt>Extractor</dt><dd>{{ extractor }}</dd></div>
<div><dt>sha256</dt><dd title="{{ review.note_sha256 }}">{{ review.note_sha256[:12] }}</dd></div>
</dl>
{% if mismatch %}<p class="alert error">{{ mismatch }}</p>{% endif %}
</header>
<main class="layout">
<div class="analysis">
{% if failed and not d.criteria %}
<section class="panel empty"><h2>Criteria: <span class="none">{{ nothing_read }}</span></h2></section>
{% else %}
<section class="panel">
<h2>Criteria{% if failed %} <span class="partial">({{ partial }})</span>{% endif %}</h2>
{% for c in d.criteria %}
<div class="criterion {{ c.id.value }}" id="criterion-{{ c.id.value }}">
<div class="criterion-head"><span class="swatch"></span>\
<span class="name">{{ names.get(c.id, c.id.value) }}</span>\
<span class="badge {{ c.status.value }}">{{ status_labels[c.status] }}</span></div>
<p class="reason">{{ c.reason }}</p>
{% if c.evidence %}{{ evidence_list(c.evidence) }}\
{% else %}<p class="no-evidence">No evidence quoted.</p>{% endif %}
</div>
{% endfor %}
</section>
{% endif %}
{% if failed %}
<section class="panel empty withheld"><p>{{ withheld }}</p></section>
{% else %}
{% if d.recommended_codes %}
<section class="panel">
<h2>Recommended codes <span class="count">({{ d.recommended_codes|length }})</span></h2>
<table>
<thead><tr><th>Code</th><th>Units</th><th>Modifiers</th><th>Role</th>\
<th>Description and reason</th></tr></thead>
<tbody>
{% for code in d.recommended_codes %}
<tr><td class="code">{{ code.code }}</td><td class="num">{{ code.units }}</td>\
<td>{{ code.modifiers|join(", ") or "\u2013" }}</td>\
<td><span class="badge role {{ code.role.value }}">{{ code.role.value }}</span></td>\
<td>{{ code.description or "\u2013" }}\
{% if code.reason %}<div class="small muted">{{ code.reason }}</div>{% endif %}</td></tr>
{% endfor %}
</tbody>
</table>
</section>
{% else %}{{ empty("Recommended codes") }}{% endif %}
{% if d.icd10 %}
<section class="panel">
<h2>ICD-10-CM suggestions <span class="count">({{ d.icd10|length }})</span></h2>
<table>
<thead><tr><th>Code</th><th>Title</th><th>Billable</th><th>Reason and evidence</th></tr></thead>
<tbody>
{% for icd in d.icd10 %}
<tr><td class="code">{{ icd.code }}</td><td>{{ icd.title }}</td>\
<td>{% if icd.billable %}yes{% else %}<span class="badge error">NO</span>{% endif %}</td>\
<td>{{ icd.reason }}{{ chips(icd.evidence) }}</td></tr>
{% endfor %}
</tbody>
</table>
</section>
{% else %}{{ empty("ICD-10-CM suggestions") }}{% endif %}
{% if d.queries %}
<section class="panel">
<h2>Physician queries <span class="count">({{ d.queries|length }})</span></h2>
{% for q in d.queries %}
<div class="query-card">
<div class="topic">{{ loop.index }}. {{ topic(q.topic) }}</div>
<p class="question">{{ q.question }}</p>
<ul class="options">
{% for option in q.options %}<li>{{ option }}</li>
{% endfor %}
</ul>
{% if q.indicators %}<div class="small muted">Indicators in the note:</div>\
{{ evidence_list(q.indicators) }}{% endif %}
</div>
{% endfor %}
</section>
{% else %}{{ empty("Physician queries") }}{% endif %}
{% if d.edits %}
<section class="panel">
<h2>Claim edits <span class="count">({{ d.edits|length }})</span></h2>
<table>
<thead><tr><th>Severity</th><th>Kind</th><th>Codes</th><th>Message</th></tr></thead>
<tbody>
{% for e in d.edits %}
<tr><td><span class="badge {{ e.severity.value }}">{{ e.severity.value|upper }}</span></td>\
<td>{{ kind(e.kind) }}</td><td class="code">{{ e.codes|join(", ") }}</td>\
<td>{{ e.message }}{% if e.source %}<div class="small muted">Source: {{ e.source }}</div>\
{% endif %}</td></tr>
{% endfor %}
</tbody>
</table>
</section>
{% else %}{{ empty("Claim edits") }}{% endif %}
{% endif %}
{% if d.flags %}
<section class="panel">
<h2>Flags <span class="count">({{ d.flags|length }})</span></h2>
{% for f in d.flags %}
<div class="flag-card"><div class="kind">{{ kind(f.kind) }}</div>
<div>{{ f.message }}</div>{{ evidence_list(f.evidence) }}</div>
{% endfor %}
</section>
{% endif %}
{% if review.warnings %}
<section class="panel">
<h2>Warnings <span class="count">({{ review.warnings|length }})</span></h2>
<ul class="plain">{% for w in review.warnings %}<li>{{ w }}</li>{% endfor %}</ul>
</section>
{% endif %}
</div>
<section class="panel note-panel">
<h2>Operative note</h2>
<ul class="legend">
{% for c in criteria_ids %}<li class="{{ c.value }}"><span class="swatch"></span>\
{{ names[c] }}</li>
{% endfor %}
{% for label, text in extras %}<li><span class="sample {{ label }}">text</span> {{ text }}</li>
{% endfor %}
</ul>
<pre class="note">{{ note_html }}</pre>
</section>
</main>
<footer>
Ruleset {{ review.ruleset_version }} &middot; extractor {{ extractor }} &middot; \
schema {{ review.schema_version }} &middot; op-note-reviewer {{ version }} &middot; \
note {{ review.note_id }} &middot; sha256 <code>{{ review.note_sha256 }}</code><br>
Contains protected health information: the full operative note is embedded in this file.
</footer>
</body>
</html>
"""

_ENV = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_COMPILED = _ENV.from_string(_TEMPLATE)


def render_html(review: Review, note_text: str) -> str:
    """The review as one self-contained HTML5 page with the note and its evidence marked."""
    review = shown(review)
    decision = displayed_decision(review)
    spans = _spans(decision, note_text)
    used = {s.label for s in spans}
    return _COMPILED.render(
        review=review,
        d=decision,
        head=headline(review),
        why=explanation(review),
        failed=bool(review.error),
        partial=PARTIAL,
        nothing_read=NOTHING_READ,
        withheld=WITHHELD,
        place=evidence_place,
        kind=kind_name,
        extractor=_extractor(review),
        mismatch="" if note_matches(review, note_text) else MISMATCH_WARNING,
        css=Markup(_CSS),
        criteria_ids=list(CriterionId),
        colours=CRITERION_COLOURS,
        accents=_ACCENTS,
        names=CRITERION_NAMES,
        status_labels=STATUS_LABELS,
        extras=[(label, text) for label, text in _EXTRA_LABELS.items() if label in used],
        note_html=highlight_note(decision, note_text),
        can_mark=lambda ev: highlightable(ev, note_text),
        compact=lambda items: _compact(items, note_text),
        topic=topic_name,
        version=reviewer.__version__,
    )
