"""One run of a drill on real Kafka: the skeleton the scenarios, soak, bench and zombie
drill share.

A `KafkaRun` owns, for one run id:

- the names: its topic, consumer group and report topic (`config.run_names`), and a
  database of its own on the MONGODB_URI server (`config.run_database_name`), fresh
  at the start and tagged with the run id (worker processes cannot share a mongomock,
  so there is no run without a real server: `require_database_uri` refuses with
  MissingDatabase). A run leaves its topics and its database together, so that what
  an operator reads afterwards (`dlq inspect`, Kafka's own tools) is one run's
  consistent state, and the tag lets `dlq inspect` check the two belong together;
- the broker: the one it is given, or one it opens and closes;
- the report inbox (`open_inbox`), when the workers are to report, and the worker
  processes (`workers`), all started from one command line on the run's topic,
  group, database and broker; each is a context manager the caller scopes, so that
  the workers are stopped before anything is read from what they left;
- the deadline: `check` raises RunTimedOut, saying how far the run got, once it has
  passed, and `until` polls (reading the inbox while it waits, or sleeping when there
  is none) until a condition holds.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from typing import Any

from modelguard.config import require_database_uri, run_names
from modelguard.lab.databases import fresh_database, run_database_name
from modelguard.lab.outcomes import AttemptLog
from modelguard.lab.reports import ReportInbox
from modelguard.lab.scenarios.runner import create_topics
from modelguard.lab.worker_processes import WorkerProcesses, worker_command, worker_env
from modelguard.messaging.idempotency import tag_run
from modelguard.messaging.port import Broker


class RunTimedOut(TimeoutError):
    """A drill on Kafka did not get where it had to before its deadline."""


class KafkaRun:
    def __init__(
        self,
        run_id: str,
        *,
        drill: str = "run",
        timeout_s: float | None = None,
        bus: Broker | None = None,
        uri: str | None = None,
    ) -> None:
        self.run_id, self.drill = run_id, drill
        self.uri = uri if uri is not None else require_database_uri()
        self.topic, self.group, self.reports = run_names(run_id)
        self.replayer = f"replayer.{run_id}"  # the group a replay of the run's DLQ uses
        self.database_name = run_database_name(run_id)
        self.deadline = math.inf if timeout_s is None else time.monotonic() + timeout_s
        self.inbox: ReportInbox | None = None
        self._bus = bus
        self._stack = ExitStack()
        self.database: Any = None  # a pymongo Database, once the run is entered

    @property
    def bus(self) -> Broker:
        if self._bus is None:
            raise RuntimeError("a KafkaRun opens its broker when entered")
        return self._bus

    def __enter__(self) -> KafkaRun:
        with ExitStack() as stack:
            if self._bus is None:
                from modelguard.bootstrap import open_broker

                self._bus = stack.enter_context(open_broker("kafka"))
            self.database = fresh_database(self.uri, self.database_name)
            tag_run(self.database, run_id=self.run_id)
            self._stack = stack.pop_all()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()

    def create_topics(self, partitions: int) -> None:
        """The run's topic and retry topic with `partitions` each, and its DLQ."""
        create_topics(self.bus, self.topic, partitions=partitions)

    def open_inbox(self, *logs: AttemptLog) -> ReportInbox:
        """The report topic, and the inbox that reads it into `logs`; workers started
        after this report there."""
        self.bus.create_topic(self.reports, 1)
        self.inbox = ReportInbox(self.bus, self.reports, *logs)
        return self.inbox

    def workers(
        self,
        variant: str = "fixed",
        *,
        policy: str = "seed",
        faults: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> WorkerProcesses:
        """Worker processes of `variant` on the run's topic, group and database, none
        started yet; `env` adds to their environment."""
        command = worker_command(
            variant, self.topic, self.group, policy=policy, faults=faults,
            report_topic=self.reports if self.inbox is not None else None,
        )  # fmt: skip
        environment = {**worker_env(self.bus, self.uri, self.database_name), **(env or {})}
        return WorkerProcesses(command, environment)

    def check(self, progress: str) -> None:
        """Raise RunTimedOut, with `progress`, once the deadline has passed."""
        if time.monotonic() > self.deadline:
            raise RunTimedOut(f"{self.drill} timed out: {progress}")

    def wait(self, poll_s: float = 0.2) -> None:
        """Let `poll_s` pass, taking the workers' reports meanwhile if they report."""
        if self.inbox is not None:
            self.inbox.read(poll_s)
        else:
            time.sleep(poll_s)

    def until(
        self,
        done: Callable[[], bool],
        progress: str | Callable[[], str],
        poll_s: float = 0.2,
        *,
        each: Callable[[], None] = lambda: None,
    ) -> None:
        """Wait, checking the deadline, until `done()`; `each()` runs after every wait."""
        while not done():
            self.check(progress if isinstance(progress, str) else progress())
            self.wait(poll_s)
            each()

    def wait_for_group(self, members: int, poll_s: float = 0.2) -> None:
        """Until the group is stable with `members` members: a later join would pause
        the group for a rebalance."""
        self.until(
            lambda: self.bus.group_members(self.group) == members,
            f"the {members} worker(s) never formed a stable group",
            poll_s,
        )
