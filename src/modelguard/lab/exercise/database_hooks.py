"""What a worker process does to the database, seen at the collection, not in the learner's code.

Every operation on any collection goes through the hooks here (mongomock's
`Collection` methods, wrapped in this worker process only), so it does not matter
whether the learner's code saves a document, updates, upserts, bulk-writes or
talks to the collection directly. The hooks:

- count the *tellings*: each write that creates or changes a receipt tells its
  buyer once. A write is compared with the collection before it, so an upsert
  that changes nothing tells nobody, and one that stamps the receipt again tells
  the buyer again;
- send every collection's new contents (and its indexes) to the conductor after
  each write, before the write returns: the conductor keeps the database, so what
  a killed process wrote is what it had written, as a database server keeps it;
- make the database time out inside the handler, kill the process inside it, or
  hold two racing deliveries in step (`Hooks.arm`);
- hold a write made by a thread that is not a handler's (a background thread)
  until no handler is running, or two seconds: a scheduler may always run such a
  thread after the handler answers, and the check makes it do so, so that the
  verdict does not depend on luck.

Nested calls (a mongomock method calling another) count once: only the outermost
operation of a thread is seen.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from modelguard.lab.exercise.outage import InjectedDatabaseTimeout
from modelguard.lab.exercise.racing import Race, SharedDatabase

READS = ("find", "find_one", "count_documents", "aggregate", "distinct", "estimated_document_count")
WRITES = (
    "insert_one", "insert_many", "update_one", "update_many", "replace_one", "bulk_write",
    "find_one_and_update", "find_one_and_replace", "find_one_and_delete", "delete_one",
    "delete_many", "create_index", "create_indexes", "drop_index", "drop_indexes", "drop",
)  # fmt: skip
__all__ = ["Handling", "Hooks", "InjectedDatabaseTimeout"]
HELD_WRITE_S = 2.0  # a background thread's write waits at most this long for the handlers


@dataclass
class Handling:
    """What the hooks need to know about the delivery a handler thread is running."""

    label: str
    time_out: bool = False  # the first operation of this delivery times out
    kill_at_write: str = ""  # "before" or "after" the first write: the process dies there
    step: int = 0  # operations done, for keeping a race in step
    race: Race | None = None


class Hooks:
    """The hooks of one worker process. `where()` names the learner's line on this stack."""

    def __init__(
        self,
        receipts: str,
        key: str,
        send: Callable[[tuple], None],
        where: Callable[[], str],
        kill: Callable[[str], None],
    ) -> None:
        self.receipts, self.key, self.send, self.where, self.kill = receipts, key, send, where, kill
        self.lock = threading.RLock()  # one operation at a time, so that diffs are exact
        self.local = threading.local()
        self.handlers: dict[int, Handling] = {}  # thread -> the delivery it is handling
        self.idle = threading.Event()
        self.idle.set()
        self.freeze = False  # the process is about to be killed: hold every write
        self.shared: SharedDatabase | None = None  # while two consumer processes race
        self._guard = threading.Lock()

    # -- the handler threads ------------------------------------------------------------
    def enter(self, delivery: Handling) -> None:
        with self._guard:
            self.handlers[threading.get_ident()] = delivery
            self.idle.clear()

    def leave(self) -> None:
        with self._guard:
            delivery = self.handlers.pop(threading.get_ident(), None)
            if delivery is not None and delivery.race is not None:
                delivery.race.leave()
            if not self.handlers and not self.freeze:
                self.idle.set()

    # -- the collection -----------------------------------------------------------------
    def install(self, collection_class: type) -> None:
        for name in READS + WRITES:
            original = getattr(collection_class, name)
            setattr(collection_class, name, self._wrapped(name, original, name in WRITES))

    def _wrapped(self, name: str, original: Callable, writes: bool) -> Callable:
        hooks = self

        def operation(collection, *args, **kwargs):
            if getattr(hooks.local, "inside", False):  # mongomock calling itself
                return original(collection, *args, **kwargs)
            hooks.before(name, writes)
            hooks.local.inside = True
            try:
                with hooks.lock:
                    shared = hooks.shared
                    if shared is not None:  # the other consumer's writes first
                        shared.lock.acquire()
                        shared.pull()
                    try:
                        before = hooks.contents(collection) if writes else None
                        result = original(collection, *args, **kwargs)
                        if writes:
                            if shared is not None:
                                shared.push()
                            hooks.written(collection, name, before)
                    finally:
                        if shared is not None:
                            shared.lock.release()
            finally:
                hooks.local.inside = False
            if writes:
                hooks.after_write()
            return result

        operation.__name__ = name
        return operation

    def before(self, name: str, writes: bool) -> None:
        thread = threading.get_ident()
        delivery = self.handlers.get(thread)
        if delivery is None:
            if writes and not self.idle.is_set():
                self.idle.wait(HELD_WRITE_S)  # a background thread: after the handlers
            while self.freeze:
                self.idle.wait(1.0)  # the process is being killed: this write never lands
            return
        delivery.step += 1
        if delivery.race is not None:
            delivery.race.step(delivery.step)
        if delivery.time_out:
            delivery.time_out = False
            raise InjectedDatabaseTimeout(
                f"injected: {name} timed out (the check's database outage)"
            )
        if writes and delivery.kill_at_write == "before":
            self.kill(f"inside the handler, as its first database write ({name}) started")

    def after_write(self) -> None:
        delivery = self.handlers.get(threading.get_ident())
        if delivery is not None and delivery.kill_at_write:
            point, delivery.kill_at_write = delivery.kill_at_write, ""
            if point == "after":
                self.kill("inside the handler, just after its first database write")

    def contents(self, collection) -> dict[Any, dict]:
        return {doc["_id"]: doc for doc in collection.find({})}

    def written(self, collection, operation: str, before: dict[Any, dict] | None) -> None:
        after = self.contents(collection)
        if collection.name == self.receipts and before is not None:
            told = sorted(
                str(doc.get(self.key)) for key, doc in after.items() if before.get(key) != doc
            )
            removed = sorted(
                str(doc.get(self.key)) for key, doc in before.items() if key not in after
            )
            delivery = self.handlers.get(threading.get_ident())
            label = delivery.label if delivery is not None else "outside any handler"
            if told:
                self.send(("write", told, operation, self.where(), label))
            if removed:  # a receipt deleted: said when a purchase ends without its receipt
                self.send(("removed", removed, operation, self.where(), label))
        indexes = {
            name: dict(info)
            for name, info in collection.index_information().items()
            if name != "_id_"
        }
        self.send(("state", collection.name, list(after.values()), indexes))
