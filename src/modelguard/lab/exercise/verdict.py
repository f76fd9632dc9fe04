"""The scenarios' account of a `run()`, in plain words: what still fails, one numbered point each.

Notebook 07's check does not use it: `check()` judges the promise (`promise`). This
module reads the evidence of `run()`, the incident report's scenarios, for callers
that want that account (`judge(run(folder))`).

A scenario is right when every event succeeded, none went to the dead letter
queue, no attempt raised anything but the failures the check injected, and the
database holds, when it ends, exactly one receipt per purchase with the
purchase's buyer and course (`stored`): what the worker returned is not taken
on trust. The worker is right when every scenario is, no file of the learner's
ran more than once in one worker process, no model was compiled more than once
in one, the service was built once per worker process, and the lint check finds
nothing in the files. Each point says what happened, in the lab's numbers, and
where to look.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelguard.lab.exercise.learner import ProcessRecord
from modelguard.lab.exercise.run import INJECTED, Evidence, where
from modelguard.messaging.outcome import Outcome

WHAT_IT_TRIES = {
    "kafka_retry": "one event whose first attempt fails before your handler is called, "
    "so Kafka retries it",
    "multiple_retries": "one event whose attempts 1 to 4 fail before your handler is called; "
    "attempt 5 must succeed",
    "concurrent_events": "many events at once over several consumers",
    "worker_restart": "the worker process dies halfway and a new one takes over",
    "database_timeout": "one event whose first attempt finds the database timing out inside "
    "your handler; attempt 2 must store its receipt",
}
WHERE_FAULTS_FIRE = (
    "How to read this: in kafka_retry and multiple_retries the failures happen before your "
    "handler is called, so your code first runs on the attempt after them (attempt 2, or "
    "attempt 5); in database_timeout the failure happens inside your handler."
)


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)
    right: list[str] = field(default_factory=list)  # the scenarios that already pass
    scenarios_failed: bool = False

    @property
    def passed(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        if self.passed:
            return _wrap(
                "Passed. Every scenario succeeded ("
                + ", ".join(self.right)
                + "): no dead letters, no OverwriteModelError, and when each ended the database "
                "held exactly one receipt per purchase, with its buyer and its course: none "
                "lost, none doubled. Each of your files ran once per worker process, the "
                "service was built once per worker process, and the lint check finds nothing."
            )
        count = len(self.problems)
        lines = [f"Not yet: {count} thing{'s' * (count != 1)} still fail{'s' * (count == 1)}.", ""]
        for number, problem in enumerate(self.problems, 1):
            lines.append(_wrap(problem, first=f"{number}. ", rest="   "))
        if self.right:
            lines += ["", _wrap("Already right: " + ", ".join(self.right) + ".")]
        if self.scenarios_failed:
            lines += ["", _wrap(WHERE_FAULTS_FIRE)]
        lines += ["", "Edit your files and run this cell again."]
        return "\n".join(lines)


def judge(evidence: Evidence) -> Verdict:
    verdict = Verdict()
    folder = evidence.folder
    if evidence.start_error is not None:
        error = evidence.start_error
        verdict.problems.append(
            f"Your worker did not start. The error{_at(error, folder)}: {_one_line(error)} "
            + _diagnosis(error, folder)
            + "Nothing else ran; fix that first."
        )
    explained = False
    for result in evidence.results:
        problem = _scenario_problem(result, evidence, explained)
        if problem:
            verdict.problems.append(problem)
            verdict.scenarios_failed = True
            explained = explained or "diagnosis" in problem
        else:
            verdict.right.append(result["name"])
    if evidence.outage_missed:
        verdict.problems.append(
            "database_timeout could not time the database out: "
            f"{evidence.outage_missed}. Register the receipt model through modelguard's "
            "registry, as the shipped notifications.py does."
        )
    compiled: Counter[str] = Counter()
    for result in evidence.results:
        compiled |= Counter(result["compilations"])
    replaced = evidence.first_error("OverwriteModelError") is None
    verdict.problems += _ran_twice(evidence.runs, compiled, replaced)
    if evidence.results:
        verdict.problems += _built(evidence.all_processes(), evidence.worker.service_class)
    for finding in evidence.findings:
        name = Path(finding.path).resolve().relative_to(folder).as_posix()
        verdict.problems.append(
            f"The lint check, {name} line {finding.line}: {finding.code} {finding.message}."
        )
    return verdict


def _scenario_problem(
    result: Mapping[str, Any], evidence: Evidence, explained: bool
) -> str:
    name, events = result["name"], result["events"]
    errors = {k: v for k, v in result["errors"].items() if k not in INJECTED}
    dead_lettered = result[Outcome.DEAD_LETTERED]
    pending = events - result["succeeded"] - dead_lettered
    stored = evidence.stored.get(name)
    in_database = stored.problems() if stored is not None else []
    if not (dead_lettered or pending or errors or in_database):
        return ""
    said = [f"{name} ({WHAT_IT_TRIES.get(name, 'a scenario of the incident report')}):"]
    if dead_lettered:
        dead = [e for e in result["per_event"] if e["outcome"] == Outcome.DEAD_LETTERED]
        said.append(
            f"{_of(len(dead), events)} went to the dead letter queue after "
            f"{max(e['attempts'] for e in dead)} attempts."
        )
    if pending:
        said.append(f"{_of(pending, events)} neither succeeded nor failed within "
                    f"{evidence.timeout_s:.0f} s.")  # fmt: skip
    if in_database:
        said.append(f"The database, when it ended: {stored}.")
    for class_name, count in errors.items():
        said.append(f"Attempts raised {class_name} {_times(count)}.")
        error = evidence.first_error(class_name, scenario=name)
        if error is not None:
            said.append(f"The first{_at(error, evidence.folder)}: {_one_line(error)}")
            if not explained:
                said.append(_diagnosis(error, evidence.folder))
                explained = True
    return " ".join(s for s in said if s)


def _ran_twice(runs: Counter[str], compiled: Counter[str], replaced: bool) -> list[str]:
    problems = [
        f"{file} ran {_times(count)} in one worker process. A worker runs each of its files "
        "once: import the service once, build it in initialize(), and reuse it on every retry."
        for file, count in sorted(runs.items())
        if count > 1
    ]
    problems += [
        f"The registry was asked to compile {model} {_times(count)} in one worker process; "
        "the fixed worker compiles each model once."
        + (
            " No OverwriteModelError was raised because the model was replaced each time "
            "(overwrite=True, or delete_model() first): that hides the error, and every run "
            "still compiles a new class."
            if replaced
            else ""
        )
        for model, count in sorted(compiled.items())
        if count > 1
    ]
    return problems


def _built(processes: list[ProcessRecord], service: str) -> list[str]:
    """The service must be built once per worker process: name every extra construction."""
    if not any(record.built.get(service) for record in processes):
        return [
            f"No {service} was ever built. The check counts constructions of the class of that "
            "name in your files: build one in initialize() and reuse it on every retry."
        ]
    most = max(processes, key=lambda record: len(record.built.get(service, [])))
    places = Counter(most.built[service])
    if len(most.built[service]) <= 1:
        return []
    where_built = ", ".join(f"{_times(n)} at {place}" for place, n in places.items())
    return [
        f"{service} was built {_times(len(most.built[service]))} in one worker process: "
        f"{where_built}. Build it once, in initialize(), and reuse it on every retry."
    ]


def _diagnosis(error: BaseException, folder: Path) -> str:
    diagnosis = getattr(error, "diagnosis", "")
    if not diagnosis:
        return ""
    shown = diagnosis.replace(f"{folder.parent}/", "")  # a path as the learner sees it
    return f"The registry's diagnosis: {shown}"


def _one_line(error: BaseException) -> str:
    """`Class: first line of the message`, ending in a full stop."""
    message = str(error).strip().splitlines()
    text = f"{type(error).__name__}: {message[0]}" if message else type(error).__name__
    return text if text.endswith((".", "!", "?")) else text + "."


def _at(error: BaseException, folder: Path) -> str:
    place = where(error, folder)
    return f" was raised at {place}" if place else ""


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def _of(count: int, events: int) -> str:
    if events == 1:
        return "its event" if count == 1 else f"{count} events"
    return f"{count} of {events} events"


def _wrap(text: str, first: str = "", rest: str = "") -> str:
    return textwrap.fill(
        text, 100, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False
    )
