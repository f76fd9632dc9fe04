"""Plain-text tables of scenario results, for the terminal and `make demo`.

Each table names its worker variant and its retry policy, with the policy said in
words (the policy named "seed" is the platform's policy as it was before the fix).

A column's header is short so that a row fits a terminal; its meaning, and how
it adds up over worker processes, is said once in the legend under the tables.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any

from modelguard.messaging.outcome import Outcome
from modelguard.messaging.policy import POLICIES

# (header, width, meaning). A width of 0 is the last column, left unpadded.
COLUMNS = (
    ("scenario", 18, "the incident report's scenario"),
    ("events", 6, "purchases published"),
    ("ok", 5, "events allocated"),
    ("dlq", 5, "events that ended in the dead letter queue"),
    ("attempts", 8, "handler calls: retries, the records a kill left uncommitted and that "
     "were delivered again, and the attempt the kill cut short, included"),
    ("dup", 4, "purchases allocated more than once (must be 0)"),
    ("loads", 6, "service loads, summed over the scenario's worker processes; a delivery "
     "of an event already processed is answered before any load"),
    ("compiles User", 13, "compilations of User in the one worker process that asked for "
     "the most (1: compiled once, as it should be)"),
    ("errors", 0, "failed attempts by error class"),
)  # fmt: skip


def scenario_table(result: Mapping[str, Any]) -> str:
    """One variant's four scenarios, one row each, under the worker and its retry policy."""
    header = f"variant {result['variant']} on the {result['broker']} broker"
    policy = POLICIES.get(result["policy"])
    said = f" ({policy.about})" if policy is not None and policy.about else ""
    lines = [
        header,
        f"retry policy: {result['policy']}{said}",
        _row([name for name, *_ in COLUMNS]),
        _row(["-" * w for _, w, _ in COLUMNS]),
    ]
    for s in result["scenarios"]:
        errors = ", ".join(f"{name} x{count}" for name, count in s["errors"].items()) or "-"
        lines.append(
            _row(
                [
                    s["name"],
                    s["events"],
                    s["succeeded"],
                    s[Outcome.DEAD_LETTERED],
                    s["attempts"],
                    s["duplicates"],
                    s["service_loads"],
                    s["compilations"].get("User", 0),
                    errors,
                ]
            )  # fmt: skip
        )
    return "\n".join(lines)


def scenario_legend(width: int = 88) -> str:
    """What each column of `scenario_table` counts, one column a line."""
    name_width = max(len(name) for name, *_ in COLUMNS[1:])
    lines = ["columns:"]
    for name, _, meaning in COLUMNS[1:]:
        lines += textwrap.wrap(
            meaning,
            width,
            initial_indent=f"  {name:<{name_width}}  ",
            subsequent_indent=" " * (name_width + 4),
        )
    return "\n".join(lines)


def _row(cells) -> str:
    return "  ".join(
        str(cell).ljust(width) if width else str(cell)
        for cell, (_, width, _) in zip(cells, COLUMNS, strict=True)
    ).rstrip()
