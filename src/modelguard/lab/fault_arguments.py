"""A fault plan on a worker's command line: the `--faults` value, written and read.

It decides the one text form a `FaultPlan` travels in between processes: a JSON
object with `fail_attempts` (event id to how many of its first attempts fail) and
`stall_s` (event id to how long its first attempt is held), as given or in a file.
Anything else is refused with the shape it should have had. Crashes are not part of
it: a worker process is crashed from outside, by SIGKILL.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from modelguard.lab.faults import FaultPlan

_SHAPE = (
    'a fault plan is {"fail_attempts": {"EVENT_ID": ATTEMPTS, ...}, '
    '"stall_s": {"EVENT_ID": SECONDS, ...}}; crashes are a SIGKILL from outside'
)


class BadFaultPlan(ValueError):
    """A --faults value that is not a fault plan."""


def faults_argument(
    fail_attempts: Mapping[str, int], stall_s: Mapping[str, float] | None = None
) -> str:
    """The --faults value that fails attempts 1..k of each event in `fail_attempts` and
    holds attempt 1 of each event in `stall_s` for that many seconds."""
    plan: dict[str, dict[str, Any]] = {
        "fail_attempts": {e: k for e, k in fail_attempts.items() if k}
    }
    if stall_s:
        plan["stall_s"] = dict(stall_s)
    return json.dumps(plan)


def parse_faults(text: str) -> FaultPlan:
    """The FaultPlan in `text`, JSON or the path of a JSON file; BadFaultPlan if none."""
    try:
        source = text if text.lstrip().startswith("{") else Path(text).read_text()
        data = json.loads(source)
    except (OSError, ValueError) as error:
        raise BadFaultPlan(f"cannot read a fault plan from {text!r}: {error}") from None
    fail: Any = data.get("fail_attempts") if isinstance(data, dict) else None
    stall: Any = data.get("stall_s", {}) if isinstance(data, dict) else None
    valid = (
        isinstance(fail, dict)
        and all(isinstance(k, str) and isinstance(n, int) and n >= 0 for k, n in fail.items())
        and isinstance(stall, dict)
        and all(
            isinstance(k, str) and isinstance(s, int | float) and s >= 0 for k, s in stall.items()
        )
    )
    if not valid or not set(data) <= {"fail_attempts", "stall_s"}:
        raise BadFaultPlan(_SHAPE)
    return FaultPlan(fail_attempts=fail, stall_s=stall)
