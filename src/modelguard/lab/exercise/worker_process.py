"""One worker process of the check: the learner's worker, started afresh, handling its deliveries.

It runs in a process forked from the conductor, which has never imported the
learner's files, so the process starts as a new worker process does: no module of
the learner's loaded, a registry without the learner's models. It imports the
worker module, builds the worker and calls `initialize()` once, then handles its
deliveries in order, retrying a failed attempt itself, as the lab's retry topic
does, up to five attempts, then the dead letter queue.

A record delivered to two consumers at once is handled by this process and by a
second consumer process forked from it as the record arrives (`racing`): the two
share the database, and the second one's reports reach the conductor through this
one.

Everything it observes goes to the conductor as it happens (`send`): the database's
writes and contents (`database_hooks`), runs and constructions and swallowed errors
(`process_watch`), each answer with whether the receipt was stored at that moment,
and each error that got out of the handler. A kill is the conductor's: the process
says where it stands and waits, and the conductor kills it (SIGKILL).
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import mongomock.collection

from modelguard import registry
from modelguard.lab.exercise.database_hooks import Handling, Hooks
from modelguard.lab.exercise.learner import LearnerPackage
from modelguard.lab.exercise.process_watch import ProcessWatch
from modelguard.lab.exercise.racing import FORK, Race, SharedDatabase, indexes_of
from modelguard.lab.exercise.schedule import FAILING_BEFORE, MAX_ATTEMPTS, Delivery
from modelguard.messaging.events import PurchaseCreated

RACE_TIMEOUT_S = 30.0  # a second consumer still handling the record after this is killed


def serve(
    connection: Connection,
    number: int,
    folder: Path,
    spec: Any,  # run.WorkerFile
    deliveries: list[Delivery],
    purchases: dict[str, PurchaseCreated],
    database: Any,
) -> None:
    """The body of worker process `number` (1, 2, ...)."""
    channel: dict[str, Any] = {"to": connection, "lock": threading.Lock()}

    def send(message: tuple) -> None:
        with channel["lock"]:
            channel["to"].send(message)

    watch = ProcessWatch(folder, (spec.service_class,), send)
    compiled: Counter[str] = Counter()  # classes really compiled, not requests answered
    compile_model = registry._compile

    def counted_compile(name, *args, **kwargs):
        compiled[name] += 1
        return compile_model(name, *args, **kwargs)

    registry._compile = counted_compile  # type: ignore[method-assign]

    def record() -> dict[str, int]:
        return dict(compiled)

    def kill(where: str) -> None:
        hooks.freeze = True
        watch.settle()
        send(("kill", where, record()))
        connection.recv()  # never answered: the conductor kills this process

    hooks = Hooks(spec.receipts.collection, spec.receipts.key, send, watch.where, kill)
    hooks.install(mongomock.collection.Collection)
    watch.install()
    with LearnerPackage(folder, count_runs=False) as package:
        try:
            module = package.import_module(spec.module)
            worker = getattr(module, spec.worker_class)()
            worker.initialize()
        except Exception as error:
            watch.settle(error)
            send(("start_error", _described(error, watch), record()))
            return
        watch.settle()
        handler = _Handler(worker, hooks, watch, send, database, spec, number, kill)
        handler.channel = channel
        for delivery in deliveries:
            handler.deliver(purchases[delivery.purchase_id], delivery.hazard)
    _finish(hooks, watch)
    send(("done", record()))


def _finish(hooks: Hooks, watch: ProcessWatch) -> None:
    hooks.idle.set()
    for thread in threading.enumerate():  # background threads finish their writes
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join(timeout=2.0)
    watch.settle()


class _Handler:
    def __init__(self, worker, hooks: Hooks, watch: ProcessWatch, send, database, spec, number,
                 kill: Callable[[str], None]) -> None:  # fmt: skip
        self.worker, self.hooks, self.watch, self.send = worker, hooks, watch, send
        self.database, self.spec, self.number, self.kill = database, spec, number, kill
        self.count = 0
        self.name = f"worker process {number}"
        self.channel: dict[str, Any] = {}

    def deliver(self, event: PurchaseCreated, hazard: str) -> None:
        if hazard == "killed_before":
            self.kill("as the record arrived, before the handler ran")
        if hazard == "race":
            self.race(event, hazard)
            return
        self.attempts(event, hazard, None)

    def race(self, event: PurchaseCreated, hazard: str) -> None:
        """This process and a second consumer process, forked now, handle `event` at once."""
        race, shared = Race(), SharedDatabase(self.database)
        self.hooks.shared = shared
        reader, writer = FORK.Pipe(duplex=False)
        child = os.fork()
        if child == 0:  # the second consumer: its reports go through the pipe
            try:
                reader.close()
                race.me = 1
                self.channel["to"], self.channel["lock"] = writer, threading.Lock()
                self.name = f"a second consumer process beside worker process {self.number}"
                self.attempts(event, hazard, race)
                _finish(self.hooks, self.watch)
                writer.close()
            finally:
                os._exit(0)
        writer.close()
        relay = threading.Thread(target=self.relay, args=(reader,), daemon=True)
        relay.start()
        self.attempts(event, hazard, race)
        deadline = time.monotonic() + RACE_TIMEOUT_S
        while os.waitpid(child, os.WNOHANG) == (0, 0):
            if time.monotonic() > deadline:
                os.kill(child, 9)
                os.waitpid(child, 0)
                break
            time.sleep(0.005)
        relay.join(timeout=5.0)
        reader.close()
        self.hooks.local.inside = True  # the check's own reads and writes
        try:
            with shared.lock:
                shared.pull()  # the second consumer's writes are this process's database now
            for name in self.database.list_collection_names():
                collection = self.database[name]
                self.send(("state", name, list(collection.find({})), indexes_of(collection)))
        finally:
            self.hooks.local.inside = False
            self.hooks.shared = None
            shared.close()

    def relay(self, reader) -> None:
        """The second consumer's reports, to the conductor; its database states are pulled
        once it ends instead, so that the conductor keeps the last one."""
        while True:
            try:
                message = reader.recv()
            except (EOFError, OSError):
                return
            if message[0] != "state":
                self.send(message)

    def attempts(self, event: PurchaseCreated, hazard: str, race: Race | None) -> None:
        self.count += 1
        label = f"delivery {self.count} in {self.name}"
        for attempt in range(1, MAX_ATTEMPTS + 1):
            if attempt <= FAILING_BEFORE.get(hazard, 0):
                continue  # failed before the handler was called; Kafka retries it
            handling = Handling(
                f"{label}, attempt {attempt}",
                time_out=hazard == "database_timeout" and attempt == 1,
                kill_at_write={"killed_at_write": "before", "killed_after_write": "after"}.get(
                    hazard, ""
                ),
                race=race,
            )
            self.hooks.enter(handling)
            if race is not None and attempt == 1:
                race.start()  # both deliveries enter the handler together
            try:
                answer = self.worker.handle(event, attempt)
            except Exception as error:
                self.hooks.leave()
                self.watch.settle(error)
                self.send(("error", event.purchase_id, attempt, _described(error, self.watch)))
                continue
            stored = self.stored(event.purchase_id)
            self.watch.settle()
            self.send(("answer", event.purchase_id, handling.label, repr(answer), stored))
            if hazard == "killed_after_answer":
                self.kill("after the handler answered, before the offset commit")
            self.hooks.leave()
            return
        self.send(("dead_letter", event.purchase_id, MAX_ATTEMPTS))

    def stored(self, purchase_id: str) -> bool:
        """Is the purchase's receipt in the database now, as the handler answers?"""
        receipts = self.database[self.spec.receipts.collection]
        self.hooks.local.inside = True  # the check's own look, not the learner's
        try:
            if self.hooks.shared is not None:  # racing: the other consumer's writes too
                with self.hooks.shared.lock:
                    self.hooks.shared.pull()
            return receipts.find_one({self.spec.receipts.key: purchase_id}) is not None
        finally:
            self.hooks.local.inside = False


def _described(error: BaseException, watch: ProcessWatch) -> dict[str, Any]:
    """An error as the conductor keeps it: plain strings, since it crosses processes."""
    import traceback

    message = str(error).strip().splitlines()
    inside = [
        f"{watch.name_of(frame.filename)} line {frame.lineno}"
        for frame in traceback.extract_tb(error.__traceback__)
        if watch.name_of(frame.filename) is not None
    ]
    if isinstance(error, SyntaxError) and error.filename and watch.name_of(error.filename):
        inside.append(f"{watch.name_of(error.filename)} line {error.lineno}")
    return {
        "classes": [cls.__name__ for cls in type(error).__mro__],
        "class": type(error).__name__,
        "message": message[0] if message else "",
        "where": inside[-1] if inside else "",
        "diagnosis": str(getattr(error, "diagnosis", "") or ""),
    }
