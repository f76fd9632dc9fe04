"""Notebook 07's exercise machinery: run a learner's worker through the scenarios, and say
in plain words what still fails.

- `learner`: imports the learner's folder as a fresh worker process would, counting
  every run of each of its files;
- `run`: runs the incident report's scenarios (or any plan) against that worker and
  keeps the evidence, with the lint check's findings on the learner's files;
- `verdict`: turns the evidence into numbered plain sentences.

`check(folder)` is all three at once.
"""

from __future__ import annotations

from pathlib import Path

from modelguard.lab.exercise.run import NOTIFICATION_WORKER, Evidence, WorkerFile, run
from modelguard.lab.exercise.verdict import Verdict, judge


def check(folder: str | Path, worker: WorkerFile = NOTIFICATION_WORKER) -> Verdict:
    """The four scenarios against the worker in `folder`, and the verdict on it."""
    return judge(run(folder, worker))


__all__ = ["NOTIFICATION_WORKER", "Evidence", "Verdict", "WorkerFile", "check", "judge", "run"]
