"""The worker process the soak kills and restarts, and the consumers inside it.

It decides what a new process is (no model and no service loaded, the next
planned kill armed) and how a consumer names the published record each of its
reports is about, so that the ledger can settle records, not events.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

from modelguard.bootstrap import fresh_process, new_worker
from modelguard.lab.faults import FaultPlan
from modelguard.lab.soak.accounting import Ledger
from modelguard.lab.soak.records import RECORD_ID
from modelguard.messaging.consumer import Attempt, Handler, RetryingConsumer
from modelguard.messaging.events import PurchaseCreated


class AccountedConsumer(RetryingConsumer):
    """A RetryingConsumer whose reports name the published record they are about."""

    def __init__(self, *args, ledger: Ledger, **kwargs) -> None:
        self._ledger = ledger
        super().__init__(*args, **kwargs)

    @property
    def record_in_hand(self) -> bytes | None:
        """The published record this consumer is handling, or handled last."""
        record = self.current_record
        return None if record is None else record.header(RECORD_ID)

    def report(self, record, attempt: Attempt) -> None:
        self._ledger.report(record.header(RECORD_ID), attempt)


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
        worker = new_worker(
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
