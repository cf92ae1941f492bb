"""The never-unsafe property at scale: sentences that mention a decisive fact without stating
it as done today (negated, deferred, planned, conditional, consented, historical, other person,
injected, Unicode-disguised; see tests/adversarial.py) are inserted at random places in the gold
notes.

- In every gold note that does not support 11004, no insertion may make the verdict `supported`.
- In every supported gold note, no insertion may change a criterion it is not about.

    .venv/bin/python eval/never_unsafe.py --examples 20000

Prints the examples run per kind and aim, and every failure (case id, kind, the sentence's
repr); exits 1 when any example failed. The test suite runs a short version
(tests/test_never_unsafe.py).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from reviewer.decision import Verdict  # noqa: E402
from reviewer.evaluate.cases import GoldCase, load_cases  # noqa: E402
from reviewer.extract import get_extractor  # noqa: E402
from reviewer.pipeline import Review, review_with  # noqa: E402
from tests.adversarial import Insertion, insert, insertions  # noqa: E402


def statuses(r: Review) -> dict[str, str]:
    return {c.id.value: c.status.value for c in r.decision.criteria}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed (default: random)")
    args = parser.parse_args()

    cases = load_cases(ROOT / "eval" / "gold")
    extractor = get_extractor("rules")
    baseline: dict[str, Review] = {}
    for case in cases:
        baseline[case.id] = review_with(extractor, case.note, sex=case.context.sex)
    run: Counter[tuple[str, str, str]] = Counter()
    failures: list[str] = []

    @settings(
        max_examples=args.examples,
        deadline=None,
        database=None,
        derandomize=args.seed is not None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.sampled_from(cases), ins=insertions(), where=st.integers(0, 10_000))
    def check(case: GoldCase, ins: Insertion, where: int) -> None:
        text = insert(case.note, ins.sentence, where)
        r = review_with(extractor, text, sex=case.context.sex)
        supported = case.expected.verdict is Verdict.supported
        run[("supported" if supported else "not supported", ins.kind, ins.aim)] += 1
        if not supported:
            if r.decision.verdict is Verdict.supported:
                failures.append(f"UNSAFE {case.id} [{ins.kind}/{ins.aim}] {ins.sentence!r}")
            return
        before, after = statuses(baseline[case.id]), statuses(r)
        flipped = [k for k in before if k != ins.aim and before[k] != after[k]]
        if flipped:
            failures.append(
                f"FLIPPED {case.id} {','.join(f'{k}: {before[k]}->{after[k]}' for k in flipped)} "
                f"[{ins.kind}/{ins.aim}] {ins.sentence!r}"
            )

    started = time.perf_counter()
    check()
    elapsed = time.perf_counter() - started
    total = sum(run.values())
    print(f"{total} examples in {elapsed:.0f} s over {len(cases)} gold cases")
    print(f"{'notes':14} {'kind':13} {'aim':22} examples")
    for (group, kind, aim), n in sorted(run.items()):
        print(f"{group:14} {kind:13} {aim:22} {n}")
    unsafe = sum(f.startswith("UNSAFE") for f in failures)
    print(f"unsafe (supported on a note that does not support 11004): {unsafe}")
    print(f"unrelated criterion flipped on a supported note: {len(failures) - unsafe}")
    for f in failures[:200]:
        print(f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
