"""One embedded worker process, scraped after every attempt, as Prometheus would scrape it.

A scenario result keeps each process's metrics as they stood when it stopped; an
operator sees them over time. This run decides that time axis: the worker (one
consumer, on the in-process broker and mongomock) handles `events` purchases until
each has settled, and the process's metrics are read after every attempt, so the
series shows when each signal first moved: the compilations of a model, the
retries, and the dead letters. What the scrapes mean is for `views.dashboard` to draw.
"""

from __future__ import annotations

import time
import uuid

from modelguard.bootstrap import fresh_process, new_worker, open_broker, worker_metrics
from modelguard.lab.databases import clean_database
from modelguard.lab.outcomes import AttemptLog
from modelguard.lab.scenarios import create_topics, publish_events
from modelguard.lab.seed import purchases, seed_academy
from modelguard.messaging.consumer import Attempt, RetryingConsumer
from modelguard.messaging.policy import POLICIES


def scraped_run(
    variant: str, *, events: int = 20, policy: str = "seed", timeout_s: float = 60.0
) -> list[dict[str, float]]:
    """The worker's metrics before its first attempt and after each one."""
    run_id = f"scraped-{uuid.uuid4().hex[:8]}"
    clean_database()
    fresh_process()
    batch = purchases(events, seed_academy(), prefix=run_id)
    fresh_process()  # the worker starts in a process that has loaded nothing
    worker = new_worker(variant)
    metrics = worker_metrics(worker)
    worker.initialize()
    log = AttemptLog([e.event_id for e in batch])
    scrapes = [metrics.snapshot()]

    def on_attempt(attempt: Attempt) -> None:
        metrics.observe(attempt)
        log(attempt)
        scrapes.append(metrics.snapshot())

    topic, group = f"purchases.{run_id}", f"allocation-worker.{run_id}"
    deadline = time.monotonic() + timeout_s
    with open_broker("memory") as bus:
        create_topics(bus, topic, partitions=4)
        publish_events(bus, topic, batch)
        consumer = RetryingConsumer(
            bus, topic, group, metrics.timed(worker.handle),
            policy=POLICIES[policy], on_attempt=on_attempt,
        )  # fmt: skip
        try:
            while not log.all_settled() and time.monotonic() < deadline:
                consumer.poll_once(0.01)
        finally:
            consumer.close()
    return scrapes
