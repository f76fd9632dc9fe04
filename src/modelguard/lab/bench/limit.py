"""The database limit: how fast the fixed handler runs with no broker at all.

It decides:

- what the limit is: `AllocationWorker("fixed").allocate_trainer` called in a loop in
  this process, on a fresh database on the same server the Kafka workers use, with the
  same seeded academy and the same kind of events; no broker, no consumer;
- what is counted while it runs: every command the driver sends (PyMongo's command
  monitoring), so the report says how many database round trips an event costs, of
  which kind, and how the time splits between waiting on the server (a round trip,
  network included) and the client's own Python (mongoengine, BSON, the handler);
- that the listener is attached to this measurement's own client only.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter

from pymongo import monitoring

from modelguard import db
from modelguard.lab.bench.shapes import DatabaseLimit

WARMUP_EVENTS = 50


class _Commands(monitoring.CommandListener):
    """Counts commands by name and sums their round-trip times, while `active`."""

    def __init__(self) -> None:
        self.active = False
        self.counts: Counter[str] = Counter()
        self.round_trip_ns = 0

    def started(self, event) -> None:
        pass

    def succeeded(self, event) -> None:
        self._count(event)

    def failed(self, event) -> None:
        self._count(event)

    def _count(self, event) -> None:
        if self.active:
            self.counts[event.command_name] += 1
            self.round_trip_ns += event.duration_micros * 1000


def database_limit(uri: str, events: int) -> DatabaseLimit:
    """Events/s of the fixed handler called directly on the server of `uri`, and what
    each event cost there: round trips by command, ms waiting on the server, ms in Python."""
    from modelguard.bootstrap import fresh_process, new_worker, open_database
    from modelguard.lab.seed import purchases, seed_academy

    name = f"mg_bench_limit_{uuid.uuid4().hex[:8]}"
    commands = _Commands()
    database = open_database(uri, name, empty=True, listeners=[commands])
    try:
        fresh_process()  # the models bind to this connection, as in a new worker process
        batch = purchases(WARMUP_EVENTS + events, seed_academy(), f"limit-{name}")
        worker = new_worker("fixed")
        worker.initialize()
        for event in batch[:WARMUP_EVENTS]:
            worker.allocate_trainer(event)
        commands.active = True
        started = time.perf_counter_ns()
        for event in batch[WARMUP_EVENTS:]:
            worker.allocate_trainer(event)
        took_ns = time.perf_counter_ns() - started
        commands.active = False
        allocated = database["allocations"].count_documents({})
        if allocated != WARMUP_EVENTS + events:
            raise AssertionError(f"the handler allocated {allocated} of {WARMUP_EVENTS + events}")
    finally:
        commands.active = False
        database.client.drop_database(name)
        db.disconnect()
    per_event_ms = took_ns / events / 1e6
    server_ms = commands.round_trip_ns / events / 1e6
    return DatabaseLimit(
        events=events,
        events_per_s=round(events / (took_ns / 1e9), 1),
        ms_per_event=round(per_event_ms, 3),
        round_trips_per_event=round(sum(commands.counts.values()) / events, 2),
        round_trips_by_command={
            command: round(n / events, 2) for command, n in sorted(commands.counts.items())
        },
        ms_per_event_in_round_trips=round(server_ms, 3),
        ms_per_event_in_python=round(per_event_ms - server_ms, 3),
    )
