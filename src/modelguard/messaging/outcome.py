"""What an attempt came to: the outcome names, defined once.

The values are the strings the reports, the metrics' labels and `scenarios --json`
have always carried, and an `Outcome` is a `str`, so JSON written with one is the
same as before, and a plain string read back from JSON compares equal to it.
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    RETRYING = "retrying"  # failed, and republished for another attempt
    DEAD_LETTERED = "dead_lettered"  # failed for the last time, and sent to the DLQ
    CRASHED = "crashed"  # cut short by a killed worker: it counts and settles nothing
    PENDING = "pending"  # an event that never settled (no attempt ever has this outcome)


TERMINAL = frozenset({Outcome.SUCCEEDED, Outcome.DEAD_LETTERED})
