"""Benchmarks: what the fix costs, what the bug costs, and how both grow.

It decides:

- what is compared, in one process and on the same data: the guard against a
  plain dict, `define()` on a known model, the allocation service called
  directly (the limit), and each worker variant through the in-memory broker
  and one `RetryingConsumer`;
- how noise is kept down: micro-benchmarks interleave their candidates and keep
  the fastest of several repeats (the run least disturbed by the machine);
  every throughput run starts on a clean database and warms up first;
- batches: mongomock scans a whole collection for each query and unique check,
  which a real server answers from an index. Events therefore go through in
  batches of `batch`, and the collections are emptied between batches, outside
  the timed part; every candidate gets the same batches;
- memory: resident set size after a garbage collection, from the end of the
  warm-up to the end of the run, with the module copies and `Document` classes
  still alive, which say why memory grows;
- real Kafka: 1 and 2 worker processes on a 4-partition topic, when a broker,
  a shared MongoDB-wire server and the worker command are all there;
- targets: each is printed next to its measurement as met or not met; none is
  asserted, because a benchmark reports and a test decides.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import platform
import sys
import time
import timeit
from collections.abc import Callable
from contextlib import contextmanager

import mongoengine

from modelguard import db
from modelguard.academy.workers.allocation import VARIANTS as VARIANTS_BY_NAME
from modelguard.academy.workers.allocation import AllocationWorker
from modelguard.bootstrap import fresh_process, open_broker
from modelguard.messaging.consumer import RetryingConsumer, dlq_topic, retry_topic
from modelguard.messaging.idempotency import COLLECTION, IdempotencyGuard
from modelguard.scenarios import _clean_database
from modelguard.seed import purchases, seed_academy

VARIANTS = ("fixed", "guard-only", "cache-only", "buggy")
KAFKA_PARTITIONS = 4
TARGETS = {
    "fixed_over_direct": 0.9,  # at least
    "guard_access_ratio": 1.5,  # at most
    "fixed_growth_kb_over_10000_events": 1024,  # at most, with no module copy left behind
    "kafka_2_workers_events_per_s": 1000,  # at least
}


# -- micro-benchmarks -------------------------------------------------------------------------


def _interleaved(timers: dict[str, timeit.Timer], repeat: int) -> dict[str, float]:
    """Nanoseconds per call of each timer: the fastest of `repeat` interleaved rounds."""
    # autorange() finds a count that takes 0.2 s; many shorter rounds give a busy machine
    # more chances to leave one of them alone.
    numbers = {name: max(1, timer.autorange()[0] // 4) for name, timer in timers.items()}
    best = dict.fromkeys(timers, float("inf"))
    for _ in range(repeat):
        for name, timer in timers.items():
            best[name] = min(best[name], timer.timeit(numbers[name]) / numbers[name])
    return {name: seconds * 1e9 for name, seconds in best.items()}


def micro(repeat: int = 11) -> dict:
    """The guard's hit against a dict get, and define() on a known model."""
    import copy

    from modelguard import ModelRegistry
    from modelguard.academy.models.shared.user import UserSchema

    registry = ModelRegistry()
    name = "BenchUser"
    model = registry.model(name, UserSchema)
    scope = {
        "registry": registry,
        "plain": {name: model},
        "name": name,
        "schema": UserSchema,
        "equal": copy.deepcopy(UserSchema),  # another object, the same structure
    }
    try:
        ns = _interleaved(
            {
                "guard": timeit.Timer(
                    "registry.models.get(name) or registry.model(name, schema)", globals=scope
                ),
                "dict": timeit.Timer("plain.get(name)", globals=scope),
                "define_equal": timeit.Timer("registry.define(name, equal)", globals=scope),
                "define_same": timeit.Timer("registry.define(name, schema)", globals=scope),
            },
            repeat,
        )
    finally:
        registry.reset()
    return {
        "guard_access_ns": round(ns["guard"], 1),
        "dict_get_ns": round(ns["dict"], 1),
        "guard_access_ratio": round(ns["guard"] / ns["dict"], 2),
        "define_hit_ns": round(ns["define_equal"]),
        "define_hit_identical_ns": round(ns["define_same"]),
    }


# -- throughput on the embedded default ---------------------------------------------------------


class Candidate:
    """One way of handling events: set up once, then batch by batch, timed in `run` only."""

    name: str
    # Batches run before the clock and the memory baseline: allocator arenas, caches and
    # lazily built indexes settle in the first few hundred events.
    warmup_batches = 4

    def setup(self) -> None:
        """Start the candidate's "process": load what it loads at start-up."""

    def begin(self) -> None:
        """The warm-up is over: count from here."""

    def stage(self, events: list) -> None:
        """Get a batch ready (untimed)."""

    def run(self) -> None:
        """Handle the staged batch (timed)."""

    def finish(self) -> None:
        """Tidy up after a batch (untimed)."""


class Direct(Candidate):
    """AllocationService.allocate per event, no broker; with the idempotency guard if asked."""

    def __init__(self, *, idempotent: bool) -> None:
        self.name = "direct_idempotent" if idempotent else "direct"
        self.idempotent = idempotent
        self.events: list = []

    def setup(self) -> None:
        # By name, not `from package import`: after fresh_process() that would hand back
        # the forgotten module objects instead of registering the models again.
        importlib.import_module("modelguard.academy.models")  # noqa: MG002 -- once per setup
        services = importlib.import_module(  # noqa: MG002 -- once per setup, after fresh_process
            "modelguard.academy.services.allocation"
        )
        self.service = services.AllocationService()
        self.guard = None
        if self.idempotent:
            self.guard = IdempotencyGuard(mongoengine.get_db()[COLLECTION], "bench")

    def stage(self, events: list) -> None:
        self.events = events

    def run(self) -> None:
        for event in self.events:
            if self.guard is not None and self.guard.seen(event.event_id):
                continue
            self.service.allocate(
                purchase_id=event.purchase_id,
                user_id=event.user_id,
                course_id=event.course_id,
                event_id=event.event_id,
            )
            if self.guard is not None:
                self.guard.mark(event.event_id)


class ThroughBroker(Candidate):
    """A worker variant behind the in-memory broker and one RetryingConsumer, no faults.

    Each batch gets a new broker, published before the clock starts: the worker's
    side is what is timed, and the broker's logs do not pile up in the memory figures.
    """

    def __init__(self, variant: str) -> None:
        self.name = variant
        if VARIANTS_BY_NAME[variant].loading == "per-call":
            self.warmup_batches = 1  # it grows with every event anyway; keep the run short
        self.outcomes = {"succeeded": 0, "dead_lettered": 0}
        self._target = 0

    def setup(self) -> None:
        self.worker = AllocationWorker(self.name)
        started = time.perf_counter()
        self.worker.initialize()
        self.startup_ms = round((time.perf_counter() - started) * 1000, 1)

    def begin(self) -> None:
        self._before = {**self.outcomes, "service_loads": self.worker.build.loads}

    def _count(self, attempt) -> None:
        if attempt.outcome in self.outcomes:
            self.outcomes[attempt.outcome] += 1

    def stage(self, events: list) -> None:
        topic = "bench"
        self.bus = open_broker("memory")
        for name, partitions in ((topic, 4), (retry_topic(topic), 4), (dlq_topic(topic), 1)):
            self.bus.create_topic(name, partitions)
        with self.bus.producer() as producer:
            for event in events:
                producer.publish(topic, event.to_bytes(), key=event.purchase_id.encode())
        self.consumer = RetryingConsumer(self.bus, topic, "bench", self.worker.allocate_trainer,
                                         on_attempt=self._count)  # fmt: skip
        self._target = sum(self.outcomes.values()) + len(events)

    def run(self) -> None:
        while sum(self.outcomes.values()) < self._target:
            self.consumer.poll_once(0.01)

    def finish(self) -> None:
        self.consumer.close()
        self.bus.close()

    def figures(self) -> dict:
        """Outcomes and service loads of the timed events; loads at start-up are apart."""
        now = {**self.outcomes, "service_loads": self.worker.build.loads}
        return {key: now[key] - self._before[key] for key in now} | {"startup_ms": self.startup_ms}


def measure(
    candidates: list[Candidate], events: int, batch: int, tick: Callable[[int], None]
) -> tuple[dict[str, dict], dict]:
    """Run `candidates` side by side in one "process", batch by batch, on the same events.

    Interleaving the batches spreads any change in the machine's load over every
    candidate alike. Returns each candidate's figures and the process's memory growth.
    """
    database = _clean_database()
    fresh_process()
    course_ids = seed_academy()
    fresh_process()
    seconds = dict.fromkeys((c.name for c in candidates), 0.0)

    def one_batch(candidate: Candidate, batch_events: list) -> float:
        candidate.stage(batch_events)
        started = time.perf_counter()
        candidate.run()
        elapsed = time.perf_counter() - started
        candidate.finish()
        # Emptied outside the clock: kept, it would slow every later query (see above).
        database["allocations"].delete_many({})
        database[COLLECTION].delete_many({})
        database["users"].update_many({"role": "trainer"}, {"$set": {"load": 0}})
        return elapsed

    starts = range(0, events, batch)
    for candidate in candidates:
        candidate.setup()
    for number in range(min(max(c.warmup_batches for c in candidates), len(starts))):
        warm = purchases(batch, course_ids, f"warm{number}-")
        for candidate in candidates:
            if number < candidate.warmup_batches:
                one_batch(candidate, warm)
    middle_start = starts[len(starts) // 2]
    for candidate in candidates:
        candidate.begin()
    before = middle = _memory()
    for start in starts:
        if start == middle_start:
            middle = _memory()
        batch_events = purchases(min(batch, events - start), course_ids, f"b{start}")
        for candidate in candidates:
            seconds[candidate.name] += one_batch(candidate, batch_events)
            tick(len(batch_events))
    after = _memory()
    memory = {
        "memory_growth_kb": _diff(after["rss_kb"], before["rss_kb"]),
        # The steady part: a leak keeps its slope, settling caches and arenas do not.
        "second_half_growth_kb": _diff(after["rss_kb"], middle["rss_kb"]),
        "second_half_events": events - middle_start,
        "modules_added": after["modules"] - before["modules"],
        "model_classes_alive": after["model_classes"],
        "service_classes_alive": after["service_classes"],
    }
    fresh_process()  # the process ends: its module copies go with it
    results = {}
    for candidate in candidates:
        took = seconds[candidate.name]
        results[candidate.name] = {
            "events": events,
            "seconds": round(took, 3),
            "events_per_s": round(events / took, 1) if took else None,
            **(candidate.figures() if isinstance(candidate, ThroughBroker) else {}),
        }
    return results, memory


# -- memory ------------------------------------------------------------------------------------


def _memory() -> dict:
    from mongoengine import Document

    gc.collect()
    classes = [o for o in gc.get_objects() if isinstance(o, type)]
    return {
        "rss_kb": _rss_kb(),
        "modules": len(sys.modules),
        "model_classes": sum(1 for c in classes if issubclass(c, Document) and c is not Document),
        # One per load of the admin service's build: the copies a per-call worker keeps.
        "service_classes": sum(1 for c in classes if c.__name__ == "AllocationService"),
    }


@contextmanager
def _embedded():
    """mongomock, even where MONGODB_URI names a server: the embedded figures are the
    embedded default's; only the real-Kafka run uses the server."""
    saved = os.environ.pop("MONGODB_URI", None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ["MONGODB_URI"] = saved


def _rss_kb() -> int | None:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except (OSError, ValueError, IndexError):
        return None


def _diff(after: int | None, before: int | None) -> int | None:
    return None if after is None or before is None else after - before


# -- real Kafka ----------------------------------------------------------------------------------


def kafka_throughput(events: int, workers: tuple[int, ...] = (1, 2)) -> tuple[dict, str]:
    """Events/s of 1 and 2 fixed worker processes on real Kafka, or nulls and the reason."""
    rates: dict[str, float | None] = {str(n): None for n in workers}
    servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or "127.0.0.1:9092"
    if not _answers(servers):
        return rates, f"no Kafka broker answers at {servers}"
    uri = os.environ.get("MONGODB_URI")
    if not uri:
        return rates, (
            "MONGODB_URI is not set: worker processes share their database through a real "
            "MongoDB-wire server (bash scripts/mongo.sh env), never a mongomock"
        )
    try:
        import modelguard.kafka_scenarios  # noqa: F401 -- the worker process runner
    except ImportError as error:
        return rates, f"the worker-process runner is not available: {error}"
    try:
        with open_broker("kafka") as bus:
            for count in workers:
                rates[str(count)] = _kafka_rate(bus, uri, events, count)
    except Exception as error:  # noqa: BLE001 -- a benchmark reports what it could not measure
        return rates, f"the Kafka measurement failed: {type(error).__name__}: {error}"
    return rates, ""


def _kafka_rate(bus, uri: str, events: int, workers: int, timeout_s: float = 120.0) -> float:
    """Start `workers` processes, wait until the group holds them all, publish, time to done.

    Progress is read from the allocations in the shared database, not from a report
    topic: reports are published one by one and would slow the workers being measured.
    """
    import uuid
    from concurrent.futures import ThreadPoolExecutor

    from modelguard.kafka_scenarios import (
        WorkerProcesses,
        fresh_database,
        run_names,
        worker_command,
        worker_env,
    )

    run_id = f"bench-{workers}w-{uuid.uuid4().hex[:8]}"
    name = f"mg_{run_id.replace('-', '_')}"
    database = fresh_database(uri, name)
    try:
        batch = purchases(events, seed_academy(), run_id)
        topic, group, _ = run_names(run_id)
        for each, partitions in ((topic, KAFKA_PARTITIONS), (retry_topic(topic), KAFKA_PARTITIONS),
                                 (dlq_topic(topic), 1)):  # fmt: skip
            bus.create_topic(each, partitions)
        deadline = time.monotonic() + timeout_s
        command = worker_command("fixed", topic, group)
        with WorkerProcesses(command, worker_env(bus, uri, name)) as processes:
            for _ in range(workers):
                processes.start()
            _wait_for_members(bus.bootstrap_servers, group, workers, deadline)
            started = time.monotonic()
            # publish() waits for each acknowledgement; threads keep the producer ahead.
            with bus.producer() as producer, ThreadPoolExecutor(16) as pool:
                list(pool.map(lambda e: producer.publish(topic, e.to_bytes(),
                              key=e.purchase_id.encode()), batch))  # fmt: skip
                done = 0
                while done < events and time.monotonic() < deadline and processes.running():
                    time.sleep(0.05)
                    done = database["allocations"].count_documents({})
            took = time.monotonic() - started
        if done < events:
            raise TimeoutError(f"{workers} worker(s) allocated {done} of {events} events")
        return round(events / took, 1)
    finally:
        database.client.drop_database(name)


def _wait_for_members(servers: str, group: str, members: int, deadline: float) -> None:
    """Until `group` is stable with `members` members: a join after the clock starts would
    pause the group for a rebalance in the middle of the measurement."""
    import kafka

    admin = kafka.KafkaAdminClient(bootstrap_servers=servers.split(","))
    try:
        while time.monotonic() < deadline:
            try:
                info = admin.describe_groups([group]).get(group, {})
            except kafka.errors.KafkaError:  # no coordinator until the first member joins
                info = {}
            if info.get("group_state") == "Stable" and len(info.get("members", ())) == members:
                return
            time.sleep(0.2)
    finally:
        admin.close()
    raise TimeoutError(f"group {group!r} never had {members} stable member(s)")


def _answers(servers: str, timeout_s: float = 1.0) -> bool:
    import socket

    for server in servers.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout_s):
                return True
        except (OSError, ValueError):
            continue
    return False


# -- the run ---------------------------------------------------------------------------------------


def run_bench(
    events: int = 2000,
    kafka: str | None = None,
    *,
    batch: int = 50,
    buggy_events: int | None = None,
    repeat: int = 11,
    kafka_events: int | None = None,
    progress: bool | None = None,
) -> dict:
    """Measure everything once; `kafka="auto"` adds real Kafka when it is there.

    `buggy_events` (default: up to 200) bounds the buggy run, which reloads the build
    five times per event, and `kafka_events` (default: up to 200) each real-Kafka run,
    whose speed is that of the shared database; `repeat` is the micro-benchmarks'
    number of rounds.
    """
    if events < 1 or batch < 1:
        raise ValueError("events and batch must be at least 1")
    from tqdm import tqdm

    buggy_events = min(events, 200) if buggy_events is None else buggy_events
    started = time.monotonic()
    bar = tqdm(total=6 * events + buggy_events, desc="bench", unit="ev", file=sys.stderr,
               disable=None if progress is None else not progress)  # fmt: skip
    runs: dict[str, dict] = {}
    memory: dict[str, dict] = {}
    with bar, _embedded():
        bar.set_postfix_str("micro-benchmarks")
        result = {"events": events, "batch": batch, "machine": machine(), **micro(repeat)}
        # direct and fixed share one process (both guarded), so they can be interleaved;
        # an unguarded or per-call variant needs a process of its own.
        groups = [
            ("fixed", [Direct(idempotent=False), Direct(idempotent=True), ThroughBroker("fixed")]),
            ("cache-only", [ThroughBroker("cache-only")]),
            ("guard-only", [ThroughBroker("guard-only")]),
            ("buggy", [ThroughBroker("buggy")]),
        ]
        for variant, candidates in groups:
            bar.set_postfix_str(", ".join(c.name for c in candidates))
            count = buggy_events if variant == "buggy" else events
            figures, memory[variant] = measure(candidates, count, batch, bar.update)
            runs.update(figures)
    rate = {name: run["events_per_s"] for name, run in runs.items()}
    result.update(
        {
            "direct_events_per_s": rate["direct"],
            "direct_idempotent_events_per_s": rate["direct_idempotent"],
            "fixed_events_per_s": rate["fixed"],
            "guard_only_events_per_s": rate["guard-only"],
            "cache_only_events_per_s": rate["cache-only"],
            # The buggy worker allocates nothing: this is how fast it dead-letters.
            "buggy_events_per_s": rate["buggy"],
            "buggy_events_per_s_means": "events dead-lettered per second, 5 failed attempts each",
            "buggy_events": buggy_events,
            "memory_growth_kb": {name: m["memory_growth_kb"] for name, m in memory.items()},
            "memory": memory,
            "modules_added": {name: m["modules_added"] for name, m in memory.items()},
            "model_classes_alive": {name: m["model_classes_alive"] for name, m in memory.items()},
            "service_classes_alive": {
                name: m["service_classes_alive"] for name, m in memory.items()
            },
            "memory_note": "resident set size after gc, end of warm-up to end of run; fixed "
            "ran in one process with direct and direct_idempotent, so its figure covers all three",
            "runs": runs,
        }
    )
    result["ratios"] = ratios(result)
    if kafka == "auto":
        kafka_events = min(events, 200) if kafka_events is None else kafka_events
        result["kafka_events"] = kafka_events
        result["kafka_database"] = db.target()  # the password, if any, redacted
        result["kafka_events_per_s"], note = kafka_throughput(kafka_events)
    else:
        result["kafka_events_per_s"], note = {"1": None, "2": None}, "not requested"
    result["kafka_note"] = note or None
    result["targets"] = targets(result)
    result["duration_s"] = round(time.monotonic() - started, 1)
    return result


def ratios(result: dict) -> dict:
    def ratio(a: float | None, b: float | None) -> float | None:
        return round(a / b, 3) if a and b else None

    fixed = result["fixed_events_per_s"]
    return {
        "fixed_over_direct": ratio(fixed, result["direct_events_per_s"]),
        "fixed_over_direct_idempotent": ratio(fixed, result["direct_idempotent_events_per_s"]),
        "guard_only_over_fixed": ratio(result["guard_only_events_per_s"], fixed),
        "cache_only_over_fixed": ratio(result["cache_only_events_per_s"], fixed),
        "guard_access_ratio": result["guard_access_ratio"],
    }


def targets(result: dict) -> list[dict]:
    fixed = result["memory"]["fixed"]
    growth, events = fixed["second_half_growth_kb"], fixed["second_half_events"]
    modules = fixed["modules_added"]
    projected = None if growth is None else round(max(growth, 0) * 10_000 / events)
    kafka_2 = result["kafka_events_per_s"].get("2")

    def at_least(value, goal):
        return None if value is None else value >= goal

    def at_most(value, goal):
        return None if value is None else value <= goal

    flat = at_most(projected, TARGETS["fixed_growth_kb_over_10000_events"])
    return [
        {
            "target": "fixed >= 0.9x direct",
            "measured": result["ratios"]["fixed_over_direct"],
            "met": at_least(result["ratios"]["fixed_over_direct"], TARGETS["fixed_over_direct"]),
        },
        {
            "target": "guarded access <= 1.5x dict get",
            "measured": result["guard_access_ratio"],
            "met": at_most(result["guard_access_ratio"], TARGETS["guard_access_ratio"]),
        },
        {
            "target": "fixed memory flat over 10,000 events (<= 1 MiB)",
            "measured": f"{projected} KiB at the 2nd half's slope, {modules} modules added",
            "met": None if flat is None else flat and modules == 0,
        },
        {
            "target": "real Kafka >= 1,000 events/s with 2 workers",
            "measured": kafka_2,
            "met": at_least(kafka_2, TARGETS["kafka_2_workers_events_per_s"]),
        },
    ]


def machine() -> dict:
    cpu = platform.processor() or None
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next((ln.split(":", 1)[1].strip() for ln in info if ln.startswith("model name")),
                       cpu)  # fmt: skip
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(terse=True),
        # Other work on the machine slows every candidate; interleaving evens that out.
        "load_average": _load_average(),
    }


def _load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


# -- the command ----------------------------------------------------------------------


def main(args: argparse.Namespace) -> int:
    """`python -m modelguard bench`: print the figures; the exit code ignores the targets."""
    result = run_bench(events=args.events, kafka="auto")
    print(json.dumps(result, indent=2) if args.json else bench_table(result))
    return 0


def bench_table(result: dict) -> str:
    m = result["machine"]
    lines = [
        f"bench: {result['events']} events in batches of {result['batch']}, "
        f"{result['duration_s']} s | {m['nproc']} CPU(s), {m['cpu']}, Python {m['python']}, "
        f"load {m['load_average']}",
        "",
        f"  guard hit        {result['guard_access_ns']:>9} ns   "
        f"dict get {result['dict_get_ns']} ns   ratio {result['guard_access_ratio']}x",
        f"  define(), equal  {result['define_hit_ns']:>9} ns   identical schema object "
        f"{result['define_hit_identical_ns']} ns",
        "",
        f"  {'candidate':26} {'events/s':>9} {'vs direct':>9} {'service loads':>14}",
    ]
    direct_rate = result["direct_events_per_s"]
    for name, run in result["runs"].items():
        rate = run["events_per_s"]
        versus = f"{rate / direct_rate:.2f}x" if rate and direct_rate else "-"
        label = f"{name} (dead-lettered/s)" if name == "buggy" else name
        loads = run.get("service_loads", "-")
        lines.append(f"  {label:26} {rate!s:>9} {versus:>9} {loads!s:>14}")
    lines += [
        "",
        f"  {'process':12} {'growth KiB':>10} {'modules added':>14} {'Document classes':>17} "
        f"{'service copies':>15}",
    ]
    for name, growth in result["memory_growth_kb"].items():
        modules, classes = result["modules_added"][name], result["model_classes_alive"][name]
        services = result["service_classes_alive"][name]
        lines.append(f"  {name:12} {growth!s:>10} {modules:>14} {classes:>17} {services:>15}")
    kafka = result["kafka_events_per_s"]
    lines += [
        "",
        f"  real Kafka, {result.get('kafka_events', '-')} events on {KAFKA_PARTITIONS} partitions, "
        f"database {result.get('kafka_database', '-')}:",
        f"    1 worker process {kafka['1']} events/s, 2 worker processes {kafka['2']} events/s",
    ]
    if result["kafka_note"]:
        lines.append(f"    ({result['kafka_note']})")
    lines += ["", "  targets (reported, not asserted)"]
    for target in result["targets"]:
        verdict = {True: "met", False: "NOT met", None: "not measured"}[target["met"]]
        lines.append(f"    {verdict:13} {target['target']}: {target['measured']}")
    return "\n".join(lines)
