"""Every fix of tests/unit/test_exercise_fixes.py through notebook 07's check, under many seeds.

The unit tests check each fix under one seed. This prints, for each fix, whether the
check refused it (a wrong fix) or passed it (a right one) under every seed asked for,
and the check's time: the median and the slowest of the conductor's own time, and of
the whole call as a notebook cell makes it.

    .venv/bin/python scripts/exercise_seeds.py --seeds 21-25
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "unit"))

import test_exercise_fixes as fixes  # noqa: E402 -- the table of fixes lives with its tests

from modelguard.lab.exercise import check  # noqa: E402


def seeds(text: str) -> list[int]:
    first, _, last = text.partition("-")
    return list(range(int(first), int(last or first) + 1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=seeds, default=seeds("21-25"), help="e.g. 21-25")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="exercise-seeds-"))
    wrong_as_expected = right_as_expected = 0
    inside, calls = [], []
    for fix in fixes.WRONG + fixes.RIGHT:
        folder = fixes.the_learner_writes(root, fix)
        outcomes = []
        for seed in args.seeds:
            started = time.perf_counter()
            verdict = check(folder, seed=seed)
            calls.append(time.perf_counter() - started)
            inside.append(verdict.seconds)
            outcomes.append(verdict.passed)
        expected = not fix.said
        right = all(passed == expected for passed in outcomes)
        if right and fix.said:
            wrong_as_expected += 1
        elif right:
            right_as_expected += 1
        shown = "".join("P" if passed else "R" for passed in outcomes)
        kind = "wrong" if fix.said else "right"
        print(f"{'ok ' if right else 'BAD'} {shown}  {kind}: {fix.name}")
    print(
        f"\nseeds {args.seeds[0]}-{args.seeds[-1]}: {wrong_as_expected} of {len(fixes.WRONG)} "
        f"wrong fixes refused and {right_as_expected} of {len(fixes.RIGHT)} right fixes passed "
        "under every seed"
    )
    print(
        f"{len(calls)} checks: conductor median {statistics.median(inside):.2f} s, slowest "
        f"{max(inside):.2f} s; check() call median {statistics.median(calls):.2f} s, slowest "
        f"{max(calls):.2f} s"
    )
    return 0 if wrong_as_expected + right_as_expected == len(fixes.WRONG + fixes.RIGHT) else 1


if __name__ == "__main__":
    raise SystemExit(main())
