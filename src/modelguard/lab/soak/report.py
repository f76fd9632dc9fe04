"""What `python -m modelguard soak` prints, and what its exit code says.

It decides that the exit code is 0 only when the soak's verdict is `ok`, 1 when it is
not (or the soak could not finish), 2 when the soak cannot run as asked (a part the
broker cannot run, or no MONGODB_URI for worker processes), and which figures the one
table shows, for either broker.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping

from modelguard.lab.kafka_run import RunTimedOut
from modelguard.lab.soak.parts import Parts, SoakRefused
from modelguard.lab.soak.plan import SoakFailed
from modelguard.lab.soak.records import Fate
from modelguard.lab.soak.run import run_soak
from modelguard.lab.soak.shapes import SoakReport
from modelguard.lab.soak.verdict import failures

_KEY_FIGURES = ("records", *Fate, "duplicates", "crashes",
                "unexpected", "allocations_missing", "dead_letters_without_reason",
                "kills", "broker_restarts", "database_outage_s", "replayed",
                "replay_unexpected", "purchases", "allocations", "processes")  # fmt: skip


def main(args: argparse.Namespace) -> int:
    """`python -m modelguard soak`: 0 when the verdict is ok."""
    from modelguard.config import MissingDatabase

    parts = Parts(
        bad_records=args.bad_records, kills=args.kills, restart_broker=args.restart_broker,
        database_outage=args.database_outage, replay=args.replay,
    )  # fmt: skip
    try:
        result = run_soak(args.records, args.seed, args.broker, parts=parts)
    except (SoakRefused, MissingDatabase) as error:
        print(f"modelguard soak: {error}", file=sys.stderr)
        return 2
    except (SoakFailed, RunTimedOut) as error:
        print(f"modelguard soak: {error}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2) if args.json else soak_table(result))
    return 0 if result["ok"] else 1


def soak_table(result: SoakReport) -> str:
    # Read by names from a list, and one drill's own figure: a TypedDict takes literal keys.
    figures: Mapping[str, object] = result
    chosen = [name for name, value in result["parts"].items() if value]
    lines = [
        f"soak on {result['broker']}: {result['records']} records, seed {result['seed']}, "
        f"parts: {', '.join(chosen) or 'none'}; {result['duration_s']} s "
        f"({result['records_per_s']} records/s)",
        "",
    ]
    lines += [f"  {key:28} {figures[key]}" for key in _KEY_FIGURES]
    lines += ["", f"  {'category':20} {'records':>8} {'processed':>10} {'dlq':>8} {'lost':>6}"]
    for name, states in result["categories"].items():
        row = [states.get(fate, 0) for fate in Fate]
        lines.append(f"  {name:20} {sum(row):8} {row[0]:10} {row[1]:8} {row[2]:6}")
    reasons = ", ".join(f"{k} x{v}" for k, v in result["dead_letter_reasons"].items()) or "-"
    lines += ["", f"  dead-letter reasons: {reasons}"]
    if "topic" in figures:  # the drill on Kafka, which leaves its topics and database
        lines += [
            f"  dlq: {figures['dead_letters']} record(s) for {figures['dlq_events']} event(s) "
            f"in {figures['topic']}.dlq; the replay left out {figures['replay_skipped']}",
            f"  left for the DLQ tools: topic {figures['topic']}, database "
            f"{figures['database']}, groups {', '.join(map(str, figures['groups']))}",  # type: ignore[call-overload]
        ]
    if figures.get("crash_errors"):  # the embedded drill's only
        lines.append(f"  crashes: {figures['crash_errors']}")
    failed = failures(result)
    lines.append(f"  verdict: {'OK' if result['ok'] else f'FAILED {failed}'}")
    return "\n".join(lines)
