"""What the drill does to the system, and when: the plan drawn from the seed, and the
service scripts that carry out a broker restart or a database outage.

Kills and the broker restart land at random points between 5% and 90% of the stream.
The database outage comes when OUTAGE_BACKLOG events are still to settle (the drill
holds them back and publishes them once the database is down): a failing attempt
costs the worker about a second (pymongo's server selection waits at least 0.5 s, and
a read is retried once), and each event's next attempt waits behind every other
pending one, so a long backlog would take many minutes to run any event out of
attempts, while a short one reaches the DLQ in well under a minute.
"""

from __future__ import annotations

import random
import subprocess
from dataclasses import dataclass
from pathlib import Path

from modelguard.config import scripts_dir

OUTAGE_BACKLOG = 8


class SoakFailed(RuntimeError):
    """The soak could not finish: a timeout, or a service script that failed."""


@dataclass
class SoakPlan:
    """What to do to the system once how many events have settled, in order."""

    steps: list[tuple[int, str]]

    @classmethod
    def draw(
        cls, records: int, kills: int, *, seed: int, restart_broker: bool, database_outage: bool
    ) -> SoakPlan:
        rng = random.Random(seed)
        actions = ["kill"] * kills + ["restart-broker"] * restart_broker
        lo, hi = max(1, records // 20), max(2, records * 9 // 10)
        points = rng.sample(range(lo, hi), min(len(actions), hi - lo))
        rng.shuffle(actions)
        steps = list(zip(points, actions, strict=False))
        if database_outage:
            steps.append((max(lo, records - OUTAGE_BACKLOG), "database-outage"))
        return cls(sorted(steps))


class Services:
    """The lab's service scripts (`scripts/kafka.sh`, `scripts/mongo.sh`); the database
    is always left running. The scripts are looked for only when one is run."""

    def __init__(self, scripts: Path | None = None) -> None:
        self.scripts = scripts
        self._mongo_stopped = False

    def run(self, script: str, command: str) -> None:
        folder = self.scripts or scripts_dir()
        done = subprocess.run(
            ["bash", str(folder / script), command], capture_output=True, text=True
        )
        if done.returncode != 0:
            raise SoakFailed(f"{script} {command} failed:\n{done.stdout}{done.stderr}")
        if script == "mongo.sh":
            self._mongo_stopped = command == "stop"

    def ensure_up(self) -> None:
        if self._mongo_stopped:
            self.run("mongo.sh", "start")
