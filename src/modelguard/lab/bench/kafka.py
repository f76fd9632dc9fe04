"""The real-Kafka figure: events/s of 1 and 2 fixed worker processes.

It decides:

- when it is measured: only when a broker answers, a shared MongoDB-wire server
  is named by MONGODB_URI (worker processes never share a mongomock) and the
  worker-process runner is there; otherwise the rates are null and the note
  says why;
- the setup: a 4-partition topic, and a clock that starts only once the
  consumer group is stable with every worker in it.
"""

from __future__ import annotations

import os
import time

from modelguard.bootstrap import open_broker
from modelguard.config import dlq_topic, retry_topic
from modelguard.lab.seed import purchases, seed_academy

KAFKA_PARTITIONS = 4


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
        import modelguard.lab.kafka_scenarios  # noqa: F401 -- the worker process runner
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

    from modelguard.lab.kafka_scenarios import (
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
