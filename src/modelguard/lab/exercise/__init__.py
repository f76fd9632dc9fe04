"""Notebook 07's exercise machinery: run a learner's worker, and judge its promise.

- `check(folder, seed)`: the verdict. In a fresh process (`conductor`), ten purchases
  are delivered as the seed's schedule says (`schedule`): retries, a redelivery, a
  database timeout, a race, and worker processes killed with SIGKILL, each worker
  process forked afresh (`worker_process`), watched at the collection
  (`database_hooks`) and in the interpreter (`process_watch`); `promise` judges the
  invariants over everything recorded and says each in plain words;
- `run(folder)`: the incident report's scenarios against the learner's worker, in this
  process, for the notebook's figures (`learner`, `run`, `stored`, `outage`), and
  `judge(evidence)`, the scenarios' own account of what failed (`verdict`).
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
