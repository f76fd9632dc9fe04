"""Kill-and-restart soak on real Kafka and a MongoDB-wire server.

One fixed worker process consumes a stream of purchases while this runner, at points
drawn from a seeded random generator, does to it what production does:

- SIGKILLs the worker (no commit, no leaving the group) and starts a new one;
- restarts the broker (`scripts/kafka.sh restart`);
- takes the database away (`scripts/mongo.sh stop`) until attempts have failed into
  the DLQ, then brings it back.

Then it replays the DLQ and checks the promise of at-least-once delivery plus the
idempotency guard: every event allocated exactly once (0 lost, 0 duplicates), and
every replayed event succeeded. Progress is read from the workers' report topic; the
verdict comes from the database and the group's committed offsets.
"""

from __future__ import annotations

import json
import logging
import random
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import kafka
from kafka.structs import TopicPartition

from modelguard.bootstrap import open_broker
from modelguard.config import require_database_uri, retry_topic, run_names, scripts_dir
from modelguard.lab.databases import fresh_database
from modelguard.lab.outcomes import AttemptLog, duplicate_allocations
from modelguard.lab.reports import ReportInbox
from modelguard.lab.scenarios import create_topics, publish_events
from modelguard.lab.seed import purchases, seed_academy
from modelguard.lab.worker_processes import WorkerProcesses, worker_command, worker_env
from modelguard.messaging.replay import replay_dead_letters

log = logging.getLogger(__name__)

PARTITIONS = 4
LAG_CHECK_S = 2.0
OUTAGE_BACKLOG = 8


class SoakFailed(RuntimeError):
    """The soak could not finish: a timeout, or a service script that failed."""


@dataclass
class SoakPlan:
    """What to do to the system once how many events have settled, in order.

    Kills and the broker restart land at random points between 5% and 90% of the
    stream. The database outage comes when OUTAGE_BACKLOG events are still to settle
    (the runner holds them back and publishes them once the database is down):
    a failing attempt costs the worker about a second (pymongo's server selection
    waits at least 0.5 s, and a read is retried once), and each event's next attempt
    waits behind every other pending one, so a long backlog would take many minutes
    to run any event out of attempts, while a short one reaches the DLQ in well
    under a minute.
    """

    steps: list[tuple[int, str]]

    @classmethod
    def draw(
        cls, records: int, kills: int, *, seed: int, restart_broker: bool, database_outage: bool
    ) -> SoakPlan:
        rng = random.Random(seed)
        actions = ["kill"] * kills + ["restart-broker"] * restart_broker
        lo, hi = max(1, records // 20), max(2, records * 9 // 10)
        points = rng.sample(range(lo, hi), min(len(actions), hi - lo))
        rng.shuffle(actions)
        steps = list(zip(points, actions, strict=False))
        if database_outage:
            steps.append((max(lo, records - OUTAGE_BACKLOG), "database-outage"))
        return cls(sorted(steps))


@dataclass
class SoakReport:
    records: int
    plan: list[tuple[int, str]]
    kills: int = 0
    broker_restarts: int = 0
    database_outage_s: float = 0.0
    dead_lettered_in_outage: int = 0
    unexpected_exits: int = 0
    processes: int = 0
    attempts: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    dead_lettered_events: int = 0
    replayed: int = 0
    replayed_succeeded: int = 0
    replayed_dead_lettered: int = 0
    allocations: int = 0
    lost: int = 0
    duplicates: int = 0
    timings_s: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return (
            self.lost == 0
            and self.duplicates == 0
            and self.allocations == self.records
            and self.replayed_succeeded == self.dead_lettered_events
            and self.replayed_dead_lettered == 0
        )

    def to_json(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def run_kafka_soak(
    records: int = 2000,
    kills: int = 5,
    *,
    seed: int = 1,
    restart_broker: bool = True,
    database_outage: bool = True,
    min_dead_letters: int = 3,
    max_outage_s: float = 60.0,
    timeout_s: float = 900.0,
    scripts: Path | None = None,
) -> dict:
    """Run the soak; the JSON object says what was done, what came out, and `ok`."""
    started = time.monotonic()
    deadline = started + timeout_s
    uri = require_database_uri()
    plan = SoakPlan.draw(
        records, kills, seed=seed, restart_broker=restart_broker, database_outage=database_outage
    )
    report = SoakReport(records=records, plan=list(plan.steps))
    run_id = f"soak-{uuid.uuid4().hex[:8]}"
    database_name = f"mg_{run_id.replace('-', '_')}"
    database = fresh_database(uri, database_name)
    events = purchases(records, seed_academy(), prefix=run_id)
    topic, group, reports = run_names(run_id)
    stream = AttemptLog([e.event_id for e in events])
    service = _Services(scripts or scripts_dir())
    try:
        with open_broker("kafka") as bus:
            bus.create_topic(reports, 1)
            # The last OUTAGE_BACKLOG events are held back and published once the database
            # is down, so the outage always meets work in hand, however fast the rest went.
            held_back = events[-OUTAGE_BACKLOG:] if database_outage else []
            mark = time.monotonic()
            create_topics(bus, topic, partitions=PARTITIONS)
            publish_events(bus, topic, events[: len(events) - len(held_back)])
            report.timings_s["publish"] = round(time.monotonic() - mark, 1)
            lag = _Lag(bus.bootstrap_servers, group, [topic, retry_topic(topic)])

            def publish_held_back() -> None:
                publish_events(bus, topic, held_back)

            command = worker_command("fixed", topic, group, report_topic=reports)
            with (
                ReportInbox(bus, reports, stream) as inbox,
                WorkerProcesses(command, worker_env(bus, uri, database_name)) as workers,
            ):
                mark = time.monotonic()
                workers.start()
                steps = list(plan.steps)
                while not (not steps and stream.all_settled() and lag.drained()):
                    _check(deadline, f"{stream.settled()} of {records} events settled")
                    inbox.read(0.2)
                    report.unexpected_exits += _keep_one_running(workers)
                    if steps and stream.settled() >= steps[0][0]:
                        _, action = steps.pop(0)
                        _act(action, workers, service, inbox, stream, report, min_dead_letters,
                             max_outage_s, publish_held_back)  # fmt: skip
                report.timings_s["stream"] = round(time.monotonic() - mark, 1)

                mark = time.monotonic()
                dead = sorted({a.event_id for a in stream.attempts if a.outcome == "dead_lettered"})
                replay = AttemptLog(dead)
                inbox.logs.append(replay)
                report.replayed = replay_dead_letters(
                    bus, topic, group=f"replayer.{run_id}", idle_timeout_s=5.0
                )
                while not (replay.all_settled() and lag.drained()):
                    _check(deadline, f"{replay.settled()} of {len(dead)} replayed events settled")
                    inbox.read(0.2)
                    report.unexpected_exits += _keep_one_running(workers)
                report.timings_s["replay"] = round(time.monotonic() - mark, 1)
                report.processes = len(workers.started)
        _tally(report, stream, replay, dead, database, events)
    finally:
        service.ensure_up()
        database.client.drop_database(database_name)
    report.timings_s["total"] = round(time.monotonic() - started, 1)
    return report.to_json()


def _act(
    action, workers, service, inbox, stream, report, min_dead_letters, max_outage_s, on_outage
):
    settled = stream.settled()
    mark = time.monotonic()
    if action == "kill":
        workers.kill(workers.running()[0])
        workers.start()
        report.kills += 1
    elif action == "restart-broker":
        service.run("kafka.sh", "restart")
        report.broker_restarts += 1
    elif action == "database-outage":
        before = _dead_letters(stream)
        service.run("mongo.sh", "stop")
        on_outage()
        while (
            _dead_letters(stream) - before < min_dead_letters
            and time.monotonic() - mark < max_outage_s
        ):
            inbox.read(0.2)
        service.run("mongo.sh", "start")
        report.database_outage_s = round(time.monotonic() - mark, 1)
        report.dead_lettered_in_outage = _dead_letters(stream) - before
    log.info("soak: %s at %d settled took %.1f s", action, settled, time.monotonic() - mark)


def _tally(report, stream, replay, dead, database, events) -> None:
    report.attempts = len(stream.attempts)
    report.errors = dict(Counter(a.error_class for a in stream.attempts if a.error_class))
    report.dead_lettered_events = len(dead)
    final = {}
    for attempt in (a for a in replay.attempts if a.event_id in replay.event_ids):
        final.setdefault(attempt.event_id, attempt.outcome)
        if attempt.outcome in ("succeeded", "dead_lettered"):
            final[attempt.event_id] = attempt.outcome
    report.replayed_succeeded = sum(outcome == "succeeded" for outcome in final.values())
    report.replayed_dead_lettered = sum(outcome == "dead_lettered" for outcome in final.values())
    allocated = set(database["allocations"].distinct("purchase_id"))
    report.allocations = database["allocations"].count_documents({})
    report.lost = sum(e.purchase_id not in allocated for e in events)
    report.duplicates = duplicate_allocations(database)


def _dead_letters(stream: AttemptLog) -> int:
    return sum(a.outcome == "dead_lettered" for a in stream.attempts)


def _keep_one_running(workers: WorkerProcesses) -> int:
    """Start a worker when none runs (one exited by itself); returns 1 if it had to."""
    if workers.running():
        return 0
    exited = workers.started[-1]
    log.error("soak: worker pid %d exited with %s:\n%s", exited.pid, exited.returncode,
              workers.log_tail(exited))  # fmt: skip
    workers.start()
    return 1


def _check(deadline: float, progress: str) -> None:
    if time.monotonic() > deadline:
        raise SoakFailed(f"soak timed out: {progress}")


class _Services:
    """The lab's service scripts; the database is always left running."""

    def __init__(self, scripts: Path) -> None:
        self.scripts = scripts
        self._mongo_stopped = False

    def run(self, script: str, command: str) -> None:
        done = subprocess.run(
            ["bash", str(self.scripts / script), command], capture_output=True, text=True
        )
        if done.returncode != 0:
            raise SoakFailed(f"{script} {command} failed:\n{done.stdout}{done.stderr}")
        if script == "mongo.sh":
            self._mongo_stopped = command == "stop"

    def ensure_up(self) -> None:
        if self._mongo_stopped:
            self.run("mongo.sh", "start")


class _Lag:
    """Records of the group's topics not yet committed, checked at most every LAG_CHECK_S."""

    def __init__(self, servers: str, group: str, topics: list[str]) -> None:
        self.servers, self.group, self.topics = servers, group, topics
        self._checked = 0.0

    def drained(self) -> bool:
        if time.monotonic() - self._checked < LAG_CHECK_S:
            return False
        self._checked = time.monotonic()
        try:
            return group_lag(self.servers, self.group, self.topics) == 0
        except kafka.errors.KafkaError as error:
            log.warning("soak: cannot read the group's lag yet: %r", error)
            return False


def group_lag(servers: str, group: str, topics: list[str]) -> int:
    """Records of `topics` that `group` has not committed past (the lab's plaintext broker).

    A consumer that never subscribes only reads offsets; it does not join the group.
    """
    consumer = kafka.KafkaConsumer(
        bootstrap_servers=servers.split(","), group_id=group, enable_auto_commit=False
    )
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        ends = consumer.end_offsets(partitions)
        return sum(max(0, ends[tp] - (consumer.committed(tp) or 0)) for tp in partitions)
    finally:
        consumer.close(autocommit=False)


# -- the command ------------------------------------------------------------------------------

_FIGURES = (
    "records", "kills", "broker_restarts", "database_outage_s", "dead_lettered_in_outage",
    "dead_lettered_events", "replayed", "replayed_succeeded", "replayed_dead_lettered",
    "allocations", "lost", "duplicates", "unexpected_exits", "processes", "attempts",
)  # fmt: skip


def main(args) -> int:
    """`python -m modelguard soak --broker kafka`: 0 when nothing was lost or applied twice."""
    from modelguard.config import MissingDatabase

    try:
        result = run_kafka_soak(records=args.records, kills=args.kills, seed=args.seed)
    except (MissingDatabase, SoakFailed) as error:
        print(f"modelguard soak: {error}", file=sys.stderr)
        return 2 if isinstance(error, MissingDatabase) else 1
    print(json.dumps(result, indent=2) if args.json else soak_table(result))
    return 0 if result["ok"] else 1


def soak_table(result: dict) -> str:
    lines = [f"kill-and-restart soak on kafka: {result['timings_s']['total']} s", ""]
    lines += [f"  {key:28} {result[key]}" for key in _FIGURES]
    errors = ", ".join(f"{k} x{v}" for k, v in result["errors"].items()) or "-"
    lines += [
        f"  {'errors':28} {errors}",
        f"  {'timings (s)':28} {result['timings_s']}",
        f"  verdict: {'OK' if result['ok'] else 'FAILED'}",
    ]
    return "\n".join(lines)
