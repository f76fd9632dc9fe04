"""The verdict: the worker's promise, judged as invariants over everything the check recorded.

The promise is "each buyer is told once about each purchase". For every purchase
made, over every delivery and every worker process:

1. told exactly once: the writes that created or changed its receipt, counted at
   the collection (insert, update, upsert alike), are exactly one, and the worker
   answered "notified" at most once;
2. one receipt: the database holds exactly one, with the purchase's buyer and a
   title that names the course bought;
3. durable before acknowledged: whenever `handle()` returned, the receipt was
   already stored, so committing the offset then was safe;

and nothing was told for a purchase nobody made. Each worker process ran each of
the learner's files once, compiled each model once, and built the service once;
and the lint check finds nothing in code that runs.

Every sentence is made from what was recorded: the purchase, the delivery, the
line of the learner's code, the error and where it was raised and caught. A lint
finding in a function nothing calls is said as such, and does not fail the check.
"""

from __future__ import annotations

import re
import signal
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from modelguard.lab.exercise.conductor import Record
from modelguard.lab.exercise.schedule import KILLS

HAZARD_SAID = {
    "plain": "delivered once",
    "redelivered": "delivered again after it was handled, as after a failed commit",
    "kafka_retry": "its attempt 1 failed before the handler was called, so it was retried",
    "multiple_retries": "its attempts 1 to 4 failed before the handler was called",
    "database_timeout": "the database timed out inside the handler on attempt 1",
    "race": "delivered twice at once, to two consumers",
    "killed_before": "the worker process was killed as it arrived, then it went to a new one",
    "killed_at_write": "the worker process was killed as the handler's first database "
    "write started, then it went to a new one",
    "killed_after_write": "the worker process was killed just after the handler's first "
    "database write, then it went to a new one",
    "killed_after_answer": "the worker process was killed after the handler answered, "
    "before the offset commit, then it went to a new one",
}
SHOWN = 3


@dataclass
class Verdict:
    seed: int
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # observed, but not failing the check
    held: str = ""  # what held, said when the check passes
    killed: int = 0  # worker processes that ended by SIGKILL
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        lines = []
        if self.passed:
            lines.append(_wrap(f"Passed (seed {self.seed}). {self.held}"))
        else:
            count = len(self.problems)
            lines += [
                f"Not yet (seed {self.seed}): {count} thing{'s' * (count != 1)} still "
                f"fail{'s' * (count == 1)}.",
                "",
            ]
            lines += [_wrap(p, f"{n}. ", "   ") for n, p in enumerate(self.problems, 1)]
        if self.notes:
            lines += ["", *(_wrap(note, "Note: ", "      ") for note in self.notes)]
        lines += [
            "",
            _wrap(
                f"The check took {self.seconds:.1f} s. check(FOLDER, seed={self.seed}) plays "
                "the same deliveries again."
            ),
        ]
        if not self.passed:
            lines.append("Edit your files and run this cell again.")
        return "\n".join(lines)


def judge_record(record: Record, worker: Any) -> Verdict:
    verdict = Verdict(record.seed, seconds=record.seconds)
    if record.start_error is not None:
        error = record.start_error
        verdict.problems.append(
            f"Your worker did not start: {_error(error)} {_diagnosis(error)}"
            "Nothing else ran; fix that first."
        )
    else:
        explained: set[str] = set()  # diagnoses already given
        for purchase in sorted(record.purchases):
            said = _purchase(record, purchase, worker, explained)
            if said:
                verdict.problems.append(said)
        verdict.problems += _strays(record)
    for kept in record.processes:
        verdict.problems += _process(record, kept, worker)
    if record.start_error is None and not any(
        kept.built for kept in record.processes
    ):  # fmt: skip
        verdict.problems.append(
            f"No {worker.service_class} was ever built. The check counts constructions of the "
            "class of that name in your files: build one in initialize() and reuse it."
        )
    for finding in record.findings:
        name = finding.path.rsplit("/", 1)[-1]
        said = f"The lint check, {name} line {finding.line}: {finding.code} {finding.message}."
        function = record.uncalled.get((name, finding.line))
        if function is None:
            verdict.problems.append(said)
        else:
            verdict.notes.append(
                f"{said} That line is in {function}(), which nothing in your files calls, so "
                "it does not run and does not fail the check; you can delete it."
            )
    verdict.killed = sum(1 for p in record.processes if p.exit_code == -signal.SIGKILL)
    if verdict.passed:
        verdict.held = _held(record)
    return verdict


def _purchase(record: Record, purchase: str, worker: Any, explained: set[str]) -> str:
    event = record.purchases[purchase]
    hazard = record.hazard[purchase]
    course = record.titles.get(event.course_id, "")
    fields = worker.receipts
    # In delivery order: two racing consumers report in whichever order their processes
    # reach the conductor, and the same seed must read the same.
    writes = sorted((w for w in record.writes if purchase in w[0]), key=lambda w: _order(w[3]))
    answers = sorted((a for a in record.answers if a[0] == purchase), key=lambda a: _order(a[1]))
    notified = [a for a in answers if a[2] == repr("notified")]
    receipts = [r for r in record.receipts if str(r.get(fields.key)) == purchase]
    said: list[str] = []
    if not writes:
        said.append("its buyer was never told: no receipt was ever written for it.")
        said.append(_why_not_told(record, purchase, answers, explained))
    elif len(writes) > 1:
        shown = "; ".join(f"{op} at {place or 'outside your files'} ({label})"
                          for _, op, place, label in writes[:SHOWN])  # fmt: skip
        more = f"; and {len(writes) - SHOWN} more" if len(writes) > SHOWN else ""
        said.append(f"its buyer was told {_times(len(writes))}: its receipt was written by "
                    f"{shown}{more}.")  # fmt: skip
    if len(notified) > 1:
        said.append(f"Your worker answered 'notified' {_times(len(notified))} for it ("
                    + "; ".join(a[1] for a in notified[:SHOWN]) + ").")  # fmt: skip
    if writes and len(receipts) != 1:
        said.append(f"The database holds {len(receipts)} receipts for it at the end.")
    removed = [r for r in record.removed if purchase in r[0]]
    if removed and (said or len(receipts) != 1):
        by = Counter((op, place, label) for _, op, place, label in removed)
        shown = "; ".join(
            f"{op} at {place or 'outside your files'} ({label})"
            + (f", {_times(n)}" if n > 1 else "")
            for (op, place, label), n in list(by.items())[:SHOWN]
        )
        said.append(f"Its receipt was deleted by {shown}.")
    if len(receipts) == 1:
        buyer, title = receipts[0].get(fields.buyer), str(receipts[0].get(fields.title, ""))
        if buyer != event.user_id:
            said.append(f"Its receipt has the buyer {buyer!r} instead of {event.user_id!r}.")
        elif course not in title:
            said.append(
                f"Its receipt has the title {title!r}, which does not name the course {course!r}."
            )
    for _, label, answer, stored in answers if writes else []:  # never told: said above
        if not stored:
            said.append(
                f"On {label} your handler answered {answer} while no receipt of it was stored: "
                "the offset is committed then, so a worker killed at that moment loses the "
                "purchase (acknowledged before it was durable)."
            )
    said += _swallowed_timeout(record, hazard, said)
    if not said:
        return ""
    buyer_note = _buyer_note(record, purchase)
    # The event id too: the lab's timelines name rows by event (evt-00006 is pur-00006's).
    return f"{purchase} (event {event.event_id}; {buyer_note}; {HAZARD_SAID[hazard]}): " + " ".join(
        s for s in said if s
    )


LABEL = re.compile(r"delivery (\d+) in (.*?)worker process (\d+), attempt (\d+)")


def _order(label: str) -> tuple:
    """A delivery's label as a place in time: its worker process, its delivery there, this
    process before the second consumer beside it, its attempt; other labels last."""
    found = LABEL.fullmatch(label)
    if found is None:
        return (float("inf"),)
    delivery, second, process, attempt = found.groups()
    return (int(process), int(delivery), bool(second), int(attempt))


def _why_not_told(record: Record, purchase: str, answers: list, explained: set[str]) -> str:
    errors = [e for e in record.errors if e[0] == purchase]
    said = []
    if purchase in record.dead:
        said.append(f"Its record went to the dead letter queue after {record.dead[purchase]} "
                    "attempts.")  # fmt: skip
    if errors:
        by_class = Counter(
            (e[2]["class"], e[2]["where"], e[2]["message"]) for e in errors
        )  # fmt: skip
        for (name, where, message), n in by_class.items():
            place = f" at {where}" if where else ""
            said.append(f"{_times(n).capitalize()} the handler raised {name}{place}: "
                        f"{_sentence(message)}")  # fmt: skip
            diagnosis = next((e[2]["diagnosis"] for e in errors if e[2]["class"] == name), "")
            if diagnosis and name not in explained:
                explained.add(name)
                shown = diagnosis.replace(f"{record.folder.parent}/", "")
                said.append(f"The registry's diagnosis: {shown}")
    if answers:
        said.append("Your handler answered " + ", ".join(
            f"{answer} on {label}" for _, label, answer, _ in answers[:SHOWN]) + ".")  # fmt: skip
    return " ".join(said)


def _swallowed_timeout(record: Record, hazard: str, said: list[str]) -> list[str]:
    if hazard != "database_timeout" or not said:
        return []
    caught = [s for s in record.swallowed if s[0] == "InjectedDatabaseTimeout"]
    return [
        f"The database timeout was raised at {raised} and swallowed at {where}."
        for _, raised, where in caught[:1]
    ]


def _strays(record: Record) -> list[str]:
    strays: dict[str, list[str]] = {}
    for told, op, place, label in record.writes:
        for key in told:
            if key not in record.purchases:
                strays.setdefault(key, []).append(f"{op} at {place or 'outside your files'} "
                                                  f"({label})")  # fmt: skip
    return [
        f"A receipt was written for {key!r}, a purchase nobody made: by {', '.join(where[:SHOWN])}."
        for key, where in sorted(strays.items())[:SHOWN]
    ]


def _process(record: Record, kept, worker: Any) -> list[str]:
    said = []
    runs: dict[str, list[str]] = {}
    for file, cause in kept.runs:
        runs.setdefault(file, []).append(cause or "the worker process starting")
    for file, causes in sorted(runs.items()):
        if len(causes) > 1:
            counted = Counter(causes[1:])
            again = ", ".join(f"{_times(n)} by {cause}" for cause, n in counted.items())
            said.append(
                f"{file} ran {_times(len(causes))} in worker process {kept.number}: first by "
                f"{causes[0]}, then {again}. A worker runs each of its files once: import the "
                "service once, build it in initialize(), and reuse it on every retry."
                + _overwrite_said(record, kept)
            )
    built = [place for name, place in kept.built if name == worker.service_class]
    if len(built) > 1:
        where = ", ".join(f"{_times(n)} at {place}" for place, n in Counter(built).items())
        said.append(
            f"{worker.service_class} was built {_times(len(built))} in worker process "
            f"{kept.number}: {where}. Build it once, in initialize(), and reuse it."
        )
    for model, count in sorted(kept.compiled.items()):
        if count > 1 and not runs_twice(runs):
            said.append(
                f"The registry compiled {model} {_times(count)} in worker process {kept.number}"
                + _overwrite_said(record, kept)
            )
    if not kept.ended.startswith(("done", "killed ")) and kept.ended:
        said.append(f"Worker process {kept.number} {kept.ended}.")
    return said


def runs_twice(runs: dict[str, list[str]]) -> bool:
    return any(len(causes) > 1 for causes in runs.values())


def _overwrite_said(record: Record, kept) -> str:
    replaced = {m: n for m, n in kept.compiled.items() if n > 1}
    swallowed = [s for s in record.swallowed if "OverwriteModelError" in s[0]]
    raised = [e for e in record.errors if "OverwriteModelError" in e[2]["classes"]]
    if swallowed:
        _, at, caught = swallowed[0]
        return f" OverwriteModelError was raised at {at} and swallowed at {caught}."
    if replaced and not raised:
        names = ", ".join(replaced)
        return (
            f" The registry compiled {names} again each time and nothing raised: the model was "
            "replaced (overwrite=True, or delete_model() first), which hides the error."
        )
    return ""


def _held(record: Record) -> str:
    kills = sum(1 for p in record.processes if p.exit_code == -signal.SIGKILL)
    events = record.purchases.values()
    most = Counter(e.user_id for e in events).most_common(1)[0][1]
    buyers: dict[str, set[str]] = {}
    for e in events:
        buyers.setdefault(e.course_id, set()).add(e.user_id)
    fewest = min(len(who) for who in buyers.values())
    again = Counter((e.user_id, e.course_id) for e in events).most_common(1)[0][1]
    repeated = f", one course bought {_times(again)} by one buyer" if again > 1 else ""
    deliveries = len(record.answers)
    return (
        f"{len(record.purchases)} purchases ({most} by one buyer, each course bought by "
        f"{fewest} buyers or more{repeated}), each meeting one hazard: retries, a redelivery, a "
        f"database timeout inside the handler, two deliveries racing, and {kills} worker processes "
        f"killed with SIGKILL at different points, of {len(record.processes)} started. Over "
        f"{deliveries} answers, every buyer was told exactly once (one receipt write each, "
        "'notified' at most once), the database holds one receipt per purchase with its buyer "
        "and its course, nothing was told for a purchase nobody made, and every answer came "
        "after its receipt was stored. Each of your files ran once per worker process, the "
        "service was built once per worker process, and the lint check finds nothing that "
        "runs."
    )


def _buyer_note(record: Record, purchase: str) -> str:
    event = record.purchases[purchase]
    mine = sorted(p for p, e in record.purchases.items() if e.user_id == event.user_id)
    course = record.titles.get(event.course_id, event.course_id)
    if len(mine) > 1:
        return f"{event.user_id}'s purchase {mine.index(purchase) + 1} of {len(mine)}, {course}"
    return f"{event.user_id}, {course}"


def _error(error: dict[str, Any]) -> str:
    place = f" at {error['where']}" if error["where"] else ""
    return f"{error['class']} was raised{place}: {_sentence(error['message'])}"


def _diagnosis(error: dict[str, Any]) -> str:
    return f"The registry's diagnosis: {error['diagnosis']} " if error["diagnosis"] else ""


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else text + "."


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def _wrap(text: str, first: str = "", rest: str = "") -> str:
    return textwrap.fill(
        text, 100, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False
    )


__all__ = ["KILLS", "Verdict", "judge_record"]
