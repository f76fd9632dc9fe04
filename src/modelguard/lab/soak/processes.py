"""The soak with worker processes on real Kafka and a MongoDB-wire server.

One fixed worker process consumes a stream of purchases, with bad records mixed in
when asked, while the drill, at points drawn from the seed (`plan.SoakPlan`; the
outage also waits until every earlier record is committed and a worker is in the
group), does to it what production does:

- SIGKILLs the worker (no commit, no leaving the group) and starts a new one;
- restarts the broker (`scripts/kafka.sh restart`);
- takes the database away (`scripts/mongo.sh stop`) until attempts have failed into
  the DLQ, then brings it back.

Then it replays the DLQ, when asked, and reads the verdict's figures from the
database (every purchase allocated exactly once), the DLQ (every bad record there,
with its reason) and the workers' reports. Progress is read from the report topic;
the stream is over once the group has committed every record.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from modelguard.config import dlq_topic, retry_topic
from modelguard.lab.kafka_run import KafkaRun
from modelguard.lab.outcomes import AttemptLog
from modelguard.lab.reports import ReportInbox
from modelguard.lab.seed import purchases, seed_academy
from modelguard.lab.soak.fates import mix, publish, tally
from modelguard.lab.soak.parts import (
    DEFAULT_PARTS,
    DEFAULT_RECORDS,
    DEFAULT_SEED,
    DEFAULT_TIMEOUT_S,
    Parts,
)
from modelguard.lab.soak.plan import OUTAGE_BACKLOG, Services, SoakPlan
from modelguard.lab.soak.shapes import ProcessSoak
from modelguard.lab.worker_processes import WorkerProcesses
from modelguard.messaging.outcome import Outcome
from modelguard.messaging.port import Broker, BrokerError
from modelguard.messaging.replay import ReplayPlan, origin_of, replay_dead_letters, summary_of
from modelguard.ops.worker_report import process_name

log = logging.getLogger(__name__)

PARTITIONS = 4
LAG_CHECK_S = 2.0
BAD_SHARE = 10  # one record in this many is bad, when bad records are on


def run_process_soak(
    records: int = DEFAULT_RECORDS,
    seed: int = DEFAULT_SEED,
    parts: Parts = DEFAULT_PARTS,
    *,
    min_dead_letters: int = 3,
    max_outage_s: float = 60.0,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    scripts: Path | None = None,
) -> ProcessSoak:
    """Run the soak; the JSON object says what was done and what came out."""
    started = time.monotonic()
    services = Services(scripts)
    run_id = f"soak-{uuid.uuid4().hex[:8]}"
    with KafkaRun(run_id, drill="soak", timeout_s=timeout_s) as run:
        try:
            return _soak(run, records, seed, parts, services, min_dead_letters, max_outage_s,
                         started)  # fmt: skip
        finally:
            # Before the run leaves: a drill that stopped the database brings it back.
            services.ensure_up()


def _soak(
    run: KafkaRun,
    records: int,
    seed: int,
    parts: Parts,
    services: Services,
    min_dead_letters: int,
    max_outage_s: float,
    started: float,
) -> ProcessSoak:
    rng = random.Random(seed)
    bad_count = records // BAD_SHARE if parts.bad_records else 0
    courses = seed_academy()
    events = purchases(records - bad_count, courses, prefix=run.run_id)
    # Bad records carry ids of their own: one sharing a good event's id would be skipped
    # as a duplicate once that event was applied.
    broken = purchases(bad_count, courses, prefix=f"{run.run_id}-bad")
    stream = mix(rng, events, broken)
    plan = SoakPlan.draw(len(events), parts.kills, seed=seed,
                         restart_broker=parts.restart_broker,
                         database_outage=parts.database_outage)  # fmt: skip
    bus, topic = run.bus, run.topic
    settled = AttemptLog([e.event_id for e in events])
    drill = _Drill(services, plan, min_dead_letters, max_outage_s)
    timings: dict[str, float] = {}
    run.create_topics(PARTITIONS)
    # The last OUTAGE_BACKLOG events are held back and published once the database
    # is down, so the outage always meets work in hand, however fast the rest went.
    held = {e.purchase_id for e in events[-OUTAGE_BACKLOG:]} if parts.database_outage else set()
    first = [o for o in stream if o.outgoing.purchase_id not in held]
    rest = [o for o in stream if o.outgoing.purchase_id in held]
    mark = time.monotonic()
    publish(bus, topic, first)
    timings["publish"] = round(time.monotonic() - mark, 1)
    lag = _Lag(bus, run.group, [topic, retry_topic(topic)])
    with run.open_inbox(settled) as inbox, run.workers() as workers:
        mark = time.monotonic()
        workers.start()
        drill.on_outage = lambda: publish(bus, topic, rest)
        # Not the group's members: a SIGKILLed worker stays one until its session
        # times out. A running worker that has reported has initialized.
        drill.worker_ready = lambda: any(
            inbox.has_reported(process_name(p.pid)) for p in workers.running()
        )
        steps = list(plan.steps)

        def keep_running() -> None:
            drill.unexpected_exits += _keep_one_running(workers)

        def step() -> None:
            keep_running()
            due = steps and settled.settled() >= steps[0][0]
            if due and _ready_for(steps[0][1], lag):
                drill.act(steps.pop(0)[1], workers, inbox, settled)

        run.until(
            lambda: not steps and settled.all_settled() and lag.drained(),
            lambda: f"{settled.settled()} of {len(events)} events settled",
            each=step,
        )
        timings["stream"] = round(time.monotonic() - mark, 1)

        mark = time.monotonic()
        skips = ReplayPlan(topic, group=run.replayer)
        replay, replayed = _replay(run, inbox, settled, lag, keep_running, parts.replay, skips)
        timings["replay"] = round(time.monotonic() - mark, 1)
        processes = len(workers.started)
    dead_letters = list(bus.scan(dlq_topic(topic)))
    result = tally(stream, events, settled, replay, dead_letters, run.database)
    duration = time.monotonic() - started
    timings["total"] = round(duration, 1)
    return ProcessSoak(
        broker="kafka",
        seed=seed,
        records=records,
        parts=parts.to_json(),
        **result,
        replayed=replayed,
        replay_skipped=summary_of(skips),
        run_id=run.run_id,
        topic=topic,
        database=run.database_name,
        groups=[run.group, run.replayer] if parts.replay else [run.group],
        dlq_events=len({origin_of(r) for r in dead_letters}),
        kills=drill.kills,
        broker_restarts=drill.broker_restarts,
        database_outage_s=drill.database_outage_s,
        dead_lettered_in_outage=drill.dead_lettered_in_outage,
        crashes=drill.unexpected_exits,
        processes=processes,
        plan=plan.steps,
        timings_s=timings,
        duration_s=round(duration, 2),
        records_per_s=round(records / duration, 1),
    )


def _replay(
    run: KafkaRun,
    inbox: ReportInbox,
    settled: AttemptLog,
    lag: _Lag,
    keep_running: Callable[[], None],
    replay: bool,
    tally: ReplayPlan,
) -> tuple[AttemptLog, int]:
    """The good events dead-lettered so far, replayed from the DLQ when `replay` is on
    and followed until they settle again; their log, and how many records went back."""
    valid = set(settled.event_ids)
    dead = sorted(
        {a.event_id for a in settled.attempts
         if a.outcome == Outcome.DEAD_LETTERED and a.event_id in valid}
    )  # fmt: skip
    replayed_log = AttemptLog(dead)
    if not replay:
        return replayed_log, 0
    inbox.logs.append(replayed_log)
    # The replay leaves out the poison records (bad payloads: a replay could only fail
    # them again, and each would come round on every later replay) and reads the DLQ to
    # its end, so its group ends with nothing left to read.
    there = sum(1 for _ in run.bus.scan(dlq_topic(run.topic)))
    replayed = replay_dead_letters(
        run.bus, run.topic, group=run.replayer, idle_timeout_s=5.0, read=there, tally=tally
    )
    run.until(
        lambda: replayed_log.all_settled() and lag.drained(),
        lambda: f"{replayed_log.settled()} of {len(dead)} replayed settled",
        each=keep_running,
    )
    return replayed_log, replayed


class _Drill:
    """Carries out the plan's steps, and counts what it did."""

    def __init__(
        self, services: Services, plan: SoakPlan, min_dead_letters: int, max_outage_s: float
    ) -> None:
        self.services, self.plan = services, plan
        self.min_dead_letters, self.max_outage_s = min_dead_letters, max_outage_s
        self.on_outage: Callable[[], None] = lambda: None
        self.worker_ready: Callable[[], bool] = lambda: True
        self.kills = self.broker_restarts = self.unexpected_exits = 0
        self.dead_lettered_in_outage = 0
        self.database_outage_s = 0.0

    def act(
        self, action: str, workers: WorkerProcesses, inbox: ReportInbox, stream: AttemptLog
    ) -> None:
        settled = stream.settled()
        mark = time.monotonic()
        if action == "kill":
            workers.kill(workers.running()[0])
            workers.start()
            self.kills += 1
        elif action == "restart-broker":
            self.services.run("kafka.sh", "restart")
            self.broker_restarts += 1
        elif action == "database-outage":
            # The count of settled events comes from reports a whole batch at a time, so it
            # can pass the outage's point while the worker started by a kill is still
            # starting up. That worker would wait out the outage in its start-up (it needs
            # the database to initialize) and meet none of it: wait until one is ready.
            while not self.worker_ready() and time.monotonic() - mark < self.max_outage_s:
                inbox.read(0.2)
            mark = time.monotonic()
            before = _dead_letters(stream)
            self.services.run("mongo.sh", "stop")
            self.on_outage()
            while (
                _dead_letters(stream) - before < self.min_dead_letters
                and time.monotonic() - mark < self.max_outage_s
            ):
                inbox.read(0.2)
            self.services.run("mongo.sh", "start")
            self.database_outage_s = round(time.monotonic() - mark, 1)
            self.dead_lettered_in_outage = _dead_letters(stream) - before
        log.info("soak: %s at %d settled took %.1f s", action, settled, time.monotonic() - mark)


def _ready_for(action: str, lag: _Lag) -> bool:
    """Whether `action` may start now. The outage waits until everything published before
    it is committed: bad records still being retried would take the worker's time from
    the held-back events it must run out of attempts."""
    return action != "database-outage" or lag.drained()


def _dead_letters(stream: AttemptLog) -> int:
    """Good events dead-lettered so far (bad records are not the outage's doing)."""
    valid = set(stream.event_ids)
    return sum(a.outcome == Outcome.DEAD_LETTERED and a.event_id in valid for a in stream.attempts)


def _keep_one_running(workers: WorkerProcesses) -> int:
    """Start a worker when none runs (one exited by itself); returns 1 if it had to."""
    if workers.running():
        return 0
    exited = workers.started[-1]
    log.error("soak: worker pid %d exited with %s:\n%s", exited.pid, exited.returncode,
              workers.log_tail(exited))  # fmt: skip
    workers.start()
    return 1


class _Lag:
    """Records of the group's topics not yet committed, checked at most every LAG_CHECK_S."""

    def __init__(self, bus: Broker, group: str, topics: list[str]) -> None:
        self.bus, self.group, self.topics = bus, group, topics
        self._checked = 0.0

    def drained(self) -> bool:
        if time.monotonic() - self._checked < LAG_CHECK_S:
            return False
        self._checked = time.monotonic()
        try:
            return self.bus.lag(self.group, *self.topics) == 0
        except BrokerError as error:
            log.warning("soak: cannot read the group's lag yet: %r", error)
            return False
