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

from modelguard.lab.exercise.conductor import isolated, new_seed
from modelguard.lab.exercise.promise import Verdict
from modelguard.lab.exercise.run import NOTIFICATION_WORKER, Evidence, WorkerFile, run
from modelguard.lab.exercise.verdict import judge


def check(
    folder: str | Path, seed: int | None = None, worker: WorkerFile = NOTIFICATION_WORKER
) -> Verdict:
    """The promise judged against the worker in `folder`, in fresh processes, under the
    deliveries `seed` makes (a new seed when None; the verdict prints it)."""
    return isolated(folder, new_seed() if seed is None else seed, worker)


__all__ = ["NOTIFICATION_WORKER", "Evidence", "Verdict", "WorkerFile", "check", "judge", "run"]
