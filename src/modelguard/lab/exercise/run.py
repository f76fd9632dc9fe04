"""Running a learner's worker folder through the lab's scenarios, and keeping the evidence.

Each scenario of the incident report runs against the learner's worker with the
ordinary runner, in the ordinary way: the worker is started afresh in every
worker process (`initialize()`, then `handle(event, attempt)` per delivery). The
learner's code does not inject faults, so the adapter here does it for them,
before their handler is called: the scenario's failing attempts are a dependency
that failed, and Kafka retries them. After the four, the check's own case
(`outage`) makes the database time out inside the handler instead.

`Evidence` keeps what the verdict reads: the scenario results (the runner's
JSON, so `views.plots` draws them), what the database holds for each scenario's
purchases when it ends (`stored`), the errors the worker raised with their notes
(the registry's diagnosis), what each worker process did with the learner's
files (runs of each file, constructions of the service and where), and the lint
check's findings on the learner's files.
"""

from __future__ import annotations

import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from modelguard.lab.exercise.learner import LearnerPackage, ProcessRecord
from modelguard.lab.exercise.outage import (
    DATABASE_TIMEOUT,
    TIMED_OUT_ATTEMPTS,
    InjectedDatabaseTimeout,
    database_times_out,
    models_keeping,
)
from modelguard.lab.exercise.stored import Receipts, Stored, read_stored
from modelguard.lab.faults import FaultPlan, InjectedFailure
from modelguard.lab.outcomes import ScenarioJson, VariantRun
from modelguard.lab.scenarios import Scenario, run_scenario, scenarios
from modelguard.lab.under_test import ScenarioWorker, WorkerUnderTest, duplicates_per_key
from modelguard.lint import Finding, check_paths
from modelguard.messaging.events import PurchaseCreated

INJECTED = ("InjectedFailure", InjectedDatabaseTimeout.__name__)  # errors the check caused


@dataclass(frozen=True)
class WorkerFile:
    """Where the learner's worker is, its service, and the records it keeps one of per
    purchase."""

    module: str = "notification_worker"
    worker_class: str = "NotificationWorker"
    service_class: str = "NotificationService"  # built once per worker process
    receipts: Receipts = field(default_factory=Receipts)


NOTIFICATION_WORKER = WorkerFile()


@dataclass
class Evidence:
    folder: Path
    worker: WorkerFile = NOTIFICATION_WORKER
    results: list[ScenarioJson] = field(default_factory=list)
    stored: dict[str, Stored] = field(default_factory=dict)  # scenario -> the database's
    errors: dict[str, list[BaseException]] = field(default_factory=dict)  # scenario -> raised
    processes: dict[str, list[ProcessRecord]] = field(default_factory=dict)  # scenario ->
    findings: list[Finding] = field(default_factory=list)
    start_error: BaseException | None = None  # the worker could not even start
    outage_missed: str = ""  # why the database timeout could not be injected, if it could not
    timeout_s: float = 0.0

    @property
    def runs(self) -> Counter[str]:
        """File (relative to the folder) -> the most times it ran in one worker process."""
        most: Counter[str] = Counter()
        for record in self.all_processes():
            most |= record.runs
        return most

    def all_processes(self) -> list[ProcessRecord]:
        return [record for records in self.processes.values() for record in records]

    def as_result(self, name: str = "your worker") -> VariantRun:
        """The shape `scenarios.run_variant` returns, for `views.plots` and `views.tables`."""
        return VariantRun(variant=name, broker="memory", policy="seed", scenarios=self.results)

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
    """Run `plan` against the folder: by default the four scenarios, at the size the lab's
    notebooks use (20 events), and then the database timeout inside the handler."""
    plan = plan if plan is not None else [*scenarios(events=20, consumers=3), DATABASE_TIMEOUT]
    evidence = Evidence(Path(folder).resolve(), worker=worker, timeout_s=timeout_s)
    with LearnerPackage(folder, watch=(worker.service_class,)) as package:
        evidence.findings = check_paths([str(path) for path in package.files()])
        for scenario in plan:
            delivered: dict[str, PurchaseCreated] = {}
            under_test, held = _learner_worker(package, worker, scenario, evidence, delivered)
            try:
                result = run_scenario(scenario, under_test, timeout_s=timeout_s).to_json()
            except Exception as error:  # the learner's code failed before it handled anything
                evidence.start_error = error
                break
            evidence.results.append(result)
            evidence.stored[scenario.name] = _judged(held, delivered, result)
    return evidence


def _judged(
    held: list[Stored], delivered: dict[str, PurchaseCreated], result: ScenarioJson
) -> Stored:
    """The database's receipts against every purchase the scenario made, with outcomes."""
    stored = held[0]
    by_event = {event.event_id: event for event in delivered.values()}
    for outcome in result["per_event"]:
        event = by_event.get(outcome["event_id"])
        if event is not None:
            stored.outcomes[event.purchase_id] = outcome["outcome"]
    return stored


def _learner_worker(
    package: LearnerPackage,
    spec: WorkerFile,
    scenario: Scenario,
    evidence: Evidence,
    delivered: dict[str, PurchaseCreated],
) -> tuple[WorkerUnderTest, list[Stored]]:
    errors = evidence.errors.setdefault(scenario.name, [])
    records = evidence.processes.setdefault(scenario.name, [])
    outage = scenario.name == DATABASE_TIMEOUT.name
    held: list[Stored] = []  # what the database holds, read as the scenario ends

    def make(faults: FaultPlan) -> ScenarioWorker:
        record = package.start_process()
        records.append(record)
        module = package.import_module(spec.module)
        worker = getattr(module, spec.worker_class)()
        return _Attempts(worker, faults, record, errors, delivered, spec, outage, evidence)

    count_duplicates = duplicates_per_key(spec.receipts.collection, spec.receipts.key)

    def read_database(database) -> int:
        # The runner reads its database here while the scenario's world is still open.
        held.append(read_stored(database, delivered, spec.receipts))
        return count_duplicates(database)

    return WorkerUnderTest(f"{package.name}.{spec.module}", make, read_database), held


class _Attempts:
    """The learner's worker as the runner drives it: faults first, errors kept."""

    def __init__(
        self,
        worker,
        faults: FaultPlan,
        record: ProcessRecord,
        errors: list,
        delivered: dict[str, PurchaseCreated],
        spec: WorkerFile,
        outage: bool,
        evidence: Evidence,
    ) -> None:
        self._worker, self._faults, self._record, self._errors = worker, faults, record, errors
        self._delivered, self._spec, self._outage, self._evidence = (
            delivered, spec, outage, evidence,
        )  # fmt: skip

    @property
    def service_loads(self) -> int:
        return max(self._record.runs.values(), default=0)

    def initialize(self) -> None:
        self._worker.initialize()

    def handle(self, event: PurchaseCreated, attempt: int) -> object:
        self._delivered[event.purchase_id] = event
        try:
            self._faults.before_allocation(event.event_id, attempt)
            if self._outage and attempt <= TIMED_OUT_ATTEMPTS:
                return self._handle_in_outage(event, attempt)
            return self._worker.handle(event, attempt)
        except (InjectedFailure, InjectedDatabaseTimeout):
            raise
        except Exception as error:
            self._errors.append(error)
            raise
        finally:
            self._faults.after_attempt(event.event_id, attempt)

    def _handle_in_outage(self, event: PurchaseCreated, attempt: int) -> object:
        collection = self._spec.receipts.collection
        models = models_keeping(collection)
        if not models:
            self._evidence.outage_missed = (
                f"no model compiled by modelguard's registry keeps the collection {collection!r}"
            )
            return self._worker.handle(event, attempt)
        with database_times_out(models, collection):
            return self._worker.handle(event, attempt)


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
