"""Reading what worker processes report: every attempt, and each process's model counts.

Worker processes started with --report-topic publish each attempt as a
`WorkerReport`, with their process's compilations and service loads.
`ReportInbox` reads that topic into one AttemptLog or several, and keeps the records
a worker reported it was not let settle (a commit refused after a rebalance). It takes each record
once, by offset, even when a rebalance (a broker restart) makes its consumer read
some again, and keeps each process's latest counts and metrics.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter

from modelguard.lab.outcomes import AttemptLog
from modelguard.messaging.port import Broker, BrokerError
from modelguard.ops.worker_report import HandedBack, WorkerReport

log = logging.getLogger(__name__)


class ReportInbox:
    def __init__(self, bus: Broker, topic: str, *logs: AttemptLog) -> None:
        self.bus, self.topic, self.logs = bus, topic, list(logs)
        self._counts: dict[str, tuple[dict[str, int], int]] = {}
        self._metrics: dict[str, dict[str, float]] = {}
        self._seen: dict[int, int] = {}
        # Records a worker was not let settle, with the name of that worker.
        self.handed_back: list[tuple[str, HandedBack]] = []
        self._group = f"report-reader.{uuid.uuid4().hex[:8]}"
        self._consumer = bus.consumer(self._group, [topic])

    def read(self, timeout_s: float = 0.2) -> int:
        """Take what arrived within `timeout_s`; returns how many attempts were new."""
        try:
            records = self._consumer.poll(timeout_s)
        except BrokerError as error:
            log.warning("report reader: %s; joining again", error)
            self._reopen()
            return 0
        attempts = 0
        for record in records:
            if record.offset <= self._seen.get(record.partition, -1):
                continue
            self._seen[record.partition] = record.offset
            report = WorkerReport.from_bytes(record.value)
            self._counts[report.process] = (report.compilations, report.service_loads)
            self._metrics[report.process] = report.metrics
            if report.attempt is not None:
                for attempt_log in self.logs:
                    attempt_log(report.attempt)
                attempts += 1
            if report.record is not None:
                self.handed_back.append((report.process, report.record))
        if records:
            try:
                self._consumer.commit(records[-1])
            except BrokerError:
                pass  # the offsets seen above keep a re-read from counting twice
        return attempts

    def has_reported(self, process: str) -> bool:
        """Whether the worker process named `process` has reported anything yet; its first
        report ("started") comes once it has initialized on the database."""
        return process in self._counts

    def compilations(self) -> Counter[str]:
        """Per model, the most compilations any one process asked for."""
        total: Counter[str] = Counter()
        for compiled, _ in self._counts.values():
            total |= Counter(compiled)
        return total

    def service_loads(self) -> int:
        return sum(loads for _, loads in self._counts.values())

    def metrics(self) -> list[dict[str, float]]:
        """Each process's latest Prometheus samples, in the order it first reported."""
        return list(self._metrics.values())

    def _reopen(self) -> None:
        try:
            self._consumer.close()
        except BrokerError:
            pass
        try:
            self._consumer = self.bus.consumer(self._group, [self.topic])
        except BrokerError as error:
            log.warning("report reader: cannot join yet: %s", error)
            time.sleep(1.0)

    def close(self) -> None:
        self._consumer.close()

    def __enter__(self) -> ReportInbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
