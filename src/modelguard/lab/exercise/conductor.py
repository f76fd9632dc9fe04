"""One check, in processes of its own: the seed's schedule played against the learner's worker.

`conduct` runs in a fresh process (`isolated`), never in the learner's kernel: a fix
that sets a registry option, patches a module or leaves modules in `sys.modules`
changes that process only, and the next check starts clean. The conductor seeds
the database (mongomock, in its memory), makes the schedule from the seed, and
forks one worker process per segment of it (`worker_process.serve`). The
conductor keeps the database: a worker process sends each collection's contents
after every write, before the write returns, and the conductor stores them. So a
worker process killed with SIGKILL leaves exactly what it had written, and the
next one, forked from the conductor, starts from that database with nothing of
the learner's loaded.

Everything the worker processes report is kept in a `Record`, which the verdict
(`promise`) reads; the lint check's findings on the learner's files, and which
functions nothing calls, are added here.
"""

from __future__ import annotations

import atexit
import multiprocessing
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelguard.lab.exercise.racing import restore
from modelguard.lab.exercise.schedule import Schedule, schedule
from modelguard.lint import Finding, check_paths
from modelguard.lint.reach import uncalled_functions

PROCESS_TIMEOUT_S = 30.0  # a worker process that says nothing for this long is killed
DATABASE = "modelguard_exercise"


@dataclass
class WorkerProcessRecord:
    number: int
    runs: list[tuple[str, str]] = field(default_factory=list)  # (file, the line that ran it)
    built: list[tuple[str, str]] = field(default_factory=list)  # (class, where)
    compiled: dict[str, int] = field(default_factory=dict)  # model -> compile requests
    ended: str = ""  # "done", or how it was killed or died
    exit_code: int | None = None  # -9 for a process the conductor killed with SIGKILL


@dataclass
class Record:
    """Everything one check observed."""

    seed: int
    folder: Path
    purchases: dict[str, Any]  # purchase id -> PurchaseCreated
    hazard: dict[str, str]
    titles: dict[str, str] = field(default_factory=dict)  # course id -> title
    writes: list[tuple[list[str], str, str, str]] = field(default_factory=list)
    removed: list[tuple[list[str], str, str, str]] = field(default_factory=list)  # as writes
    answers: list[tuple[str, str, str, bool]] = field(default_factory=list)
    errors: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)
    dead: dict[str, int] = field(default_factory=dict)  # purchase -> attempts
    swallowed: list[tuple[str, str, str]] = field(default_factory=list)  # class, raised, caught
    processes: list[WorkerProcessRecord] = field(default_factory=list)
    receipts: list[dict[str, Any]] = field(default_factory=list)  # in the database at the end
    start_error: dict[str, Any] | None = None
    findings: list[Finding] = field(default_factory=list)
    uncalled: dict[tuple[str, int], str] = field(default_factory=dict)  # (file, line) -> function
    seconds: float = 0.0


def conduct(folder: str | Path, seed: int, worker: Any) -> Record:
    """Play the seed's schedule against the worker in `folder` (run this in a fresh process)."""
    from modelguard.bootstrap import open_database
    from modelguard.lab.exercise.worker_process import serve
    from modelguard.lab.seed import seed_academy

    started = time.monotonic()
    folder = Path(folder).resolve()
    database = open_database(name=DATABASE, empty=True)
    course_ids = seed_academy()
    plan: Schedule = schedule(seed, course_ids)
    record = Record(seed, folder, plan.purchases, plan.hazard)
    from modelguard.academy.models import Course

    courses = database[Course._get_collection_name()].find({})
    record.titles = {str(doc["_id"]): str(doc.get("title", "")) for doc in courses}
    files = sorted(folder.glob("*.py"))
    record.findings = check_paths([str(path) for path in files])
    record.uncalled = uncalled_functions(files)
    forking = multiprocessing.get_context("fork")
    for number, segment in enumerate(plan.processes, 1):
        ours, theirs = forking.Pipe()
        process = forking.Process(
            target=serve,
            args=(theirs, number, folder, worker, segment.deliveries, plan.purchases, database),
            daemon=True,
        )
        process.start()
        theirs.close()
        kept = WorkerProcessRecord(number)
        record.processes.append(kept)
        _listen(ours, process, kept, record, database)
        if record.start_error is not None:
            break
    receipts = database[worker.receipts.collection].find({}, {"_id": 0})
    record.receipts = list(receipts)
    record.seconds = time.monotonic() - started
    return record


def _listen(ours, process, kept: WorkerProcessRecord, record: Record, database) -> None:
    """Keep what one worker process reports, until it is done, killed or dead."""
    # Reports that are only kept, each in the list of its kind.
    kept_as: dict[str, list[Any]] = {
        "write": record.writes,
        "removed": record.removed,
        "answer": record.answers,
        "error": record.errors,
        "swallowed": record.swallowed,
        "run": kept.runs,
        "built": kept.built,
    }
    while True:
        if not ours.poll(PROCESS_TIMEOUT_S):
            process.kill()
            kept.ended = f"said nothing for {PROCESS_TIMEOUT_S:.0f} s, and was killed"
            break
        try:
            message = ours.recv()
        except EOFError:
            process.join()
            kept.ended = f"died (exit code {process.exitcode})"
            kept.exit_code = process.exitcode
            break
        kind, rest = message[0], message[1:]
        if kind in kept_as:
            kept_as[kind].append(rest)
        elif kind == "state":
            restore(database, *rest)
        elif kind == "dead_letter":
            record.dead[rest[0]] = rest[1]
        elif kind == "kill":
            process.kill()  # SIGKILL: nothing of the process runs after this
            process.join()
            kept.ended, kept.compiled = f"killed {rest[0]}", rest[1]
            kept.exit_code = process.exitcode
            break
        elif kind == "start_error":
            record.start_error, kept.compiled = rest[0], rest[1]
        elif kind == "done":
            kept.ended, kept.compiled = "done", rest[0]
            process.join()
            kept.exit_code = process.exitcode
            break
    ours.close()


def new_seed() -> int:
    return random.SystemRandom().randrange(1, 10**6)


def main() -> None:
    """`python -m modelguard.lab.exercise.fresh`: serve checks, one forked process each.

    This interpreter imports the check's own modules and nothing of any learner's, then
    reads requests (pickled, one per line of its input, hex-encoded). For each it forks a
    process that runs the check and writes the answer to the request's result file; so
    every check starts from this clean process, and none pays for the imports again.
    """
    import logging
    import os
    import pickle
    import signal
    import sys

    logging.getLogger("modelguard").setLevel(logging.CRITICAL)
    from modelguard.lab.exercise import promise, worker_process  # noqa: F401 -- preloaded

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the checks' processes reap themselves
    for line in sys.stdin:
        folder, seed, worker, result = pickle.loads(bytes.fromhex(line.strip()))
        if os.fork() == 0:
            try:  # whatever happens, this process never goes back to serving
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                os.dup2(2, 1)  # the learner's prints go to stderr, never into an answer
                answer: tuple[str, Any]
                try:
                    record = conduct(folder, seed, worker)
                    answer = ("verdict", promise.judge_record(record, worker))
                except Exception as error:  # the check itself failed: say so, not a verdict
                    answer = ("failed", f"{type(error).__name__}: {error}")
                Path(result + ".part").write_bytes(pickle.dumps(answer))
                os.replace(result + ".part", result)
            finally:
                os._exit(0)


_server: Any = None
_server_lock = threading.Lock()


@atexit.register
def _stop_server() -> None:
    """End the check server with the process that started it: closing its input ends it."""
    if _server is None:
        return
    _server.stdin.close()
    try:
        _server.wait(timeout=5)
    except Exception:  # a server stuck in a check: it must not hold up this exit
        _server.kill()
        _server.wait()


def isolated(folder: str | Path, seed: int, worker: Any, timeout_s: float = 300.0):
    """`conduct` and its verdict in a fresh process; returns the `promise.Verdict`."""
    import pickle
    import subprocess
    import sys
    import tempfile

    global _server
    with tempfile.TemporaryDirectory(prefix="modelguard-check-") as directory:
        result = Path(directory) / "verdict"
        # Resolved here: the server's working directory is the kernel's when it started.
        where = str(Path(folder).resolve())
        request = pickle.dumps((where, seed, worker, str(result))).hex() + "\n"
        with _server_lock:
            if _server is None or _server.poll() is not None:
                _server = subprocess.Popen(
                    [sys.executable, "-m", "modelguard.lab.exercise.fresh"],
                    stdin=subprocess.PIPE,
                    text=True,
                    # Not in the kernel's process group: an interrupt of the kernel is not
                    # for it. It ends when its input does, with the process that started it.
                    start_new_session=True,
                )
            _server.stdin.write(request)
            _server.stdin.flush()
        deadline = time.monotonic() + timeout_s
        while not result.exists():
            if time.monotonic() > deadline or _server.poll() is not None:
                raise RuntimeError("the check's process gave no verdict")
            time.sleep(0.02)
        kind, payload = pickle.loads(result.read_bytes())
    if kind == "failed":
        raise RuntimeError(f"the check itself failed: {payload}")
    return payload
