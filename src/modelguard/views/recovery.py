"""The embedded `replay-dlq` run, told in lines a newcomer can read without the code.

`lab.scenarios.flood_and_replay` returns one dict (printed as it is by `--json`);
this says what each of its numbers is: the flood the buggy worker left, the
replay after the fixed worker is deployed, and what the database holds after it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelguard.registry.errors import wrap

# A line's continuation starts under the text after its label ("replay:  ").
_HANG = " " * 9


def recovery_report(outcome: Mapping[str, Any]) -> str:
    """The flood, the replay (or the plan of it, in a dry run) and the end state."""
    lines = [
        f"flood:   the buggy worker got {outcome['events']} purchase(s); "
        f"{outcome['dead_lettered_before']} ended in the DLQ",
        f"         failed attempts by error class: {_counts(outcome['errors_before'])}",
    ]
    if outcome.get("dry_run"):
        lines += [
            f"dry run: would replay {outcome['would_replay']} record(s) for "
            f"{outcome['would_replay_events']} event(s)",
            f"         {_left_out(outcome['would_skip'], outcome['would_skip_poison'])}",
            "         nothing was published or committed",
        ]
        return _lines(lines)
    replayed = outcome["replayed"]
    lines += [
        f"replay:  the fixed worker deployed, {replayed} record(s) for "
        f"{outcome['replayed_events']} event(s) put back on the topic",
        f"         {_left_out(outcome['skipped'], outcome['skipped_poison'])}",
        f"after:   {outcome['succeeded_after_replay']} of {outcome['replayed_events']} "
        "replayed event(s) "
        f"allocated, {outcome['dead_lettered_after_replay']} dead-lettered again; "
        f"failed attempts: {_counts(outcome['errors_after'])}",
        f"state:   {outcome['allocations']} allocation(s) for {outcome['events']} purchase(s), "
        f"{outcome['duplicates']} purchase(s) allocated twice",
    ]
    return _lines(lines)


def _lines(lines: list[str]) -> str:
    return "\n".join(wrap(line, width=100, hang=_HANG) for line in lines)


def _left_out(not_chosen: Mapping[str, int], poison: Mapping[str, int]) -> str:
    """The records a replay leaves out, by reason: poison records (the payload itself
    is the fault) unless --only names their class, and classes --only does not name."""
    if not not_chosen and not poison:
        return "left out: none"
    parts = []
    if poison:
        parts.append(f"left out as poison (the payload itself is the fault): {_counts(poison)}")
    if not_chosen:
        parts.append(f"left out, since --only named other classes: {_counts(not_chosen)}")
    return "; ".join(parts)


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{name} x{count}" for name, count in counts.items()) or "none"
