"""Fixes a learner might write for notebook 07, wrong and right, through the whole check.

Each wrong fix gets through the scenarios' counts of successes and dead letters
in some way, and is refused for what it does to the data or to the worker
process; the verdict must say so in plain words. Each right fix is written a
different way, and each passes.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from modelguard.lab.exercise import check

logging.getLogger("modelguard").setLevel(logging.CRITICAL)

EXERCISE = Path(__file__).resolve().parents[2] / "notebooks" / "exercise"
SOLUTION = EXERCISE / "solution"
SHIPPED_WORKER = (EXERCISE / "notification_worker.py").read_text()
SOLVED_WORKER = (SOLUTION / "notification_worker.py").read_text()
SHIPPED_SERVICE = (EXERCISE / "notifications.py").read_text()
GUARDED_SERVICE = (SOLUTION / "notifications.py").read_text()

UNGUARDED = 'PushReceipt = registry.model("PushReceipt", PushReceiptSchema)'
RELOAD = "            importlib.reload(notifications)\n"
REBUILD = "            worker.service = notifications.NotificationService()\n"
NOTIFY = """        told = self.service.notify(
            purchase_id=event.purchase_id,
            user_id=event.user_id,
            course_id=event.course_id,
            event_id=event.event_id,
        )
        return "notified" if told else "duplicate"
"""

CATCH_ALL = """        try:
            self.service.notify(
                purchase_id=event.purchase_id,
                user_id=event.user_id,
                course_id=event.course_id,
                event_id=event.event_id,
            )
        except Exception:
            pass
        return "notified"
"""
DATABASE_ERRORS_ARE_DUPLICATES = """        try:
            told = self.service.notify(
                purchase_id=event.purchase_id,
                user_id=event.user_id,
                course_id=event.course_id,
                event_id=event.event_id,
            )
        except PyMongoError:
            return "duplicate"
        return "notified" if told else "duplicate"
"""

NOT_INITIALIZED = """        if self.service is None:
            raise RuntimeError("NotificationWorker not initialized")
"""
INITIALIZE = """    def initialize(self) -> None:
        if self.service is None:
            self.service = notifications.NotificationService()
"""
LAZY_UNDER_A_LOCK = """    def initialize(self) -> None:
        self._lock = threading.Lock()  # the consumers of one process share this worker
        self.service = None

    def _service(self):
        with self._lock:
            if self.service is None:
                self.service = notifications.NotificationService()
            return self.service
"""


def without_decorator(worker: str) -> str:
    """The shipped worker with its decorator, its use and its imports deleted."""
    start, end = worker.index("import functools"), worker.index("class NotificationWorker")
    return edited(
        worker[:start] + "from . import notifications\n\n\n" + worker[end:],
        "    @fresh_service_on_retry\n",
        "",
    )


def edited(source: str, old: str, new: str) -> str:
    """`source` with `old` replaced; `old` must be there, or the fix tested is not the one meant."""
    assert old in source, f"{old!r} is not in the file any more"
    return source.replace(old, new)


@dataclass(frozen=True)
class Fix:
    name: str
    worker: str
    service: str
    said: tuple[str, ...] = ()  # a wrong fix: what its verdict must say


def the_learner_writes(tmp_path: Path, fix: Fix) -> Path:
    folder = tmp_path / "exercise"
    folder.mkdir()
    shutil.copy(EXERCISE / "__init__.py", folder / "__init__.py")
    (folder / "notification_worker.py").write_text(fix.worker)
    (folder / "notifications.py").write_text(fix.service)
    return folder


WRONG = [
    Fix(
        "guard, and a decorator answering duplicate on every retry",
        edited(SHIPPED_WORKER, RELOAD + REBUILD, '            return "duplicate"\n'),
        GUARDED_SERVICE,
        (
            "kafka_retry (",
            "1 purchase lost without a trace, no receipt although your worker reported success",
            "multiple_retries (",
            "1 purchase, 0 receipts stored",
        ),
    ),
    Fix(
        "guard, and notify() that never calls save()",
        SOLVED_WORKER,
        edited(GUARDED_SERVICE, "receipt.save(force_insert=True)", "receipt.validate()"),
        ("12 purchases, 0 receipts stored; 12 purchases lost without a trace",),
    ),
    Fix(
        "guard, and a handler that catches every exception and says notified",
        edited(SOLVED_WORKER, NOTIFY, CATCH_ALL),
        GUARDED_SERVICE,
        (
            "database_timeout (",
            "1 purchase lost without a trace",
        ),
    ),
    Fix(
        "guard, and a new NotificationService() on every retry",
        edited(SHIPPED_WORKER, RELOAD, ""),
        GUARDED_SERVICE,
        (
            "NotificationService was built twice in one worker process: once at "
            "notification_worker.py line 34, once at notification_worker.py line 23. "
            "Build it once, in initialize()",
        ),
    ),
    Fix(
        "the guard alone",
        SHIPPED_WORKER,
        GUARDED_SERVICE,
        ("notifications.py ran twice in one worker process", "NotificationService was built twice"),
    ),
    Fix(
        "the service built once, the model still unguarded",
        SOLVED_WORKER,
        SHIPPED_SERVICE,
        ("notifications.py line 28: MG001",),
    ),
    Fix(
        "overwrite=True, with the reload kept",
        SHIPPED_WORKER,
        edited(
            SHIPPED_SERVICE,
            UNGUARDED,
            'PushReceipt = registry.model("PushReceipt", PushReceiptSchema, overwrite=True)',
        ),
        (
            "notifications.py ran twice in one worker process",
            "The registry was asked to compile PushReceipt twice in one worker process",
            "No OverwriteModelError was raised because the model was replaced each time "
            "(overwrite=True",
        ),
    ),
    Fix(
        "a receipt stored on every delivery, the unique index and the look-up gone",
        SOLVED_WORKER,
        edited(
            edited(GUARDED_SERVICE, "required=True, unique=True, max_length=64", "max_length=64"),
            "        if PushReceipt.objects(purchase_id=purchase_id).first() is not None:\n"
            "            return False\n",
            "",
        ),
        ("worker_restart (", "stored more than once", "(2 receipts)"),
    ),
    Fix(
        "the receipt addressed to the purchase instead of the buyer",
        edited(SOLVED_WORKER, "user_id=event.user_id", "user_id=event.purchase_id"),
        GUARDED_SERVICE,
        ("has the buyer 'kafka_retry-", "instead of 'student-00001'"),
    ),
    Fix(
        "a title that never names the course",
        SOLVED_WORKER,
        edited(
            GUARDED_SERVICE,
            'title=f"{self._course_title(course_id)} is ready for you"',
            'title="Your course is ready for you"',
        ),
        ("the title 'Your course is ready for you', which does not name the course "
            "'Python from scratch'",),
    ),
    Fix(
        "receipts keyed by the event instead of the purchase",
        edited(SOLVED_WORKER, "purchase_id=event.purchase_id", "purchase_id=event.event_id"),
        GUARDED_SERVICE,
        ("1 purchase lost without a trace", "1 receipt for purchases nobody made: kafka_retry-"),
    ),
    Fix(
        "the service built afresh for every delivery",
        edited(
            SOLVED_WORKER,
            "        told = self.service.notify(",
            "        self.service = "
            "notifications.NotificationService()\n        told = self.service.notify(",
        ),
        GUARDED_SERVICE,
        ("NotificationService was built 13 times in one worker process",),
    ),
    Fix(
        "a handler that answers duplicate when the database fails",
        edited(
            edited(SOLVED_WORKER, NOTIFY, DATABASE_ERRORS_ARE_DUPLICATES),
            "from . import notifications\n",
            "from pymongo.errors import PyMongoError\n\nfrom . import notifications\n",
        ),
        GUARDED_SERVICE,
        ("database_timeout (", "lost without a trace"),
    ),
]

RIGHT = [
    Fix("the solution as shipped", SOLVED_WORKER, GUARDED_SERVICE),
    Fix(
        "define(), and the decorator deleted",
        without_decorator(SHIPPED_WORKER),
        edited(
            SHIPPED_SERVICE,
            UNGUARDED,
            'PushReceipt = registry.define("PushReceipt", PushReceiptSchema)',
        ),
    ),
    Fix(
        "the service built lazily, on the process's first delivery, under a lock",
        edited(
            edited(
                edited(SOLVED_WORKER, INITIALIZE, LAZY_UNDER_A_LOCK),
                NOT_INITIALIZED + "        told = self.service.notify(",
                "        told = self._service().notify(",
            ),
            "from . import notifications\n",
            "import threading\n\nfrom . import notifications\n",
        ),
        GUARDED_SERVICE,
    ),
    Fix(
        "one service for the module, built when the worker module is imported",
        edited(
            edited(
                SOLVED_WORKER,
                "from . import notifications\n",
                "from . import notifications\n\nSERVICE = notifications.NotificationService()\n",
            ),
            "            self.service = notifications.NotificationService()\n",
            "            self.service = SERVICE\n",
        ),
        GUARDED_SERVICE,
    ),
]


def names(fixes: list[Fix]) -> list[str]:
    return [fix.name for fix in fixes]


@pytest.mark.parametrize("fix", WRONG, ids=names(WRONG))
def test_a_wrong_fix_is_refused_saying_what_it_did(tmp_path, fix):
    verdict = check(the_learner_writes(tmp_path, fix))
    text = " ".join(str(verdict).split())  # as read, not as wrapped
    assert not verdict.passed, text
    for words in fix.said:
        assert words in text, f"{words!r} not in:\n{verdict}"


@pytest.mark.parametrize("fix", RIGHT, ids=names(RIGHT))
def test_a_right_fix_passes_whichever_way_it_is_written(tmp_path, fix):
    verdict = check(the_learner_writes(tmp_path, fix))
    assert verdict.passed, str(verdict)
    assert "database_timeout" in verdict.right


def test_the_wrong_fixes_differ_from_each_other_and_from_the_right_ones():
    sources = [(fix.worker, fix.service) for fix in WRONG + RIGHT]
    assert len(set(sources)) == len(sources)
