"""Running a learner's worker folder through the lab's scenarios, and keeping the evidence.

Each scenario of the incident report runs against the learner's worker with the
ordinary runner, in the ordinary way: the worker is started afresh in every
worker process (`initialize()`, then `handle(event, attempt)` per delivery). The
learner's code does not inject faults, so the adapter here does it for them,
before their handler runs: the scenario's failing attempts are a dependency that
failed, and Kafka retries them.

`Evidence` keeps what the verdict reads: the scenario results (the runner's
JSON, so `views.plots` draws them), the errors the worker raised with their
notes (the registry's diagnosis), how often each learner file ran in one worker
process, and the lint check's findings on the learner's files.
"""

from __future__ import annotations

import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from modelguard.entrypoints.lint import Finding, check_paths
from modelguard.lab.exercise.learner import LearnerPackage
from modelguard.lab.faults import FaultPlan, InjectedFailure
from modelguard.lab.scenarios import Scenario, run_scenario, scenarios
from modelguard.lab.under_test import ScenarioWorker, WorkerUnderTest, duplicates_per_key
from modelguard.messaging.events import PurchaseCreated


@dataclass(frozen=True)
class WorkerFile:
    """Where the learner's worker is, and the records it keeps one of per purchase."""

    module: str = "notification_worker"
    worker_class: str = "NotificationWorker"
    collection: str = "push_receipts"
    key: str = "purchase_id"


NOTIFICATION_WORKER = WorkerFile()


@dataclass
class Evidence:
    folder: Path
    results: list[dict] = field(default_factory=list)
    errors: dict[str, list[BaseException]] = field(default_factory=dict)  # scenario -> raised
    process_runs: list[Counter[str]] = field(default_factory=list)  # per process: file -> runs
    findings: list[Finding] = field(default_factory=list)
    start_error: BaseException | None = None  # the worker could not even start
    timeout_s: float = 0.0

    @property
    def runs(self) -> Counter[str]:
        """File (relative to the folder) -> the most times it ran in one worker process."""
        most: Counter[str] = Counter()
        for runs in self.process_runs:
            most |= runs
        return most

    def as_result(self, name: str = "your worker") -> dict:
        """The shape `scenarios.run_variant` returns, for `views.plots` and `views.tables`."""
        return {"variant": name, "broker": "memory", "policy": "seed", "scenarios": self.results}

    def first_error(
        self, class_name: str = "OverwriteModelError", scenario: str | None = None
    ) -> BaseException | None:
        """The first error of that class the worker raised (in one scenario, or in any)."""
        chosen = [self.errors.get(scenario, [])] if scenario else self.errors.values()
        raised = (error for errors in chosen for error in errors)
        return next((e for e in raised if class_name in _class_names(e)), None)


def run(
    folder: str | Path,
    worker: WorkerFile = NOTIFICATION_WORKER,
    *,
    plan: list[Scenario] | None = None,
    timeout_s: float = 30.0,
) -> Evidence:
    """Run `plan` (the four scenarios, at a small size, by default) against the folder."""
    plan = plan if plan is not None else scenarios(events=12, consumers=3)
    evidence = Evidence(Path(folder).resolve(), timeout_s=timeout_s)
    with LearnerPackage(folder) as package:
        evidence.findings = check_paths([str(path) for path in package.files()])
        for scenario in plan:
            errors = evidence.errors.setdefault(scenario.name, [])
            under_test = _learner_worker(package, worker, evidence.process_runs, errors)
            try:
                result = run_scenario(scenario, under_test, timeout_s=timeout_s)
            except Exception as error:  # the learner's code failed before it handled anything
                evidence.start_error = error
                break
            evidence.results.append(result.to_json())
    return evidence


def _learner_worker(
    package: LearnerPackage,
    spec: WorkerFile,
    process_runs: list[Counter[str]],
    errors: list[BaseException],
) -> WorkerUnderTest:
    def make(faults: FaultPlan) -> ScenarioWorker:
        runs = package.start_process()
        process_runs.append(runs)
        module = package.import_module(spec.module)
        worker = getattr(module, spec.worker_class)()
        return _Attempts(worker, faults, runs, errors)

    return WorkerUnderTest(
        f"{package.name}.{spec.module}", make, duplicates_per_key(spec.collection, spec.key)
    )


class _Attempts:
    """The learner's worker as the runner drives it: faults first, errors kept."""

    def __init__(self, worker, faults: FaultPlan, runs: Counter[str], errors: list):
        self._worker, self._faults, self._runs, self._errors = worker, faults, runs, errors

    @property
    def service_loads(self) -> int:
        return max(self._runs.values(), default=0)

    def initialize(self) -> None:
        self._worker.initialize()

    def handle(self, event: PurchaseCreated, attempt: int) -> object:
        try:
            self._faults.before_allocation(event.event_id, attempt)
            return self._worker.handle(event, attempt)
        except InjectedFailure:
            raise
        except Exception as error:
            self._errors.append(error)
            raise
        finally:
            self._faults.after_attempt(event.event_id, attempt)


def _class_names(error: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(error).__mro__}


def where(error: BaseException, folder: Path) -> str:
    """The innermost line of the learner's own code in the error's traceback, if any."""
    if isinstance(error, SyntaxError) and error.filename:  # raised before any frame ran
        source = Path(error.filename).resolve()
        if source.is_relative_to(folder):
            return f"{source.relative_to(folder).as_posix()} line {error.lineno}"
    inside = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if Path(frame.filename).resolve().is_relative_to(folder)
    ]
    if not inside:
        return ""
    frame = inside[-1]
    return f"{Path(frame.filename).resolve().relative_to(folder).as_posix()} line {frame.lineno}"
