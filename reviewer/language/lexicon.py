"""The target lexicon (data/lexicon.yaml), compiled once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from reviewer.datafile import load_yaml
from reviewer.language.fastregex import finditer
from reviewer.language.prefilter import prefilter

# Categories whose entries map a value to a list of patterns.
TARGET_CATEGORIES = (
    "nsti",
    "gangrene_suspect",
    "nsti_indicators",
    "sites",
    "techniques",
    "layers",
    "procedures",
    "repeat",
    "organisms",
    "sepsis",
    "comorbidities",
    "sex",
)


@dataclass(frozen=True)
class Target:
    category: str
    value: str
    start: int
    end: int


def flexible_spaces(pattern: str) -> str:
    """A space in a lexicon pattern matches any run of whitespace (notes wrap mid-phrase)."""
    out: list[str] = []
    in_class = escaped = False
    chars = iter(enumerate(pattern))
    for i, ch in chars:
        if ch == " " and not in_class and not escaped and pattern[i + 1 : i + 2] in ("?", "*"):
            out.append(r"\s*")
            next(chars)
            continue
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\":
            out.append(ch)
            escaped = True
        elif ch == "[" and not in_class:
            in_class = True
            out.append(ch)
        elif ch == "]" and in_class:
            in_class = False
            out.append(ch)
        elif ch == " ":
            out.append(r"\s" if in_class else r"\s+")
        else:
            out.append(ch)
    return "".join(out)


def _bounded(patterns: list[str]) -> re.Pattern[str]:
    body = "|".join(f"(?:{flexible_spaces(p)})" for p in patterns)
    return re.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])")


@dataclass(frozen=True)
class Lexicon:
    version: str
    targets: tuple[tuple[str, str, re.Pattern[str]], ...]
    laterality: tuple[tuple[str, re.Pattern[str]], ...]
    necrosis_cues: re.Pattern[str]
    necrosis_denied: re.Pattern[str]
    surface_cues: re.Pattern[str]
    deep_tissue: re.Pattern[str]
    deep_tissue_denied: re.Pattern[str]
    all_necrotic_scope: re.Pattern[str]
    separate_region_cues: re.Pattern[str]
    layer_exposed_before: re.Pattern[str]
    layer_including_before: re.Pattern[str]
    layer_exposed_after: re.Pattern[str]
    removal_verbs: re.Pattern[str]
    inspection_cues: re.Pattern[str]
    abscess_cavity: re.Pattern[str]
    abscess_cavity_beyond: re.Pattern[str]
    repeat_conditions: re.Pattern[str]
    repeat_staged: re.Pattern[str]
    repeat_when: re.Pattern[str]
    distant_past: re.Pattern[str]
    layer_sampled_cues: re.Pattern[str]
    layer_kept_in_clause: re.Pattern[str]
    areas: tuple[re.Pattern[str], ...]
    postop_same: re.Pattern[str]
    sex_pronouns: tuple[tuple[str, re.Pattern[str]], ...]
    sex_anatomy: tuple[tuple[str, re.Pattern[str]], ...]

    def find(self, norm: str) -> list[Target]:
        """All targets, with spans contained in a longer span of the same category dropped."""
        found: list[Target] = []
        # A pattern none of whose required literals is in the note cannot match: skip it; the
        # others run rewritten for speed (reviewer/language/fastregex.py, same matches).
        runs = prefilter(self.targets, [p for _, _, p in self.targets]).may_match(norm)
        for (category, value, pattern), run in zip(self.targets, runs, strict=True):
            if not run:
                continue
            found.extend(Target(category, value, m.start(), m.end()) for m in finditer(pattern, norm))
        found.sort(key=lambda t: (t.category, t.start, -(t.end - t.start)))
        kept: list[Target] = []
        for t in found:
            if (
                kept
                and kept[-1].category == t.category
                and kept[-1].start <= t.start
                and t.end <= kept[-1].end
            ):
                continue
            kept.append(t)
        kept.sort(key=lambda t: (t.start, t.end))
        return kept


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    raw: dict[str, Any] = load_yaml(
        resources.files("reviewer.data").joinpath("lexicon.yaml").read_text("utf-8")
    )
    targets = tuple(
        (category, value, _bounded(patterns))
        for category in TARGET_CATEGORIES
        for value, patterns in raw[category].items()
    )

    def anywhere(key: str) -> re.Pattern[str]:
        return re.compile("|".join(f"(?:{flexible_spaces(p)})" for p in raw[key]))

    return Lexicon(
        version=str(raw["version"]),
        targets=targets,
        laterality=tuple((side, _bounded(words)) for side, words in raw["laterality"].items()),
        necrosis_cues=_bounded(raw["necrosis_cues"]),
        necrosis_denied=_bounded(raw["necrosis_denied"]),
        surface_cues=_bounded(raw["surface_cues"]),
        deep_tissue=_bounded(raw["deep_tissue"]),
        deep_tissue_denied=_bounded(raw["deep_tissue_denied"]),
        all_necrotic_scope=_bounded(raw["all_necrotic_scope"]),
        separate_region_cues=_bounded(raw["separate_region_cues"]),
        layer_exposed_before=anywhere("layer_exposed_before"),
        layer_including_before=anywhere("layer_including_before"),
        layer_exposed_after=anywhere("layer_exposed_after"),
        removal_verbs=_bounded(raw["removal_verbs"]),
        inspection_cues=_bounded(raw["inspection_cues"]),
        abscess_cavity=_bounded(raw["abscess_cavity"]),
        abscess_cavity_beyond=_bounded(raw["abscess_cavity_beyond"]),
        repeat_conditions=_bounded(raw["repeat_conditions"]),
        repeat_staged=re.compile("|".join(raw["repeat_staged"])),
        repeat_when=re.compile("|".join(f"(?:{flexible_spaces(p)})" for p in raw["repeat_when"])),
        distant_past=_bounded(raw["distant_past"]),
        layer_sampled_cues=_bounded(raw["layer_sampled_cues"]),
        layer_kept_in_clause=_bounded(raw["layer_kept_in_clause"]),
        areas=tuple(re.compile(flexible_spaces(p)) for p in raw["areas"]),
        postop_same=re.compile("|".join(raw["postop_same"])),
        sex_pronouns=tuple((sex, _bounded(words)) for sex, words in raw["sex_pronouns"].items()),
        sex_anatomy=tuple((sex, _bounded(words)) for sex, words in raw["sex_anatomy"].items()),
    )
