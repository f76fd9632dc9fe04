"""`python -m modelguard worker`: the allocation worker as a long-running process.

It decides:

- configuration: Kafka from KAFKA_BOOTSTRAP_SERVERS, the database from MONGODB_URI,
  which must name a real server, since separate processes cannot share a mongomock;
- start-up: the worker variant is built and initialized once, waiting for the
  database if it is not there yet;
- the loop: one RetryingConsumer in the group; when the broker fails it, the member
  leaves and a new one joins, so the records in hand are redelivered, never skipped;
- reports: every Attempt is logged (never with the URI's password) and, with
  --report-topic, published as JSON with the process's model compilations,
  service loads and metrics, so that a runner in another process can count outcomes,
  and so is every record the broker would not let it settle (`handed_back`: a commit
  refused after the group moved the partition on);
- metrics: every attempt and handler call is counted into this process's
  `WorkerMetrics`, observed through the consumer's `on_attempt` and a handler
  wrapper; with --metrics-port, Prometheus scrapes them at /metrics (port 0 takes
  a free port, which the log names);
  Reports are sent as a batch settles and flushed once per batch, before its
  commit, so a committed record's report is never lost to a SIGKILL;
- shutdown: SIGTERM or SIGINT lets the record in hand finish and commit, then the
  member leaves its group and the process exits 0. A crash is the runner's SIGKILL;
  nothing here simulates one.

The command line is `add_arguments` + `run`, so that the CLI can mount it; the module
imports nothing heavy until `run`, which keeps `python -m modelguard --help` fast.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelguard.config import POLICY_NAMES, VARIANT_NAMES
from modelguard.entrypoints import numbers

if TYPE_CHECKING:
    from modelguard.messaging.consumer import RetryingConsumer

log = logging.getLogger("modelguard.worker")

POLL_S = 0.2
REJOIN_BACKOFF_S = 2.0
DATABASE_BACKOFF_S = 2.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--variant", choices=VARIANT_NAMES, default="fixed")
    parser.add_argument("--topic", default="purchases", help="the topic to consume")
    parser.add_argument("--group", default="allocation-worker", help="the consumer group")
    parser.add_argument("--policy", choices=POLICY_NAMES, default="seed")
    parser.add_argument(
        "--faults",
        metavar="PATH_OR_JSON",
        type=faults_from_argument,
        help='injected failures, as JSON or a JSON file: {"fail_attempts": {"EVENT_ID": K}} '
        'fails attempts 1..K of that event; {"stall_s": {"EVENT_ID": S}} holds its first '
        "attempt S seconds before allocating",
    )
    parser.add_argument(
        "--report-topic", metavar="TOPIC", help="also publish every attempt as JSON here"
    )
    parser.add_argument(
        "--metrics-port",
        type=numbers.port,
        metavar="N",
        help="serve Prometheus metrics at http://HOST:N/metrics (0: any free port)",
    )
    parser.add_argument(
        "--metrics-host",
        default="127.0.0.1",
        metavar="HOST",
        help="the address the metrics endpoint listens on (default 127.0.0.1; "
        "0.0.0.0 for a scraper on another host)",
    )
    parser.add_argument(
        "--idle-exit",
        type=numbers.seconds(),
        metavar="SECONDS",
        help="exit 0 after this long without a record to handle",
    )


def faults_argument(
    fail_attempts: Mapping[str, int], stall_s: Mapping[str, float] | None = None
) -> str:
    """The --faults value that fails attempts 1..k of each event in `fail_attempts` and
    holds attempt 1 of each event in `stall_s` for that many seconds."""
    plan: dict[str, dict] = {"fail_attempts": {e: k for e, k in fail_attempts.items() if k}}
    if stall_s:
        plan["stall_s"] = dict(stall_s)
    return json.dumps(plan)


def faults_from_argument(text: str):
    from modelguard.lab.faults import FaultPlan

    try:
        source = text if text.lstrip().startswith("{") else Path(text).read_text()
        data = json.loads(source)
    except (OSError, ValueError) as error:
        message = f"cannot read a fault plan from {text!r}: {error}"
        raise argparse.ArgumentTypeError(message) from None
    fail: Any = data.get("fail_attempts") if isinstance(data, dict) else None
    stall: Any = data.get("stall_s", {}) if isinstance(data, dict) else None
    valid = (
        isinstance(fail, dict)
        and all(isinstance(k, str) and isinstance(n, int) and n >= 0 for k, n in fail.items())
        and isinstance(stall, dict)
        and all(
            isinstance(k, str) and isinstance(s, int | float) and s >= 0 for k, s in stall.items()
        )
    )
    if not valid or not set(data) <= {"fail_attempts", "stall_s"}:
        raise argparse.ArgumentTypeError(
            'a fault plan is {"fail_attempts": {"EVENT_ID": ATTEMPTS, ...}, '
            '"stall_s": {"EVENT_ID": SECONDS, ...}}; crashes are a SIGKILL from outside'
        )
    return FaultPlan(fail_attempts=fail, stall_s=stall)


def run(args: argparse.Namespace) -> int:
    """Run the worker until SIGTERM (or --idle-exit); the process's exit status."""
    from modelguard import db
    from modelguard.bootstrap import worker_from_env, worker_metrics
    from modelguard.config import ServiceNotNamed
    from modelguard.messaging.policy import POLICIES
    from modelguard.messaging.port import AuthenticationFailedError, BrokerError

    _show_info_logs()
    try:
        broker, worker = worker_from_env(args.variant, faults=args.faults)
    except ServiceNotNamed as error:  # no Kafka or no database named: nothing to guess
        print(f"modelguard worker: {error}", file=sys.stderr)
        return 2
    metrics = worker_metrics(worker)
    process = WorkerProcess(
        broker, worker, topic=args.topic, group=args.group, policy=POLICIES[args.policy],
        metrics=metrics,
    )  # fmt: skip
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda number, frame: process.stop(signal.Signals(number).name))
    log.info(
        "worker %s: variant %s, policy %s, topic %r, group %r, broker %r, database %s",
        process.name, args.variant, args.policy, args.topic, args.group, broker, db.target(),
    )  # fmt: skip
    server = None
    if args.metrics_port is not None:
        try:
            server = serve_metrics(metrics, args.metrics_host, args.metrics_port)
        except OSError as error:
            where = f"{args.metrics_host}:{args.metrics_port}"
            print(f"modelguard worker: cannot serve metrics on {where}: {error}", file=sys.stderr)
            return 2
        host, port = server.server_address[:2]
        log.info("worker %s: metrics at http://%s:%d/metrics", process.name, host, port)
    try:
        with broker:
            if args.report_topic:
                process.report_to(args.report_topic)
            process.run(idle_exit_s=args.idle_exit)
    except AuthenticationFailedError as error:
        # Retrying cannot fix a wrong password: stop at once and say so (never the password).
        log.error("worker %s: %s", process.name, error)
        print(f"modelguard worker: {error}", file=sys.stderr)
        return 1
    except BrokerError as error:
        log.error("worker %s: cannot reach Kafka: %s", process.name, error)
        return 1
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
    log.info("worker %s: stopped", process.name)
    return 0


def serve_metrics(metrics, host: str, port: int):
    """Serve `metrics` at http://host:port/metrics from a daemon thread; the server."""
    from prometheus_client import start_http_server

    server, _thread = start_http_server(port, addr=host, registry=metrics.registry)
    return server


class WorkerProcess:
    """One worker in one process: initialize once, then consume until stopped."""

    def __init__(self, broker, worker, *, topic: str, group: str, policy, metrics=None) -> None:
        self.broker, self.worker = broker, worker
        self.topic, self.group, self.policy = topic, group, policy
        self.metrics = metrics
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self._stopping = threading.Event()
        self._consumer: RetryingConsumer | None = None
        self._report: Report | None = None

    def report_to(self, topic: str) -> None:
        self._report = Report(self.broker, topic, self)

    def stop(self, reason: str = "stop") -> None:
        """Safe from a signal handler: the record in hand finishes and is committed."""
        first = not self._stopping.is_set()
        self._stopping.set()
        if self._consumer is not None:
            self._consumer.stop()
        if first:
            log.info("worker %s: %s received; finishing the record in hand", self.name, reason)

    def run(self, *, idle_exit_s: float | None = None) -> None:
        from modelguard.messaging.port import AuthenticationFailedError, BrokerError

        if not self._initialize():
            return
        if self._report is not None:
            self._report.send("started")
            self._report.flush()
        idle_since = time.monotonic()
        try:
            while not self._stopping.is_set():
                try:
                    member = self._member()
                    settled = member.poll_once(POLL_S)
                    # Reports outside a commit (records handed back) go out here.
                    self._flush_reports()
                except AuthenticationFailedError:
                    raise
                except BrokerError as error:
                    log.warning(
                        "worker %s: broker failed (%s); joining again in %.0f s",
                        self.name, error, REJOIN_BACKOFF_S,
                    )  # fmt: skip
                    self._leave()
                    self._stopping.wait(REJOIN_BACKOFF_S)
                    continue
                if settled or member.holding:
                    idle_since = time.monotonic()
                elif idle_exit_s is not None and time.monotonic() - idle_since > idle_exit_s:
                    log.info("worker %s: idle for %.0f s; exiting", self.name, idle_exit_s)
                    break
        finally:
            self._leave()

    def _initialize(self) -> bool:
        """Load the service once; while the database is away, wait for it (or for stop)."""
        from pymongo.errors import PyMongoError

        while not self._stopping.is_set():
            try:
                self.worker.initialize()
                return True
            except PyMongoError as error:
                log.warning(
                    "worker %s: database not ready (%s); retrying in %.0f s",
                    self.name, type(error).__name__, DATABASE_BACKOFF_S,
                )  # fmt: skip
                self._stopping.wait(DATABASE_BACKOFF_S)
        return False

    def _member(self) -> RetryingConsumer:
        from modelguard.messaging.consumer import RetryingConsumer

        if self._consumer is None:
            handler = self.worker.allocate_trainer
            if self.metrics is not None:
                handler = self.metrics.timed(handler)
            self._consumer = RetryingConsumer(
                self.broker, self.topic, self.group, handler,
                policy=self.policy, on_attempt=self._on_attempt,
                on_handed_back=self._on_handed_back, before_commit=self._flush_reports,
                name=self.name,
            )  # fmt: skip
            if self._stopping.is_set():  # a signal arrived while it was joining
                self._consumer.stop()
        return self._consumer

    def _leave(self) -> None:
        from modelguard.messaging.port import BrokerError

        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            try:
                consumer.close()
            except BrokerError as error:
                log.warning("worker %s: could not leave the group cleanly: %s", self.name, error)

    def _on_handed_back(self, record, error) -> None:
        """The broker refused to let this member settle `record`: a commit refused after
        the group moved the partition on (a zombie waking up), or a failed publish."""
        from modelguard.messaging.events import MalformedEvent, parse_event

        try:
            event_id = parse_event(record.value).event_id
        except MalformedEvent:
            event_id = None
        where = {"topic": record.topic, "partition": record.partition, "offset": record.offset}
        log.warning(
            "worker %s: %s[%d]@%d handed back to the group (%s)",
            self.name, record.topic, record.partition, record.offset, type(error).__name__,
        )  # fmt: skip
        if self._report is not None:
            self._report.send(
                "handed_back",
                record={**where, "event_id": event_id, "error_class": type(error).__name__},
            )  # fmt: skip

    def _flush_reports(self) -> None:
        if self._report is not None:
            self._report.flush()

    def _on_attempt(self, attempt) -> None:
        if self.metrics is not None:
            self.metrics.observe(attempt)
        log.info(
            "event %s attempt %d: %s%s",
            attempt.event_id, attempt.attempt, attempt.outcome,
            f" ({attempt.error_class})" if attempt.error_class else "",
        )  # fmt: skip
        if self._report is not None:
            self._report.send("attempt", asdict(attempt))


class Report:
    """Publishes this process's attempts and model counts to a report topic.

    A report that cannot be published is logged and dropped: reports are for a
    runner's tally, and must never hold up or fail the record being handled. They
    are sent without waiting, and `flush` waits for a whole batch of them at once.
    """

    def __init__(self, broker, topic: str, process: WorkerProcess) -> None:
        self.topic, self.process = topic, process
        self._producer = broker.producer()

    def send(self, kind: str, attempt: dict | None = None, record: dict | None = None) -> None:
        from modelguard import registry
        from modelguard.messaging.port import BrokerError

        payload = {
            "kind": kind,
            "process": self.process.name,
            "attempt": attempt,
            "record": record,
            "compilations": dict(registry.compilations),
            "service_loads": self.process.worker.build.loads,
            # The process's Prometheus samples, so a runner elsewhere has them per process.
            "metrics": {} if self.process.metrics is None else self.process.metrics.snapshot(),
        }
        try:
            self._producer.send(
                self.topic, json.dumps(payload).encode(), key=self.process.name.encode()
            )
        except BrokerError as error:
            log.warning("worker %s: report not published: %s", self.process.name, error)

    def flush(self) -> None:
        from modelguard.messaging.port import BrokerError

        try:
            self._producer.flush()
        except BrokerError as error:
            log.warning("worker %s: reports not published: %s", self.process.name, error)


def _show_info_logs() -> None:
    """The worker's own INFO logs show even when the CLI keeps other loggers quiet."""
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    logging.getLogger("modelguard").setLevel(logging.INFO)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m modelguard worker", description="Run the allocation worker."
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
