"""What a worker process tells the runner that started it, and under which name.

It decides the one JSON form of a report on the report topic, written by the worker
(`ops.worker_runtime`) and read by the runner (`lab.reports`), so the two cannot
drift apart:

- `kind`: "started" once the worker has initialized on the database, "attempt" for
  every settled delivery, "handed_back" for a record the broker would not let it
  settle (a commit refused after the group moved the partition on);
- `process`: the worker's name, `process_name(pid)`, which a runner that knows the
  pid it started can work out for itself;
- the process's totals at that moment: model compilations, service loads and its
  Prometheus samples, so the latest report of each process is its tally.
"""

from __future__ import annotations

import json
import socket
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from modelguard.messaging.consumer import Attempt
from modelguard.messaging.outcome import Outcome

ReportKind = Literal["started", "attempt", "handed_back"]


def process_name(pid: int) -> str:
    """The name the worker process with `pid` on this host reports and joins under."""
    return f"{socket.gethostname()}:{pid}"


@dataclass(frozen=True)
class HandedBack:
    """A record the worker held and was not let settle; the group redelivers it."""

    topic: str
    partition: int
    offset: int
    event_id: str | None  # None when the record is not a parseable event
    error_class: str  # why: CommitFailedError after a rebalance, or a failed publish


@dataclass(frozen=True)
class WorkerReport:
    kind: ReportKind
    process: str
    compilations: dict[str, int]
    service_loads: int
    metrics: dict[str, float] = field(default_factory=dict)
    attempt: Attempt | None = None  # with kind "attempt"
    record: HandedBack | None = None  # with kind "handed_back"

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self)).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> WorkerReport:
        raw: dict[str, Any] = json.loads(data)
        attempt, record = raw.get("attempt"), raw.get("record")
        return cls(
            kind=raw["kind"],
            process=raw["process"],
            compilations=raw["compilations"],
            service_loads=raw["service_loads"],
            metrics=raw.get("metrics") or {},
            attempt=None if attempt is None else _attempt(attempt),
            record=None if record is None else HandedBack(**record),
        )


def _attempt(raw: dict[str, Any]) -> Attempt:
    return Attempt(**{**raw, "outcome": Outcome(raw["outcome"])})
