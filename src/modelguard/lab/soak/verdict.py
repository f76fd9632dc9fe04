"""The soak's one verdict, for either broker.

A soak is `ok` when no record was lost, nothing was applied twice, no worker process
died of something other than a planned kill, no processed purchase is missing its
allocation, every record ended as its category must (processed, or dead-lettered),
every dead letter carries its reason, and every record the replay put back ended as
it must.
"""

from __future__ import annotations

from collections.abc import Mapping

# Any one of these above zero fails the soak.
FAILURES = ("lost", "duplicates", "crashes", "allocations_missing", "unexpected",
            "dead_letters_without_reason", "replay_unexpected")  # fmt: skip


def failures(result: Mapping[str, object]) -> dict[str, object]:
    """The figures that fail the soak, with their values; `result` is a `SoakFigures`, read
    through a Mapping because the keys come from a list."""
    return {key: result[key] for key in FAILURES if result.get(key)}


def verdict(result: Mapping[str, object]) -> bool:
    return not failures(result)
