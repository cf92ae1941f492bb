"""Speed of the rules path against baselines measured in the same run, on one core.

    taskset -c 0 .venv/bin/python eval/bench/speed.py [--rounds 7] [--check-runs 5]

Notes: every gold case (eval/gold/*.yaml, field `note`) and the bundled sample. Prints, in CPU
time of this process (robust on a shared, loaded machine):

- notes/second of `review()` warm (rules extractor, whole review: sections, extraction,
  ConText, guardrails, decision; and the same with the JSON rendered);
- notes/second of a lean medspaCy pass over the same notes: `spacy.blank("en")` + sentencizer +
  medspaCy target matcher (our lexicon patterns) + ConText (our rules) + sectionizer (our
  section headers); and of the same pass with the targets found by our lexicon regexes run once
  (medspaCy's RegexMatcher rebuilds the text for every pattern: this baseline is stricter);
- notes/second of spaCy's blank English tokenizer alone;
- the ratios review / lean pass and review / tokenizer, per round (rounds interleave the three,
  so a load spike hits all of them), and their median;
- linearity: cost per character of one note made of gold notes joined up to 256x the median
  note length, over the cost per character of the same notes reviewed one by one;
- the whole-process wall time of `reviewer check eval/samples/seed-fournier.txt` (median of 5).

Nothing here is a unit test; run it by hand and quote its output.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "eval" / "gold"
SAMPLE = ROOT / "eval" / "samples" / "seed-fournier.txt"


def cpu_rate(fn: Callable[[str], object], notes: list[str]) -> float:
    """Notes per CPU second of this process."""
    start = time.process_time()
    for text in notes:
        fn(text)
    return len(notes) / (time.process_time() - start)


def _context_and_sections(nlp: Any) -> None:
    import json
    from importlib import resources

    from medspacy.context import ConTextRule
    from medspacy.section_detection import SectionRule

    raw = json.loads(resources.files("reviewer.data").joinpath("context_rules.json").read_text("utf-8"))
    config = {"rules": None, "input_span_type": "group", "span_group_name": "targets"}
    nlp.add_pipe("medspacy_context", config=config).add([ConTextRule(**r) for r in raw["context_rules"]])
    headers = json.loads(resources.files("reviewer.data").joinpath("sections.json").read_text("utf-8"))
    nlp.add_pipe("medspacy_sectionizer", config={"rules": None}).add(
        [
            SectionRule(literal=h, category=name)
            for name, spellings in headers["sections"].items()
            for h in spellings
        ]
    )


def lean_medspacy() -> Callable[[str], object]:
    """blank English + sentencizer + medspaCy target matcher + ConText + sectionizer, with the
    project's own lexicon (its regular expressions as TargetRule patterns, case-sensitive, run on
    the lower-cased note, as ours run on the normalised note), ConText rules and section headers."""
    import spacy
    from medspacy.target_matcher import TargetRule

    from reviewer.language.lexicon import load_lexicon

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    matcher = nlp.add_pipe(
        "medspacy_target_matcher", config={"result_type": "group", "span_group_name": "targets"}
    )
    matcher.add(
        [
            TargetRule(literal=value, category=category.upper(), pattern=f"(?-i:{pattern.pattern})")
            for category, value, pattern in load_lexicon().targets
        ]
    )
    _context_and_sections(nlp)
    return nlp  # type: ignore[no-any-return]


def lean_own_targets() -> Callable[[str], object]:
    """The same pipeline with the targets found by our lexicon regexes run once over the text
    (`Lexicon.find`) and handed to spaCy as spans: medspaCy's RegexMatcher rebuilds the document
    text for every pattern, so this is the faster, stricter baseline."""
    import spacy

    from reviewer.language.lexicon import load_lexicon

    lex = load_lexicon()
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    _context_and_sections(nlp)
    sentencizer, context, sectionizer = (nlp.get_pipe(n) for n in nlp.pipe_names)

    def run(text: str) -> object:
        doc = sentencizer(nlp.make_doc(text))
        spans = (
            doc.char_span(t.start, t.end, label="TARGET", alignment_mode="expand") for t in lex.find(text)
        )
        doc.spans["targets"] = [s for s in spans if s is not None]
        return sectionizer(context(doc))

    return run


def check_wall(runs: int) -> list[float]:
    """`python -m reviewer check SAMPLE` from this checkout (its code, whatever is installed)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "reviewer", "check", str(SAMPLE)],
            check=True,
            stdout=subprocess.DEVNULL,
            cwd=ROOT,
        )
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--check-runs", type=int, default=5)
    parser.add_argument("--scale", type=int, default=256, help="long note length / median note length")
    args = parser.parse_args()

    import logging

    from loguru import logger

    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    logging.disable(logging.WARNING)

    from reviewer import review
    from reviewer.evaluate.cases import load_cases

    notes = [c.note for c in load_cases(GOLD)] + [SAMPLE.read_text("utf-8")]
    lowered = [n.lower() for n in notes]  # what the baselines' case-sensitive patterns read (not timed)
    for text in notes:  # warm: lexicons, ConText rules, CMS tables, ICD-10, caches
        review(text)
    lean, own = lean_medspacy(), lean_own_targets()
    tokenizer = spacy_tokenizer()
    for text in lowered:
        lean(text)
        own(text)

    def full(text: str) -> object:
        return review(text)

    def full_json(text: str) -> object:
        return review(text).model_dump_json()

    rows: dict[str, list[float]] = {k: [] for k in ("review", "review+json", "lean", "own", "tokenizer")}
    for _ in range(args.rounds):
        rows["review"].append(cpu_rate(full, notes))
        rows["lean"].append(cpu_rate(lean, lowered))
        rows["own"].append(cpu_rate(own, lowered))
        rows["tokenizer"].append(cpu_rate(tokenizer, notes))
        rows["review+json"].append(cpu_rate(full_json, notes))

    def ratios(base: str) -> list[float]:
        return [r / b for r, b in zip(rows["review"], rows[base], strict=True)]

    chars = sum(len(n) for n in notes) / len(notes)
    affinity = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    print(f"notes: {len(notes)} (gold + sample), {chars:,.0f} characters on average; CPUs {affinity}")
    print(f"rounds: {args.rounds} (interleaved); notes/second of CPU time, median [min-max]")
    for name, label in (
        ("review", "review() warm"),
        ("review+json", "review() + JSON"),
        ("lean", "lean medspaCy pass"),
        ("own", "lean pass, our target regexes"),
        ("tokenizer", "spaCy tokenizer alone"),
    ):
        v = rows[name]
        print(f"  {label:<30} {statistics.median(v):8.0f}  [{min(v):.0f}-{max(v):.0f}]")
    for base, label in (
        ("lean", "lean medspaCy pass (goal >= 2.0)"),
        ("own", "lean pass, our target regexes"),
        ("tokenizer", "spaCy tokenizer alone"),
    ):
        r = ratios(base)
        print(f"ratio review / {label}: {statistics.median(r):.2f}x  [{min(r):.2f}-{max(r):.2f}]")

    # Linearity: gold notes joined into one note of `scale` x the median length, against the
    # same notes reviewed one by one (cost per character, CPU time).
    typical = statistics.median(len(n) for n in notes)
    parts: list[str] = []
    total = 0
    i = 0
    while total < typical * args.scale:
        parts.append(notes[i % len(notes)])
        total += len(parts[-1]) + 2
        i += 1
    long_note = "\n\n".join(parts)
    ratios = []
    for _ in range(3):
        start = time.process_time()
        for text in parts:
            review(text)
        per_char_short = (time.process_time() - start) / sum(len(p) for p in parts)
        start = time.process_time()
        review(long_note)
        per_char_long = (time.process_time() - start) / len(long_note)
        ratios.append(per_char_long / per_char_short)
    print(
        f"linearity: one {len(long_note):,}-character note ({len(long_note) / typical:.0f}x the median) "
        f"costs {min(ratios):.2f}x per note-equivalent (goal <= 1.2)"
    )

    walls = check_wall(args.check_runs)
    print(
        f"`python -m reviewer check {SAMPLE.relative_to(ROOT)}` whole process: median {statistics.median(walls):.2f} s wall "
        f"[{min(walls):.2f}-{max(walls):.2f}] over {args.check_runs} runs (goal < 1 s)"
    )


def spacy_tokenizer() -> Callable[[str], object]:
    import spacy

    return spacy.blank("en").tokenizer  # type: ignore[no-any-return]


if __name__ == "__main__":
    main()
