"""The zombie drill on real Kafka: a worker frozen mid-record for longer than its session.

Two fixed worker processes share one consumer group. In each round this runner
publishes a share of the purchases; the workers stall on one of them (its first
attempt waits in the handler after the idempotency guard's check, before the
allocation). When a worker logs that stall, the runner SIGSTOPs it: no polls, no
heartbeats. Once the session timeout has passed, the group has dropped it and given
its partitions to the other worker, which reads the record again from the last
commit and allocates it. Then the runner SIGCONTs the frozen worker, which wakes
still holding the record: it finishes the handler (the unique index on the purchase
makes its allocation a no-op), and its commit is refused, because the partition is
someone else's now. It joins the group again and carries on.

The run (its topics, database, workers, report inbox and deadline) is a `KafkaRun`.
The figures come from the workers' reports (commits refused, records handled by more
than one process) and from the database (allocations, duplicates, lost purchases).
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any, TypedDict, cast

from modelguard.config import retry_topic
from modelguard.lab.fault_arguments import faults_argument
from modelguard.lab.kafka_run import KafkaRun, RunTimedOut
from modelguard.lab.outcomes import AttemptLog, duplicate_allocations
from modelguard.lab.reports import ReportInbox
from modelguard.lab.scenarios import publish_events
from modelguard.lab.seed import purchases, seed_academy
from modelguard.lab.worker_processes import WorkerProcesses
from modelguard.messaging.events import PurchaseCreated
from modelguard.ops.worker_report import process_name

log = logging.getLogger(__name__)

# The broker's smallest allowed session (group.min.session.timeout.ms), so the drill
# is as short as Kafka allows; the workers get it through KAFKA_SESSION_TIMEOUT_MS.
SESSION_TIMEOUT_MS = 6_000
# Long enough for the runner to read the stall from the worker's log and freeze it
# mid-record on a busy machine.
STALL_S = 8.0
WORKERS = 2
PARTITIONS = 4


class ZombieJson(TypedDict):
    """`ZombieReport.to_json()`: one key per field, and the verdict."""

    records: int
    zombies: int
    session_timeout_ms: int
    frozen_s: list[float]
    commits_refused: int
    handed_back: int
    redelivered: int
    allocations: int
    duplicates: int
    lost: int
    processes: int
    attempts: int
    duration_s: float
    ok: bool


@dataclass
class ZombieReport:
    records: int
    zombies: int
    session_timeout_ms: int
    frozen_s: list[float] = field(default_factory=list)
    commits_refused: int = 0
    handed_back: int = 0
    redelivered: int = 0
    allocations: int = 0
    duplicates: int = 0
    lost: int = 0
    processes: int = 0
    attempts: int = 0
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        return (
            self.commits_refused >= self.zombies
            and self.redelivered >= self.zombies
            and self.duplicates == 0
            and self.lost == 0
            and self.allocations == self.records
        )

    def to_json(self) -> ZombieJson:
        """The JSON object of `soak --broker kafka --zombies N --json`."""
        return cast(ZombieJson, {**asdict(self), "ok": self.ok})


def run_zombie_drill(
    records: int = 200,
    zombies: int = 1,
    *,
    session_timeout_ms: int = SESSION_TIMEOUT_MS,
    timeout_s: float = 600.0,
) -> ZombieReport:
    """Freeze a worker mid-record `zombies` times; the report says what came out."""
    if records < zombies or zombies < 1:
        raise ValueError(f"need at least one record per zombie: {records=}, {zombies=}")
    started = time.monotonic()
    report = ZombieReport(records, zombies, session_timeout_ms)
    run_id = f"zombie-{uuid.uuid4().hex[:8]}"
    with KafkaRun(run_id, drill="zombie drill", timeout_s=timeout_s) as run:
        events = purchases(records, seed_academy(), prefix=run_id)
        shares = [events[i * records // zombies : (i + 1) * records // zombies]
                  for i in range(zombies)]  # fmt: skip
        stalled = [share[len(share) // 2] for share in shares]
        stream = AttemptLog([e.event_id for e in events])
        faults = faults_argument({}, stall_s={e.event_id: STALL_S for e in stalled})
        run.create_topics(PARTITIONS)
        session = {"KAFKA_SESSION_TIMEOUT_MS": str(session_timeout_ms)}
        with run.open_inbox(stream) as inbox, run.workers(faults=faults, env=session) as workers:
            for _ in range(WORKERS):
                workers.start()
            run.wait_for_group(WORKERS, 0.5)
            for share, victim in zip(shares, stalled, strict=True):
                publish_events(run.bus, run.topic, share)
                zombie = _wait_for_stall(run, workers, victim.event_id)
                report.frozen_s.append(
                    _freeze_until_redone(run, workers, zombie, victim, session_timeout_ms / 1000)
                )
                run.until(
                    partial(_handed_back, inbox, process_name(zombie.pid), victim.event_id),
                    f"{victim.event_id}: the woken worker never reported",
                )
            run.until(
                lambda: (
                    stream.all_settled()
                    and run.bus.lag(run.group, run.topic, retry_topic(run.topic)) == 0
                ),
                lambda: f"{stream.settled()} of {records} events settled",
                0.5,
            )
            report.processes = len(workers.started)
        _tally(report, stream, inbox, run.database, events)
    report.duration_s = round(time.monotonic() - started, 1)
    return report


def _wait_for_stall(
    run: KafkaRun, workers: WorkerProcesses, event_id: str
) -> subprocess.Popen[bytes]:
    """The worker whose log says it is stalling on `event_id`, as soon as it says so."""
    line = f"stalling {event_id} "
    while True:
        for process in workers.running():
            if line in workers.log_text(process):
                return process
        run.check(f"no worker reached {event_id}")
        run.wait(0.1)


def _handed_back(inbox: ReportInbox, process: str, event_id: str) -> bool:
    """Whether worker `process` has reported that it was not let settle `event_id`."""
    return any(name == process and r.event_id == event_id for name, r in inbox.handed_back)


def _freeze_until_redone(
    run: KafkaRun,
    workers: WorkerProcesses,
    zombie: subprocess.Popen[bytes],
    victim: PurchaseCreated,
    session_s: float,
) -> float:
    """SIGSTOP `zombie` until its session is over and another worker allocated `victim`;
    then SIGCONT it. Returns how long it was frozen."""
    frozen_at = time.monotonic()
    allocations = run.database["allocations"]
    workers.freeze(zombie)
    try:
        run.until(
            lambda: (
                time.monotonic() - frozen_at > session_s
                and bool(allocations.count_documents({"purchase_id": victim.purchase_id}))
            ),
            f"{victim.event_id} was not redone while its worker was frozen",
        )
    finally:
        workers.thaw(zombie)
    frozen_s = round(time.monotonic() - frozen_at, 1)
    log.info("zombie drill: pid %d frozen %.1f s holding %s", zombie.pid, frozen_s,
             victim.event_id)  # fmt: skip
    return frozen_s


def _tally(
    report: ZombieReport,
    stream: AttemptLog,
    inbox: ReportInbox,
    database: Any,
    events: list[PurchaseCreated],
) -> None:
    report.attempts = len(stream.attempts)
    report.handed_back = len(inbox.handed_back)
    report.commits_refused = sum(
        record.error_class == "CommitFailedError" for _, record in inbox.handed_back
    )
    handlers: dict[str, set[str]] = {}
    for attempt in stream.attempts:
        handlers.setdefault(attempt.event_id or "", set()).add(attempt.consumer)
    report.redelivered = sum(len(names) > 1 for names in handlers.values())
    allocated = set(database["allocations"].distinct("purchase_id"))
    report.allocations = database["allocations"].count_documents({})
    report.lost = sum(e.purchase_id not in allocated for e in events)
    report.duplicates = duplicate_allocations(database)


# -- the command ------------------------------------------------------------------------------

_FIGURES = (
    "records", "zombies", "session_timeout_ms", "frozen_s", "commits_refused",
    "handed_back", "redelivered", "allocations", "duplicates", "lost", "processes",
    "attempts",
)  # fmt: skip


def main(args: Any) -> int:
    """`python -m modelguard soak --broker kafka --zombies N`: 0 when the group shrugged
    off every zombie: commits refused, records redone elsewhere, none lost or doubled."""
    from modelguard.config import MissingDatabase

    try:
        report = run_zombie_drill(records=args.records, zombies=args.zombies)
    except (MissingDatabase, RunTimedOut) as error:
        print(f"modelguard soak: {error}", file=sys.stderr)
        return 2 if isinstance(error, MissingDatabase) else 1
    print(json.dumps(report.to_json(), indent=2) if args.json else zombie_table(report))
    return 0 if report.ok else 1


def zombie_table(report: ZombieReport) -> str:
    lines = [f"zombie drill on kafka: {report.duration_s} s", ""]
    lines += [f"  {key:28} {getattr(report, key)}" for key in _FIGURES]
    lines.append(f"  verdict: {'OK' if report.ok else 'FAILED'}")
    return "\n".join(lines)
