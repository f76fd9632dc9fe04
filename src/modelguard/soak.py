"""Reliability soak: thousands of records, good, bad and repeated, and nothing lost.

It decides:

- what the stream holds: valid PURCHASE_CREATED events, each published 1 to 5
  times (some copies keyed by purchase, so one consumer sees them in turn, some
  keyless and adjacent, so several consumers handle them at once), mixed with
  bad records of every kind the worker must survive (`BAD_CATEGORIES`), and
  events that reuse another event's id; all drawn from one seeded
  `random.Random`, so a seed names a stream;
- how a record is accounted for: every published record carries a `soak.record`
  header, which the consumer keeps on retries and dead letters, so each record's
  fate is read from the consumers' reports and the DLQ topic rather than
  inferred: processed (the handler succeeded, allocating or skipping a
  duplicate), dead-lettered (in the DLQ with an error class and message) or lost;
- what a crash is: an exception other than an injected kill escaping a consumer,
  one that would take the worker process down. A supervisor would restart the
  process; the soak does the same, and counts it;
- kills: `kills` simulated process deaths (`WorkerCrash` after a chosen
  attempt), each followed by a new process, as in the worker_restart scenario;
- rounds: mongomock scans a whole collection for every query and unique check,
  so one ever-growing database makes the run quadratic. The stream runs in
  rounds of `round_size` records through the same worker process; after each
  round is checked (allocations, duplicates), its allocations and processed
  event ids are removed.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from modelguard.academy.workers.allocation import AllocationWorker
from modelguard.bootstrap import fresh_process, open_broker
from modelguard.faults import FaultPlan, WorkerCrash
from modelguard.messaging.broker import Broker
from modelguard.messaging.consumer import (
    Attempt,
    Handler,
    Headers,
    RetryingConsumer,
    dlq_topic,
    retry_topic,
)
from modelguard.messaging.events import MAX_PAYLOAD_BYTES, PurchaseCreated
from modelguard.messaging.idempotency import COLLECTION
from modelguard.messaging.policy import MAX_ATTEMPTS
from modelguard.scenarios import _clean_database, _duplicate_allocations
from modelguard.seed import seed_academy

RECORD_ID = "soak.record"
BAD_CATEGORIES = (
    "not_json",
    "wrong_types",
    "missing_fields",
    "unknown_type",
    "huge",
    "invalid_utf8",
    "nul_bytes",
    "deep_nesting",
    "unknown_course",
)
# Categories whose records must end processed; every other record must be dead-lettered.
PROCESSED = frozenset({"valid", "duplicated_event_id"})
_ID_FIELDS = ("event_id", "purchase_id", "user_id", "course_id")


@dataclass(frozen=True)
class Outgoing:
    """One record to publish, and what the soak expects of it."""

    value: bytes
    key: bytes | None
    category: str
    purchase_id: str | None = None  # set when the record must leave this purchase allocated


# -- the stream ---------------------------------------------------------------------------


class Stream:
    """Rounds of records drawn from one seeded generator."""

    def __init__(
        self, rng: random.Random, course_ids: Sequence[str], *, prefix: str, failing: float = 0.0
    ) -> None:
        self.rng, self.course_ids, self.prefix, self.failing = (
            rng,
            list(course_ids),
            prefix,
            failing,
        )
        self.fail_attempts: dict[str, int] = {}  # event id -> attempts that fail by injection
        self._numbers = iter(range(1, 10**9))

    def round(self, size: int, *, valid_share: float = 0.35) -> list[Outgoing]:
        groups: list[list[Outgoing]] = []
        valid: list[PurchaseCreated] = []
        count = 0
        while count < size:
            roll = self.rng.random()
            if roll < valid_share:
                group = self._valid(valid)
            elif roll < valid_share + 0.05 and valid:
                group = [self._reused_id(self.rng.choice(valid))]
            else:
                group = [self.bad(self.rng.choice(BAD_CATEGORIES))]
            # Keyed copies scatter over the round; keyless copies stay adjacent, so they
            # land on neighbouring partitions and meet at different consumers at once.
            groups.extend([group] if group[0].key is None else [[r] for r in group])
            count += len(group)
        self.rng.shuffle(groups)
        return [record for group in groups for record in group][:size]

    def _valid(self, valid: list[PurchaseCreated]) -> list[Outgoing]:
        event = self._event()
        copies = self.rng.randint(1, 5)
        if self.rng.random() < self.failing:
            self.fail_attempts[event.event_id] = MAX_ATTEMPTS
            return [Outgoing(event.to_bytes(), event.purchase_id.encode(), "failing")] * copies
        valid.append(event)
        concurrent = copies > 1 and self.rng.random() < 0.3
        key = None if concurrent else event.purchase_id.encode()
        return [Outgoing(event.to_bytes(), key, "valid", event.purchase_id)] * copies

    def _reused_id(self, original: PurchaseCreated) -> Outgoing:
        """Another event under an id already used: the idempotency guard must skip one."""
        event = PurchaseCreated(
            event_id=original.event_id,
            purchase_id=original.purchase_id,
            user_id=f"{original.user_id}-again",
            course_id=original.course_id,
        )
        return Outgoing(event.to_bytes(), event.purchase_id.encode(), "duplicated_event_id",
                        event.purchase_id)  # fmt: skip

    def _event(self, kind: str = "evt") -> PurchaseCreated:
        n = next(self._numbers)
        return PurchaseCreated(
            event_id=f"{self.prefix}-{kind}-{n:06d}",
            purchase_id=f"{self.prefix}-pur-{n:06d}",
            user_id=f"student-{n:06d}",
            course_id=self.rng.choice(self.course_ids),
        )

    def bad(self, category: str) -> Outgoing:
        """One record of a bad category; it can never be handled, so it must be dead-lettered."""
        data = {"type": "PURCHASE_CREATED", **_fields(self._event("bad"))}
        key = data["purchase_id"].encode()
        return Outgoing(getattr(self, f"_{category}")(data), key, category)

    def _not_json(self, data: dict) -> bytes:
        whole = _dump(data)
        form = self.rng.randrange(6)
        if form == 0:
            return b""
        if form == 1:  # cut short
            return whole[: self.rng.randrange(1, len(whole))]
        if form == 2:  # a Python repr, not JSON
            return whole.replace(b'"', b"'")
        if form == 3:  # trailing garbage
            return whole + b"}"
        if form == 4:
            return b"PURCHASE_CREATED " + data["event_id"].encode()
        return bytes(
            self.rng.choice(b"{}[]:,\"' abcxyz019") for _ in range(self.rng.randint(1, 80))
        )

    def _wrong_types(self, data: dict) -> bytes:
        if self.rng.random() < 0.2:
            return json.dumps(
                self.rng.choice([[data], "PURCHASE_CREATED", 42, None, True])
            ).encode()
        data[self.rng.choice(_ID_FIELDS)] = self.rng.choice(
            [123, 4.5, None, True, [], ["x"], {"$gt": ""}, {"$ne": None}]
        )
        return _dump(data)

    def _missing_fields(self, data: dict) -> bytes:
        for name in self.rng.sample(_ID_FIELDS, self.rng.randint(1, len(_ID_FIELDS))):
            del data[name]
        return _dump(data)

    def _unknown_type(self, data: dict) -> bytes:
        if self.rng.random() < 0.2:
            del data["type"]
        else:
            data["type"] = self.rng.choice(
                ["PURCHASE_DELETED", "purchase_created", "PURCHASE_CREATED ", "", None, 7, ["x"]]
            )
        return _dump(data)

    def _huge(self, data: dict) -> bytes:
        size = MAX_PAYLOAD_BYTES + self.rng.randint(1, 32 * 1024)
        if self.rng.random() < 0.2:
            return b"\0" * size
        data[self.rng.choice(("padding", "user_id"))] = "x" * size
        return _dump(data)

    def _invalid_utf8(self, data: dict) -> bytes:
        broken = self.rng.choice(
            [b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xc0\xaf", b"\x80", b"\xf8\x88"]
        )
        data[self.rng.choice(_ID_FIELDS)] = "ab@@cd"
        return _dump(data).replace(b"@@", broken)

    def _nul_bytes(self, data: dict) -> bytes:
        name = self.rng.choice(_ID_FIELDS)
        form = self.rng.randrange(3)
        if form == 0:  # an escaped NUL inside an id
            data[name] = data[name][:3] + "\0" + data[name][3:]
            return _dump(data)
        if form == 1:  # a raw NUL byte inside a JSON string
            data[name] = "ab@@cd"
            return _dump(data).replace(b"@@", b"\0")
        return _dump(data) + b"\0"  # a C-string terminator after the object

    def _deep_nesting(self, data: dict) -> bytes:
        depth = self.rng.randint(1_000, 30_000)
        if self.rng.random() < 0.5:
            return b"[" * depth + b"]" * depth
        data["event_id"] = "@@"
        return _dump(data).replace(b'"@@"', b"[" * depth + b"]" * depth)

    def _unknown_course(self, data: dict) -> bytes:
        # Well formed, so only the handler finds out: retried, then dead-lettered.
        data["course_id"] = self.rng.choice([f"{self.rng.getrandbits(96):024x}", "no-such-course"])
        return _dump(data)


def _fields(event: PurchaseCreated) -> dict:
    return {name: getattr(event, name) for name in _ID_FIELDS}


def _dump(data: dict) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


# -- the worker process and its consumers -------------------------------------------------


class Ledger:
    """Which published records have settled, from the consumers' reports; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.succeeded: set[bytes] = set()
        self.reported_dead: set[bytes] = set()
        self.outcomes: Counter[str] = Counter()
        self.handled_by: dict[str, set[str]] = {}  # event id -> consumers that handled it
        self._pending: set[bytes] = set()

    def expect(self, record_ids: Sequence[bytes]) -> None:
        with self._lock:
            self._pending.update(record_ids)

    def report(self, record_id: bytes | None, attempt: Attempt) -> None:
        with self._lock:
            self.outcomes[attempt.outcome] += 1
            if attempt.outcome == "succeeded":
                self.succeeded.add(record_id)
                self.handled_by.setdefault(attempt.event_id, set()).add(attempt.consumer)
            elif attempt.outcome == "dead_lettered":
                self.reported_dead.add(record_id)
            else:
                return
            self._pending.discard(record_id)

    def settled(self) -> bool:
        return not self._pending

    def settled_count(self) -> int:
        with self._lock:
            return len(self.succeeded | self.reported_dead)


class AccountedConsumer(RetryingConsumer):
    """A RetryingConsumer whose reports name the published record they are about."""

    def __init__(self, *args, ledger: Ledger, **kwargs) -> None:
        self._ledger = ledger
        self._record_id: bytes | None = None
        super().__init__(*args, on_attempt=self._tell_ledger, **kwargs)

    def handle(self, record) -> None:
        self._record_id = record.header(RECORD_ID)
        super().handle(record)

    def _tell_ledger(self, attempt: Attempt) -> None:
        self._ledger.report(self._record_id, attempt)


class WorkerProcess:
    """The fixed allocation worker as one OS process runs it; `start()` is a new process."""

    def __init__(
        self,
        fail_attempts: dict[str, int],
        kill_after: list[int],
        wrap_handler: Callable[[Handler], Handler] | None = None,
    ) -> None:
        self.fail_attempts = fail_attempts
        self.kill_after = list(kill_after)  # attempts each next process makes before it dies
        self.wrap_handler = wrap_handler
        self.results: Counter[str] = Counter()
        self.starts = 0
        self.handler: Handler | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        fresh_process()  # a new process has loaded no model and no service
        kill = self.kill_after.pop(0) if self.kill_after else None
        worker = AllocationWorker(
            "fixed", faults=FaultPlan(fail_attempts=self.fail_attempts, crash_after_attempts=kill)
        )
        worker.initialize()
        handler = self._counting(worker.allocate_trainer)
        self.handler = self.wrap_handler(handler) if self.wrap_handler else handler
        self.starts += 1

    def stop(self) -> None:
        self.handler = None

    def _counting(self, allocate: Handler) -> Handler:
        def handle(event: PurchaseCreated, attempt: int) -> object:
            result = allocate(event, attempt)
            with self._lock:
                self.results[str(result)] += 1
            return result

        return handle


@dataclass
class Figures:
    """What happened to every record, by category."""

    categories: dict[str, Counter] = field(default_factory=dict)
    reasons: Counter = field(default_factory=Counter)
    dead_letters: int = 0
    dead_letters_without_reason: int = 0
    duplicates: int = 0
    purchases: int = 0
    allocations: int = 0
    allocations_missing: int = 0

    def count(self, category: str, state: str) -> None:
        self.categories.setdefault(category, Counter())[state] += 1

    def total(self, state: str) -> int:
        return sum(states[state] for states in self.categories.values())

    def unexpected(self) -> int:
        """Records that did not end as their category must: processed or dead-lettered."""
        return sum(
            n
            for category, states in self.categories.items()
            for state, n in states.items()
            if state != "lost"
            and state != ("processed" if category in PROCESSED else "dead_lettered")
        )


class Soak:
    """One broker, one database, one worker process at a time; records go in by rounds."""

    def __init__(
        self,
        bus: Broker,
        process: WorkerProcess,
        *,
        consumers: int = 3,
        partitions: int = 6,
        deadline: float,
        max_crashes: int = 10,
        on_progress: Callable[[int], None] = lambda settled: None,
    ) -> None:
        self.bus, self.process, self.consumers, self.partitions = (
            bus,
            process,
            consumers,
            partitions,
        )
        self.deadline, self.max_crashes, self.on_progress = deadline, max_crashes, on_progress
        self.ledger = Ledger()
        self.figures = Figures()
        self.kills = 0
        self.crashes: Counter[str] = Counter()
        self._ids = iter(range(1, 10**9))

    def run_round(self, name: str, records: Sequence[Outgoing], database) -> list[str]:
        """Publish `records`, consume until each settles, then account; returns each fate."""
        topic, group = f"soak.{name}", f"allocation-worker.soak.{name}"
        ids = self._publish(topic, records)
        while not (self.ledger.settled() or self._gave_up()):
            if self.process.handler is None:
                self.process.start()
            self._run_process(topic, group)
        return self._account(topic, records, ids, database)

    def _gave_up(self) -> bool:
        return time.monotonic() > self.deadline or self.crashes.total() >= self.max_crashes

    def _publish(self, topic: str, records: Sequence[Outgoing]) -> list[bytes]:
        for name, partitions in ((topic, self.partitions), (retry_topic(topic), self.partitions),
                                 (dlq_topic(topic), 1)):  # fmt: skip
            self.bus.create_topic(name, partitions)
        ids = [str(next(self._ids)).encode() for _ in records]
        self.ledger.expect(ids)
        with self.bus.producer() as producer:
            for record, record_id in zip(records, ids, strict=True):
                headers = [(RECORD_ID, record_id)]
                producer.publish(topic, record.value, key=record.key, headers=headers)
        return ids

    def _run_process(self, topic: str, group: str) -> None:
        """Consumers of one worker process, until the round settles or the process dies."""
        dead = threading.Event()
        members: list[AccountedConsumer] = []
        handler = self.process.handler

        def die(cause: BaseException) -> None:
            if isinstance(cause, WorkerCrash):
                self.kills += 1
            else:
                self.crashes[f"{type(cause).__name__}: {cause}"[:200]] += 1
            dead.set()
            for member in list(members):
                member.stop()  # a dead process takes every consumer in it
            self.process.stop()

        def consume(number: int) -> None:
            consumer = AccountedConsumer(self.bus, topic, group, handler, ledger=self.ledger,
                                         name=f"consumer-{number}")  # fmt: skip
            members.append(consumer)
            try:
                while not (self.ledger.settled() or dead.is_set() or self._gave_up()):
                    consumer.poll_once(0.05)
            except BaseException as cause:  # noqa: BLE001 -- counted, and the process restarts
                die(cause)
            finally:
                consumer.close()

        threads = [threading.Thread(target=consume, args=(n,), daemon=True)
                   for n in range(self.consumers)]  # fmt: skip
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(0.2)
                self.on_progress(self.ledger.settled_count())
        self.on_progress(self.ledger.settled_count())

    def _account(
        self, topic: str, records: Sequence[Outgoing], ids: list[bytes], database
    ) -> list[str]:
        """Each record's fate: processed, dead_lettered (with a reason) or lost."""
        figures = self.figures
        reasoned = set()
        for dead in self.bus.topic_records(dlq_topic(topic)):
            figures.dead_letters += 1
            error_class, message = (
                dead.header(Headers.ERROR_CLASS),
                dead.header(Headers.ERROR_MESSAGE),
            )
            if error_class and message:
                reasoned.add(dead.header(RECORD_ID))
                figures.reasons[error_class.decode()] += 1
            else:
                figures.dead_letters_without_reason += 1
        fates = [
            "processed" if record_id in self.ledger.succeeded
            else "dead_lettered" if record_id in reasoned
            else "lost"
            for record_id in ids
        ]  # fmt: skip
        for record, fate in zip(records, fates, strict=True):
            figures.count(record.category, fate)
        purchases = {r.purchase_id for r in records if r.purchase_id}
        allocated = set(database["allocations"].distinct("purchase_id"))
        figures.purchases += len(purchases)
        figures.allocations += len(allocated)
        figures.allocations_missing += len(purchases - allocated)
        figures.duplicates += _duplicate_allocations(database)
        # The round is checked; empty what mongomock would otherwise scan on every query.
        database["allocations"].delete_many({})
        database[COLLECTION].delete_many({})
        database["users"].update_many({"role": "trainer"}, {"$set": {"load": 0}})
        return fates


# -- the run --------------------------------------------------------------------------------


def run_soak(
    records: int = 10_000,
    seed: int = 0,
    kills: int = 0,
    broker: str = "memory",
    *,
    consumers: int = 3,
    round_size: int = 1_000,
    failing: float = 0.0,
    wrap_handler: Callable[[Handler], Handler] | None = None,
    timeout_s: float = 600.0,
    progress: bool | None = None,
) -> dict:
    """Run `records` records through the fixed worker and account for every one of them.

    `failing` is the share of valid events whose every attempt fails by injection
    (they must reach the DLQ); `wrap_handler` replaces the worker's handler, to
    check that a broken one is noticed. `progress=None` shows a bar on an interactive
    stderr only.
    """
    if broker != "memory":
        raise NotImplementedError(
            f"soak on {broker!r} needs the worker as separate processes (`python -m modelguard "
            "worker`) to kill and restart; only the embedded default, --broker memory, runs now"
        )
    if records < 1 or consumers < 1 or round_size < 1 or kills < 0:
        raise ValueError("records, consumers and round_size must be >= 1, kills >= 0")
    from tqdm import tqdm

    started = time.monotonic()
    rng = random.Random(seed)
    database, course_ids = prepare()
    stream = Stream(rng, course_ids, prefix=f"s{seed}", failing=failing)
    rounds = [stream.round(min(round_size, records - start))
              for start in range(0, records, round_size)]  # fmt: skip
    process = WorkerProcess(stream.fail_attempts, _kill_plan(rng, rounds, kills), wrap_handler)
    bar = tqdm(total=records, desc="soak", unit="rec", file=sys.stderr,
               disable=None if progress is None else not progress)  # fmt: skip
    with bar, open_broker(broker) as bus:
        soak = Soak(bus, process, consumers=consumers, deadline=started + timeout_s,
                    on_progress=lambda n: bar.update(n - bar.n))  # fmt: skip
        for number, batch in enumerate(rounds):
            soak.run_round(f"s{seed}-r{number:03d}", batch, database)
    figures = soak.figures
    duration = time.monotonic() - started
    result = {
        "broker": broker,
        "seed": seed,
        "records": records,
        "processed": figures.total("processed"),
        "dead_lettered": figures.total("dead_lettered"),
        "lost": figures.total("lost"),
        "crashes": soak.crashes.total(),
        "duplicates": figures.duplicates,
        "kills": soak.kills,
        "unexpected": figures.unexpected(),
        "allocations_missing": figures.allocations_missing,
        "purchases": figures.purchases,
        "allocations": figures.allocations,
        "dead_letters": figures.dead_letters,
        "dead_letters_without_reason": figures.dead_letters_without_reason,
        "attempts": dict(soak.ledger.outcomes),
        "handler_results": dict(process.results),
        "dead_letter_reasons": dict(figures.reasons.most_common()),
        "crash_errors": dict(soak.crashes),
        "events_on_several_consumers": sum(
            len(names) > 1 for names in soak.ledger.handled_by.values()
        ),
        "categories": {name: dict(states) for name, states in sorted(figures.categories.items())},
        "consumers": consumers,
        "rounds": len(rounds),
        "processes": process.starts,
        "duration_s": round(duration, 2),
        "records_per_s": round(records / duration, 1),
    }
    result["ok"] = not any(
        result[key]
        for key in ("lost", "crashes", "duplicates", "unexpected", "allocations_missing",
                    "dead_letters_without_reason")
    )  # fmt: skip
    return result


def prepare():
    """A clean database with the academy's trainers and courses; returns it and the course ids."""
    database = _clean_database()
    fresh_process()
    return database, seed_academy()


def _kill_plan(rng: random.Random, rounds: list[list[Outgoing]], kills: int) -> list[int]:
    """Handler attempts each process makes before its kill, spread over the whole run."""
    attempts = sum(
        MAX_ATTEMPTS if r.category in ("failing", "unknown_course") else 1
        for batch in rounds
        for r in batch
        if r.category in PROCESSED or r.category in ("failing", "unknown_course")
    )
    if kills == 0 or attempts < 2:
        return []
    points = sorted(rng.sample(range(1, attempts), min(kills, attempts - 1)))
    return [b - a for a, b in zip([0, *points], points, strict=False)]


# -- the command ------------------------------------------------------------------------------

_KEY_FIGURES = ("records", "processed", "dead_lettered", "lost", "crashes", "duplicates", "kills",
                "unexpected", "allocations_missing", "dead_letters_without_reason")  # fmt: skip


def main(args: argparse.Namespace) -> int:
    """`python -m modelguard soak`: 0 when nothing was lost, crashed or applied twice."""
    try:
        result = run_soak(
            records=args.records, seed=args.seed, kills=args.kills, broker=args.broker
        )
    except NotImplementedError as error:
        print(f"modelguard soak: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(soak_table(result))
    return 0 if result["ok"] else 1


def soak_table(result: dict) -> str:
    lines = [
        f"soak on {result['broker']}: {result['records']} records, seed {result['seed']}, "
        f"{result['consumers']} consumers, {result['processes']} process(es), "
        f"{result['duration_s']} s ({result['records_per_s']} records/s)",
        "",
    ]
    lines += [f"  {key:28} {result[key]}" for key in _KEY_FIGURES]
    lines += ["", f"  {'category':20} {'records':>8} {'processed':>10} {'dlq':>8} {'lost':>6}"]
    for name, states in result["categories"].items():
        row = [states.get(s, 0) for s in ("processed", "dead_lettered", "lost")]
        lines.append(f"  {name:20} {sum(row):8} {row[0]:10} {row[1]:8} {row[2]:6}")
    reasons = ", ".join(f"{k} x{v}" for k, v in result["dead_letter_reasons"].items()) or "-"
    lines += ["", f"  dead-letter reasons: {reasons}"]
    if result["crash_errors"]:
        lines.append(f"  crashes: {result['crash_errors']}")
    lines.append(f"  verdict: {'OK' if result['ok'] else 'FAILED'}")
    return "\n".join(lines)
