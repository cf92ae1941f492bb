"""Throughput of the rules path over the gold notes, against a baseline measured in the same
run: spaCy's blank English tokenizer alone over the same notes (the floor of any spaCy pipeline).

    .venv/bin/python eval/bench/rules_speed.py [--rounds 5]

Prints notes/second for the whole review (sections, extraction, ConText, decision, JSON), the
ratio to the tokenizer baseline, and the rate on one very long note (linearity check).
Measured on one core; nothing here is a unit test.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import spacy

from reviewer import review
from reviewer.evaluate.cases import load_cases

GOLD = Path(__file__).resolve().parents[1] / "gold"


def rate(fn: object, notes: list[str], rounds: int) -> float:
    assert callable(fn)
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        for text in notes:
            fn(text)
        best = max(best, len(notes) / (time.perf_counter() - start))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    notes = [c.note for c in load_cases(GOLD)]
    review(notes[0])  # load lexicons, ConText rules, CMS tables and ICD-10 once
    nlp = spacy.blank("en")
    baseline = rate(nlp.make_doc, notes, args.rounds)
    full = rate(lambda t: review(t).model_dump_json(), notes, args.rounds)
    words = sum(len(n.split()) for n in notes) / len(notes)
    print(f"notes: {len(notes)} gold notes, {words:.0f} words on average, best of {args.rounds} rounds")
    print(f"baseline (spaCy blank tokenizer only): {baseline:8.0f} notes/second")
    print(f"rules review, end to end (JSON out):   {full:8.0f} notes/second")
    print(f"ratio review / baseline: {full / baseline:.2f}")
    # Linearity: one very long note (every gold note, repeated to ~500,000 characters) should
    # review at about the per-note rate; a ratio far below 1 means something is quadratic.
    long_note = "\n\n".join(notes)
    copies = max(1, 500_000 // len(long_note))
    start = time.perf_counter()
    review(long_note * copies)
    long_rate = len(notes) * copies / (time.perf_counter() - start)
    print(f"one {len(long_note) * copies:,}-character note: {long_rate:8.0f} notes/second equivalent")
    print(f"ratio long note / per-note rate: {long_rate / full:.2f}")


if __name__ == "__main__":
    main()
