"""What `python -m modelguard soak` prints, and what its exit code says.

It decides that the exit code is 0 only when nothing was lost, crashed or
applied twice (the soak's `ok`), 2 when the soak cannot run on the broker asked
for, and which figures the table shows first.
"""

from __future__ import annotations

import argparse
import json
import sys

from modelguard.lab.soak.run import run_soak

_KEY_FIGURES = ("records", "processed", "dead_lettered", "lost", "crashes", "duplicates", "kills",
                "unexpected", "allocations_missing", "dead_letters_without_reason")  # fmt: skip


def main(args: argparse.Namespace) -> int:
    """`python -m modelguard soak`: 0 when nothing was lost, crashed or applied twice."""
    try:
        result = run_soak(
            records=args.records, seed=args.seed, kills=args.kills, broker=args.broker
        )
    except NotImplementedError as error:
        print(f"modelguard soak: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(soak_table(result))
    return 0 if result["ok"] else 1


def soak_table(result: dict) -> str:
    lines = [
        f"soak on {result['broker']}: {result['records']} records, seed {result['seed']}, "
        f"{result['consumers']} consumers, {result['processes']} process(es), "
        f"{result['duration_s']} s ({result['records_per_s']} records/s)",
        "",
    ]
    lines += [f"  {key:28} {result[key]}" for key in _KEY_FIGURES]
    lines += ["", f"  {'category':20} {'records':>8} {'processed':>10} {'dlq':>8} {'lost':>6}"]
    for name, states in result["categories"].items():
        row = [states.get(s, 0) for s in ("processed", "dead_lettered", "lost")]
        lines.append(f"  {name:20} {sum(row):8} {row[0]:10} {row[1]:8} {row[2]:6}")
    reasons = ", ".join(f"{k} x{v}" for k, v in result["dead_letter_reasons"].items()) or "-"
    lines += ["", f"  dead-letter reasons: {reasons}"]
    if result["crash_errors"]:
        lines.append(f"  crashes: {result['crash_errors']}")
    lines.append(f"  verdict: {'OK' if result['ok'] else 'FAILED'}")
    return "\n".join(lines)
