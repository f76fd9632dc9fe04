"""The real-Kafka figures: events/s of 1, 2 and 4 fixed worker processes, and the
database limit they are read against.

It decides:

- when it is measured: only when KAFKA_BOOTSTRAP_SERVERS names a broker that answers
  and a shared MongoDB-wire server is named by MONGODB_URI (worker processes never
  share a mongomock); otherwise the rates are null and the note says why;
- the setup: a 4-partition topic, and a clock that starts only once the consumer
  group is stable with every worker in it; the events are then sent in one go and
  the clock stops when the last is allocated;
- the limit, in the same run: the fixed handler called directly on the same
  server with no broker (`limit`), measured first, so every figure of the run
  shares one machine load and one database.
"""

from __future__ import annotations

import time
import uuid

from modelguard.bootstrap import open_broker
from modelguard.config import MissingDatabase, answers_any, kafka_servers, require_database_uri
from modelguard.lab.bench.shapes import DatabaseLimit
from modelguard.lab.kafka_run import KafkaRun
from modelguard.lab.seed import purchases, seed_academy
from modelguard.messaging.port import Broker

KAFKA_PARTITIONS = 4
WORKERS = (1, 2, 4)


def kafka_throughput(
    events: int,
    workers: tuple[int, ...] = WORKERS,
    *,
    limit: list[DatabaseLimit] | None = None,
) -> tuple[dict[str, float | None], str]:
    """Events/s of each number of fixed worker processes on real Kafka, or nulls and the
    reason. A `limit` list, if given, receives the database limit measured in this run."""
    rates: dict[str, float | None] = {str(n): None for n in workers}
    servers = kafka_servers()
    if servers is None:
        return rates, "KAFKA_BOOTSTRAP_SERVERS is not set, so there is no broker to measure"
    if not answers_any(servers):
        return rates, f"no Kafka broker answers at {servers}"
    try:
        uri = require_database_uri()
    except MissingDatabase as error:
        return rates, str(error)
    try:
        if limit is not None:
            from modelguard.lab.bench.limit import database_limit

            limit.append(database_limit(uri, events))
        with open_broker("kafka") as bus:
            for count in workers:
                rates[str(count)] = _kafka_rate(bus, uri, events, count)
    except Exception as error:  # noqa: BLE001 -- a benchmark reports what it could not measure
        return rates, f"the Kafka measurement failed: {type(error).__name__}: {error}"
    return rates, ""


def _kafka_rate(
    bus: Broker, uri: str, events: int, workers: int, timeout_s: float = 120.0
) -> float:
    """Start `workers` processes, wait until the group holds them all, publish, time to done.

    Progress is read from the allocations in the shared database, not from a report
    topic: reports are work the measured workers would not otherwise do.
    """
    run_id = f"bench-{workers}w-{uuid.uuid4().hex[:8]}"
    with KafkaRun(run_id, drill="bench", timeout_s=timeout_s, bus=bus, uri=uri) as run:
        batch = purchases(events, seed_academy(), run_id)
        run.create_topics(KAFKA_PARTITIONS)
        allocations = run.database["allocations"]
        with run.workers() as processes:
            for _ in range(workers):
                processes.start()
            # A join after the clock starts would pause the group for a rebalance.
            run.wait_for_group(workers)
            started = time.monotonic()
            with bus.producer() as producer:
                for event in batch:
                    producer.send(run.topic, event.to_bytes(), key=event.purchase_id.encode())
                producer.flush()
            run.until(
                lambda: allocations.estimated_document_count() >= events or not processes.running(),
                lambda: (
                    f"{workers} worker(s) allocated "
                    f"{allocations.estimated_document_count()} of {events} events"
                ),
                0.1,
            )
            took = time.monotonic() - started
            done = allocations.estimated_document_count()
        if done < events:
            raise RuntimeError(f"{workers} worker(s) exited, {done} of {events} events allocated")
        return round(events / took, 1)
