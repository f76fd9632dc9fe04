"""The allocation worker's runtime: one worker in one process, and what it reports.

It decides:

- start-up: the worker variant is initialized once, waiting for the database if it is
  not there yet (or until it is told to stop);
- the loop: one RetryingConsumer in the group; when the broker fails it, the member
  leaves and a new one joins, so the records in hand are redelivered, never skipped;
  with `idle_exit_s`, it returns after that long without a record to handle;
- reports: every Attempt is logged (never with the URI's password) and, once
  `report_to` names a topic, published as a `WorkerReport`, and so is every record
  the broker would not let it settle. Reports are sent as a batch settles and flushed
  once per batch, before its commit, so a committed record's report is never lost to
  a SIGKILL;
- metrics: every attempt and handler call is counted into the process's
  `WorkerMetrics`, through the consumer's `on_attempt` and a handler wrapper;
  `serve_metrics` lets Prometheus scrape them;
- stopping: `stop` (safe from a signal handler) lets the record in hand finish and
  commit, then the member leaves its group. A crash is a SIGKILL from outside;
  nothing here simulates one.

Configuration, signals and exit codes are the command line's
(`entrypoints.worker`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import TYPE_CHECKING

from pymongo.errors import PyMongoError

from modelguard import registry
from modelguard.messaging.consumer import Attempt, RetryingConsumer
from modelguard.messaging.events import MalformedEvent, parse_event
from modelguard.messaging.port import AuthenticationFailedError, Broker, BrokerError, Record
from modelguard.ops.worker_report import HandedBack, ReportKind, WorkerReport, process_name

if TYPE_CHECKING:
    from http.server import HTTPServer

    from modelguard.academy.workers.allocation import AllocationWorker
    from modelguard.messaging.policy import RetryPolicy
    from modelguard.ops.metrics import WorkerMetrics

log = logging.getLogger("modelguard.worker")

POLL_S = 0.2
REJOIN_BACKOFF_S = 2.0
DATABASE_BACKOFF_S = 2.0


def serve_metrics(metrics: WorkerMetrics, host: str, port: int) -> HTTPServer:
    """Serve `metrics` at http://host:port/metrics from a daemon thread; the server."""
    from prometheus_client import start_http_server

    server, _thread = start_http_server(port, addr=host, registry=metrics.registry)
    return server


class WorkerProcess:
    """One worker in one process: initialize once, then consume until stopped."""

    def __init__(
        self,
        broker: Broker,
        worker: AllocationWorker,
        *,
        topic: str,
        group: str,
        policy: RetryPolicy,
        metrics: WorkerMetrics | None = None,
    ) -> None:
        self.broker, self.worker = broker, worker
        self.topic, self.group, self.policy = topic, group, policy
        self.metrics = metrics
        self.name = process_name(os.getpid())
        self._stopping = threading.Event()
        self._consumer: RetryingConsumer | None = None
        self._report: ReportSender | None = None

    def report_to(self, topic: str) -> None:
        self._report = ReportSender(self.broker, topic, self)

    def stop(self, reason: str = "stop") -> None:
        """Safe from a signal handler: the record in hand finishes and is committed."""
        first = not self._stopping.is_set()
        self._stopping.set()
        if self._consumer is not None:
            self._consumer.stop()
        if first:
            log.info("worker %s: %s received; finishing the record in hand", self.name, reason)

    def run(self, *, idle_exit_s: float | None = None) -> None:
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
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            try:
                consumer.close()
            except BrokerError as error:
                log.warning("worker %s: could not leave the group cleanly: %s", self.name, error)

    def _on_handed_back(self, record: Record, error: BrokerError) -> None:
        """The broker refused to let this member settle `record`: a commit refused after
        the group moved the partition on (a zombie waking up), or a failed publish."""
        try:
            event_id = parse_event(record.value).event_id
        except MalformedEvent:
            event_id = None
        log.warning(
            "worker %s: %s[%d]@%d handed back to the group (%s)",
            self.name, record.topic, record.partition, record.offset, type(error).__name__,
        )  # fmt: skip
        if self._report is not None:
            where = HandedBack(
                record.topic, record.partition, record.offset, event_id, type(error).__name__
            )
            self._report.send("handed_back", record=where)

    def _flush_reports(self) -> None:
        if self._report is not None:
            self._report.flush()

    def _on_attempt(self, attempt: Attempt) -> None:
        if self.metrics is not None:
            self.metrics.observe(attempt)
        log.info(
            "event %s attempt %d: %s%s",
            attempt.event_id, attempt.attempt, attempt.outcome,
            f" ({attempt.error_class})" if attempt.error_class else "",
        )  # fmt: skip
        if self._report is not None:
            self._report.send("attempt", attempt=attempt)


class ReportSender:
    """Publishes this process's attempts and model counts to a report topic.

    A report that cannot be published is logged and dropped: reports are for a
    runner's tally, and must never hold up or fail the record being handled. They
    are sent without waiting, and `flush` waits for a whole batch of them at once.
    """

    def __init__(self, broker: Broker, topic: str, process: WorkerProcess) -> None:
        self.topic, self.process = topic, process
        self._producer = broker.producer()

    def send(
        self, kind: ReportKind, *, attempt: Attempt | None = None, record: HandedBack | None = None
    ) -> None:
        metrics = self.process.metrics
        report = WorkerReport(
            kind=kind,
            process=self.process.name,
            compilations=dict(registry.compilations),
            service_loads=self.process.worker.build.loads,
            # The process's Prometheus samples, so a runner elsewhere has them per process.
            metrics={} if metrics is None else metrics.snapshot(),
            attempt=attempt,
            record=record,
        )
        try:
            self._producer.send(self.topic, report.to_bytes(), key=self.process.name.encode())
        except BrokerError as error:
            log.warning("worker %s: report not published: %s", self.process.name, error)

    def flush(self) -> None:
        try:
            self._producer.flush()
        except BrokerError as error:
            log.warning("worker %s: reports not published: %s", self.process.name, error)
