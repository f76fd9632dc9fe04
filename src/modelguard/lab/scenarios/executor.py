"""The executor port: who runs the worker processes of a scenario, and how they die.

The runner (`runner.py`) decides what a scenario does and counts what happened; an
executor decides what a worker process is. Two implement this port:

- `threads.ThreadsExecutor`: each worker process is a set of threads in this
  process, on the memory broker; a kill is a `WorkerCrash` at the end of the next
  attempt, and nothing of the process says goodbye to the group;
- `processes.ProcessesExecutor`: each worker process is an OS process
  (`python -m modelguard worker`), on Kafka; a kill is SIGKILL.

An executor gives each run a `World` (a broker and a clean database), then a `Crew`:
the worker processes of that run, reporting every attempt to the run's AttemptLog.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from modelguard.lab.outcomes import AttemptLog
from modelguard.lab.under_test import WorkerUnderTest
from modelguard.messaging.port import Broker


@dataclass(frozen=True)
class World:
    """What one run has to itself: a broker to publish on and a database, clean at start."""

    run_id: str
    bus: Broker
    database: Any  # a pymongo (or mongomock) Database


@dataclass(frozen=True)
class Job:
    """What every worker process of a run does: the worker, its topic and group, its faults.

    `worker` is an allocation worker variant by name (the only kind a worker process of
    its own can run), or any `WorkerUnderTest`, which runs in this process."""

    worker: str | WorkerUnderTest
    policy: str
    topic: str
    group: str
    fail_attempts: Mapping[str, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.worker if isinstance(self.worker, str) else self.worker.name


class Crew(ABC):
    """The worker processes of one run. Leaving the block stops them cleanly."""

    @abstractmethod
    def launch(self, consumers: int, *, held: bool = False) -> None:
        """Start the run's workers: `consumers` members of the group in all. With `held`,
        they join the group but poll nothing until `published()`, where the executor can
        hold them (threads): the batches they poll are then the same in every run."""

    def published(self) -> None:  # noqa: B027 -- OS processes poll from the start
        """Every event of the run is published: held workers start polling."""

    @abstractmethod
    def kill(self) -> None:
        """Kill one worker process with no goodbye; safe from the thread that reports an
        attempt. `pump` then starts a new process in its place, as a supervisor would."""

    @abstractmethod
    def pump(self, timeout_s: float) -> None:
        """Let the workers run for up to `timeout_s`, taking their reports."""

    @abstractmethod
    def alive(self) -> bool:
        """Whether a worker process runs, or is about to be started again."""

    @abstractmethod
    def stop(self) -> None:
        """Stop every worker process cleanly: the record in hand finishes first."""

    @property
    @abstractmethod
    def processes(self) -> int:
        """Worker processes started so far."""

    @abstractmethod
    def compilations(self) -> dict[str, int]:
        """Per model, the most compilations any one process asked for."""

    @abstractmethod
    def service_loads(self) -> int:
        """Service loads over every process."""

    def metrics(self) -> list[dict[str, float]]:
        """Per process, its Prometheus samples as it stopped (or as it last reported them),
        when the executor can read them."""
        return []

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class Executor(ABC):
    """Runs scenarios on one broker; `with` it around a series of runs."""

    broker: ClassVar[str]

    @abstractmethod
    def world(self, run_id: str) -> AbstractContextManager[World]:
        """A broker and a clean database for run `run_id`, cleaned up afterwards."""

    @abstractmethod
    def crew(self, world: World, job: Job, log: AttemptLog) -> Crew:
        """The worker processes of a run, none started yet."""

    def close(self) -> None:  # noqa: B027 -- most executors hold nothing across runs
        """Free what the executor holds across runs."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


EXECUTORS = {
    "memory": "modelguard.lab.scenarios.threads:ThreadsExecutor",
    "kafka": "modelguard.lab.scenarios.processes:ProcessesExecutor",
}


def open_executor(broker: str) -> Executor:
    """The executor for `broker`, imported when asked for."""
    import importlib

    try:
        module_name, _, class_name = EXECUTORS[broker].partition(":")
    except KeyError:
        raise ValueError(f"unknown broker {broker!r}; choose from {', '.join(EXECUTORS)}") from None
    module = importlib.import_module(module_name)  # noqa: MG006 -- cached executor lookup
    executor: Executor = getattr(module, class_name)()
    return executor
