"""Two consumers racing on one record: two worker processes, one database, held in step.

Kafka can hand the same record to two consumers at once (a rebalance during a slow
handler), and two consumers are two processes: nothing in one process's memory (a
set of purchases already told, a `threading.Lock`, a class attribute) is seen by
the other. Only the database decides between them. So the second consumer is a
real process, forked from the worker process as the record arrives (both have
started and initialised the learner's worker), and the two share one database:

- `SharedDatabase`: while the race runs, every collection lives in a file that
  both processes read before each operation and write after each write, under a
  lock both hold in turn, so each operation sees the other's writes, as with one
  database server;
- `Race`: operation N of one consumer waits for operation N of the other (for
  `STEP_S` at most), so both look up before either writes, on every run.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import tempfile
import threading
from pathlib import Path
from typing import Any

STEP_S = 1.0  # a racing delivery waits at most this long for the other to reach its step
FORK = multiprocessing.get_context("fork")


class Race:
    """Two deliveries of one record in two processes: `me` is 0 in one and 1 in the other."""

    def __init__(self) -> None:
        self.steps = FORK.Array("i", 2, lock=False)  # operations done, per consumer
        self.done = FORK.Array("i", 2, lock=False)
        self.changed = FORK.Condition()
        self.started = FORK.Barrier(2)
        self.me = 0

    def start(self) -> None:
        """Wait for the other delivery to enter its handler too (5 s at most)."""
        try:
            self.started.wait(timeout=5.0)
        except threading.BrokenBarrierError:
            pass

    def step(self, number: int) -> None:
        other = 1 - self.me
        with self.changed:
            self.steps[self.me] = number
            self.changed.notify_all()
            self.changed.wait_for(
                lambda: self.steps[other] >= number or bool(self.done[other]), timeout=STEP_S
            )

    def leave(self) -> None:
        with self.changed:
            self.done[self.me] = 1
            self.changed.notify_all()


class SharedDatabase:
    """The worker process's database, kept in a file while two processes use it."""

    def __init__(self, database: Any) -> None:
        self.database = database
        self.lock = FORK.RLock()
        self.version = FORK.Value("q", 0, lock=False)
        self._seen = -1
        handle, name = tempfile.mkstemp(prefix="modelguard-race-")
        os.close(handle)
        self.path = Path(name)
        with self.lock:
            self.push()

    def pull(self) -> None:
        """Make this process's collections what the file holds (call with `lock` held)."""
        if self.version.value == self._seen:
            return
        collections = pickle.loads(self.path.read_bytes())
        for name in self.database.list_collection_names():
            if name not in collections:
                self.database[name].drop()
        for name, (documents, indexes) in collections.items():
            restore(self.database, name, documents, indexes)
        self._seen = self.version.value

    def push(self) -> None:
        """Write this process's collections to the file (call with `lock` held)."""
        collections = {
            name: (list(self.database[name].find({})), indexes_of(self.database[name]))
            for name in self.database.list_collection_names()
        }
        self.path.write_bytes(pickle.dumps(collections))
        self.version.value += 1
        self._seen = self.version.value

    def close(self) -> None:
        self.path.unlink(missing_ok=True)


def indexes_of(collection: Any) -> dict[str, dict]:
    return {
        name: dict(info) for name, info in collection.index_information().items() if name != "_id_"
    }


def restore(database: Any, name: str, documents: list[dict], indexes: dict[str, dict]) -> None:
    """The collection `name` as another process has just left it."""
    collection = database[name]
    collection.drop()
    for index, info in indexes.items():
        collection.create_index(
            info["key"],
            name=index,
            unique=bool(info.get("unique")),
            sparse=bool(info.get("sparse")),
        )
    if documents:
        collection.insert_many(documents)
