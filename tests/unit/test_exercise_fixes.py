"""Fixes a learner might write for notebook 07, wrong and right, through the whole check.

Each wrong fix breaks one invariant of the promise or fails under one delivery
hazard, and nothing else; the check must refuse it with a sentence that says what
happened. Each right fix is written a different way, and each passes. All checks
run at once (each in processes of its own), so the module costs a few seconds.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from modelguard.lab.exercise import check

EXERCISE = Path(__file__).resolve().parents[2] / "notebooks" / "exercise"
SOLUTION = EXERCISE / "solution"
SHIPPED_WORKER = (EXERCISE / "notification_worker.py").read_text()
SOLVED_WORKER = (SOLUTION / "notification_worker.py").read_text()
SHIPPED_SERVICE = (EXERCISE / "notifications.py").read_text()
GUARDED_SERVICE = (SOLUTION / "notifications.py").read_text()

UNGUARDED = 'PushReceipt = registry.model("PushReceipt", PushReceiptSchema)'
GUARD = """PushReceipt = registry.models.get("PushReceipt") or registry.model(
    "PushReceipt", PushReceiptSchema
)"""
RELOAD = "            importlib.reload(notifications)\n"
REBUILD = "            worker.service = notifications.NotificationService()\n"
LOOKUP = "PushReceipt.objects(purchase_id=purchase_id).first() is not None"
UNIQUE = "required=True, unique=True, max_length=64"
BUILD_AND_SAVE = """        receipt = PushReceipt(
            purchase_id=purchase_id,
            user_id=user_id,
            title=f"{self._course_title(course_id)} is ready for you",
            event_id=event_id,
        )
        try:
            receipt.save(force_insert=True)
        except NotUniqueError:  # a concurrent delivery of the same purchase got there first
            return False
        return True
"""
SAVE = """        try:
            receipt.save(force_insert=True)
        except NotUniqueError:  # a concurrent delivery of the same purchase got there first
            return False
        return True
"""
NOTIFY = """        told = self.service.notify(
            purchase_id=event.purchase_id,
            user_id=event.user_id,
            course_id=event.course_id,
            event_id=event.event_id,
        )
        return "notified" if told else "duplicate"
"""
NOT_INITIALIZED = """        if self.service is None:
            raise RuntimeError("NotificationWorker not initialized")
"""
INITIALIZE = """    def initialize(self) -> None:
        if self.service is None:
            self.service = notifications.NotificationService()
"""
IMPORTS = "from . import notifications\n"


def edited(source: str, *changes: tuple[str, str]) -> str:
    """`source` with each `old` replaced; `old` must be there, or the fix is not the one meant."""
    for old, new in changes:
        assert old in source, f"{old!r} is not in the file any more"
        source = source.replace(old, new)
    return source


def without_decorator_use(worker: str) -> str:
    return edited(worker, ("    @fresh_service_on_retry\n", ""))


def without_decorator(worker: str) -> str:
    """The shipped worker with its decorator, its use and its imports deleted."""
    start, end = worker.index("import functools"), worker.index("class NotificationWorker")
    return without_decorator_use(worker[:start] + IMPORTS + "\n\n" + worker[end:])


@dataclass(frozen=True)
class Fix:
    name: str
    worker: str
    service: str
    said: tuple[str, ...] = ()  # a wrong fix: what its verdict must say
    seed: int = 1


WRONG = [
    # -- told exactly once ---------------------------------------------------------------
    Fix(
        "an upsert that tells the buyer again on every delivery",
        SOLVED_WORKER,
        edited(
            GUARDED_SERVICE,
            (f"        if {LOOKUP}:\n            return False\n", ""),
            (
                BUILD_AND_SAVE,
                """        PushReceipt.objects(purchase_id=purchase_id).update_one(
            upsert=True,
            set__user_id=user_id,
            set__title=f"{self._course_title(course_id)} is ready for you",
            set__event_id=event_id,
            set__sent_at=datetime.now(UTC),
        )
        return True
""",
            ),
        ),
        (
            "its buyer was told twice: its receipt was written by update_one at notifications.py "
            "line 41",
            "Your worker answered 'notified' twice for it",
        ),
    ),
    Fix(
        "already told keyed on the buyer",
        SOLVED_WORKER,
        edited(
            GUARDED_SERVICE, (LOOKUP, LOOKUP.replace("purchase_id=purchase_id", "user_id=user_id"))
        ),
        (
            "; student-00001's purchase ",
            "of 3, ",
            "its buyer was never told: no receipt was ever written for it",
            "Your handler answered 'duplicate' on delivery",
        ),
    ),
    Fix(
        "already told keyed on the course",
        SOLVED_WORKER,
        edited(
            GUARDED_SERVICE,
            (
                LOOKUP,
                LOOKUP.replace(
                    "purchase_id=purchase_id",
                    'title=f"{self._course_title(course_id)} is ready for you"',
                ),
            ),
        ),
        (
            "pur-00004 (event evt-00004; student-00002, Python from scratch;",
            "its buyer was never told",
        ),
    ),
    Fix(
        "already told keyed on the buyer and the course",
        SOLVED_WORKER,
        edited(
            GUARDED_SERVICE,
            (
                LOOKUP,
                LOOKUP.replace(
                    "purchase_id=purchase_id",
                    'user_id=user_id, title=f"{self._course_title(course_id)} is ready for you"',
                ),
            ),
        ),
        (
            "pur-00010 (event evt-00010; student-00004's purchase 2 of 2, ",
            "its buyer was never told: no receipt was ever written for it",
        ),
    ),
    # -- one receipt, with its buyer and its course ---------------------------------------
    Fix(
        "the receipt addressed to the purchase instead of the buyer",
        edited(SOLVED_WORKER, ("user_id=event.user_id", "user_id=event.purchase_id")),
        GUARDED_SERVICE,
        ("Its receipt has the buyer 'pur-00001' instead of 'student-00001'.",),
    ),
    Fix(
        "a title that never names the course",
        SOLVED_WORKER,
        edited(
            GUARDED_SERVICE,
            (
                'title=f"{self._course_title(course_id)} is ready for you"',
                'title="Your course is ready for you"',
            ),
        ),
        (
            "Its receipt has the title 'Your course is ready for you', which does not name the "
            "course 'Python from scratch'.",
        ),
    ),
    Fix(
        "a buyer's receipts deleted at start-up",
        edited(
            SOLVED_WORKER,
            (
                INITIALIZE,
                INITIALIZE
                + "        notifications.PushReceipt.objects(user_id=\"student-00001\").delete()\n",
            ),
        ),
        GUARDED_SERVICE,
        (
            "The database holds 0 receipts for it at the end. Its receipt was deleted by "
            "delete_many at notification_worker.py line 24 (outside any handler)",
        ),
    ),
    # -- nothing told for a purchase nobody made ------------------------------------------
    Fix(
        "a receipt written at start-up, for no purchase",
        edited(
            SOLVED_WORKER,
            (
                INITIALIZE,
                INITIALIZE
                + """        receipts = notifications.PushReceipt.objects(purchase_id="startup")
        receipts.update_one(
            upsert=True, set__user_id="ops", set__title="worker started", set__event_id="-"
        )
""",
            ),
        ),
        GUARDED_SERVICE,
        (
            "A receipt was written for 'startup', a purchase nobody made: by update_one at "
            "notification_worker.py line 25 (outside any handler).",
        ),
    ),
    # -- two deliveries racing -----------------------------------------------------------
    Fix(
        "the unique index dropped, the look-up kept",
        SOLVED_WORKER,
        edited(GUARDED_SERVICE, (UNIQUE, "required=True, max_length=64")),
        (
            "delivered twice at once, to two consumers): its buyer was told twice: its receipt was "
            "written by insert_one at notifications.py line 50",
            "The database holds 2 receipts for it at the end.",
        ),
    ),
    Fix(
        "the unique index dropped, the look-up and insert under a threading.Lock",
        SOLVED_WORKER,
        edited(
            GUARDED_SERVICE,
            (UNIQUE, "required=True, max_length=64"),
            (
                "from datetime import UTC, datetime\n",
                "import threading\nfrom datetime import UTC, datetime\n\nONE_AT_A_TIME = "
                "threading.Lock()\n",
            ),
            (
                "    def notify(self, *, purchase_id: str, user_id: str, course_id: str, "
                "event_id: str) -> bool:\n",
                """    def notify(self, **purchase) -> bool:
        with ONE_AT_A_TIME:  # one process's lock: the other consumer's process has its own
            return self._notify(**purchase)

    def _notify(self, *, purchase_id: str, user_id: str, course_id: str, event_id: str) -> bool:
""",
            ),
        ),
        (
            "delivered twice at once, to two consumers): its buyer was told twice: its receipt was "
            "written by insert_one at notifications.py line ",
            "in a second consumer process beside worker process ",
            "The database holds 2 receipts for it at the end.",
        ),
    ),
    # -- killed inside the handler -------------------------------------------------------
    Fix(
        "the purchase claimed in another collection before its receipt is written",
        SOLVED_WORKER,
        edited(
            GUARDED_SERVICE,
            (
                f"        if {LOOKUP}:\n            return False\n",
                f"""        claims = PushReceipt._get_collection().database["notification_claims"]
        if claims.find_one({{"_id": purchase_id}}) is not None or {LOOKUP}:
            return False
        claims.insert_one({{"_id": purchase_id}})
""",
            ),
        ),
        (
            "the worker process was killed just after the handler's first database write, then it "
            "went to a new one): its buyer was never told",
        ),
    ),
    # -- killed after it answered: durable before acknowledged ---------------------------
    Fix(
        "the receipt stored by a background thread",
        SOLVED_WORKER,
        edited(
            GUARDED_SERVICE,
            (
                "from datetime import UTC, datetime\n",
                "import threading\nfrom datetime import UTC, datetime\n",
            ),
            (
                SAVE,
                """        threading.Thread(target=self._store, args=(receipt,)).start()
        return True

    @staticmethod
    def _store(receipt) -> None:
        try:
            receipt.save(force_insert=True)
        except NotUniqueError:
            pass
""",
            ),
        ),
        (
            "your handler answered 'notified' while no receipt of it was stored: the offset is "
            "committed then, so a worker killed at that moment loses the purchase",
        ),
    ),
    # -- the database timing out inside the handler ---------------------------------------
    Fix(
        "a handler that catches every exception and says notified",
        edited(
            SOLVED_WORKER,
            (
                NOTIFY,
                """        try:
            self.service.notify(
                purchase_id=event.purchase_id,
                user_id=event.user_id,
                course_id=event.course_id,
                event_id=event.event_id,
            )
        except Exception:
            pass
        return "notified"
""",
            ),
        ),
        GUARDED_SERVICE,
        (
            "the database timed out inside the handler on attempt 1): its buyer was never told",
            "The database timeout was raised at notifications.py line 41 and swallowed at "
            "notification_worker.py line 35.",
        ),
    ),
    Fix(
        "a handler that answers duplicate when the database fails",
        edited(
            SOLVED_WORKER,
            (
                NOTIFY,
                """        try:
            told = self.service.notify(
                purchase_id=event.purchase_id,
                user_id=event.user_id,
                course_id=event.course_id,
                event_id=event.event_id,
            )
        except PyMongoError:
            return "duplicate"
        return "notified" if told else "duplicate"
""",
            ),
            (IMPORTS, "from pymongo.errors import PyMongoError\n\n" + IMPORTS),
        ),
        GUARDED_SERVICE,
        (
            "the database timed out inside the handler on attempt 1): its buyer was never told",
            "Your handler answered 'duplicate' on delivery",
        ),
    ),
    # -- retries ---------------------------------------------------------------------------
    Fix(
        "the guard, and a decorator answering duplicate on every retry",
        edited(SHIPPED_WORKER, (RELOAD + REBUILD, '            return "duplicate"\n')),
        GUARDED_SERVICE,
        (
            "its attempt 1 failed before the handler was called, so it was retried): its buyer "
            "was never told: no receipt was ever written for it. Your handler answered "
            "'duplicate' on delivery",
        ),
    ),
    # -- every run of a file counted, however it happens ----------------------------------
    Fix(
        "the guard alone, the reload kept",
        SHIPPED_WORKER,
        GUARDED_SERVICE,
        (
            "notifications.py ran ",
            "first by notification_worker.py line 13, then ",
            "by notification_worker.py line 23.",
            "NotificationService was built ",
        ),
    ),
    Fix(
        "the file run again by spec_from_file_location and exec_module",
        edited(
            SHIPPED_WORKER,
            ("import importlib\n", "import importlib.util\n"),
            (
                RELOAD,
                "            spec = importlib.util.spec_from_file_location(\n"
                "                notifications.__name__, notifications.__file__\n            )\n"
                "            spec.loader.exec_module(notifications)\n",
            ),
        ),
        GUARDED_SERVICE,
        ("notifications.py ran", "by notification_worker.py line 26."),
    ),
    Fix(
        "the file run again by runpy",
        edited(
            SHIPPED_WORKER,
            ("import importlib\n", "import runpy\n"),
            (RELOAD + REBUILD, "            runpy.run_path(notifications.__file__)\n"),
        ),
        GUARDED_SERVICE,
        (
            "notifications.py ran ",
            "by notification_worker.py line 23.",
        ),
    ),
    Fix(
        "the file's source run again by exec",
        edited(
            SHIPPED_WORKER,
            ("import importlib\n", "import pathlib\n"),
            (
                RELOAD + REBUILD,
                "            exec(pathlib.Path(notifications.__file__)"
                ".read_text(), vars(notifications))\n",
            ),
        ),
        GUARDED_SERVICE,
        (
            "notifications.py ran ",
            "by notification_worker.py line 23.",
        ),
    ),
    Fix(
        "a new NotificationService() on every retry",
        edited(SHIPPED_WORKER, (RELOAD, "")),
        GUARDED_SERVICE,
        (
            "NotificationService was built ",
            "once at notification_worker.py line 34, ",
            "at notification_worker.py line 23. Build it once",
        ),
    ),
    Fix(
        "overwrite=True, with the reload kept",
        SHIPPED_WORKER,
        edited(SHIPPED_SERVICE, (UNGUARDED, UNGUARDED.replace(")", ", overwrite=True)"))),
        (
            "notifications.py ran ",
            "The registry compiled PushReceipt "
            "again each time and nothing raised: the model was replaced (overwrite=True",
        ),
    ),
    Fix(
        "OverwriteModelError caught around the reload",
        edited(
            SHIPPED_WORKER,
            (
                RELOAD,
                "            try:\n                importlib.reload"
                "(notifications)\n            except OverwriteModelError:\n"
                "                pass\n",
            ),
            (IMPORTS, "from modelguard.registry.errors import OverwriteModelError\n\n" + IMPORTS),
        ),
        SHIPPED_SERVICE,
        (
            "OverwriteModelError was raised at notifications.py line 28 and swallowed at "
            "notification_worker.py line 27.",
        ),
    ),
]
WRONG = [Fix(f.name, f.worker, f.service, f.said, seed) for seed, f in enumerate(WRONG, 1)]

RIGHT = [
    Fix("the solution as shipped", SOLVED_WORKER, GUARDED_SERVICE),
    Fix(
        "define(), and the decorator deleted",
        without_decorator(SHIPPED_WORKER),
        edited(
            SHIPPED_SERVICE, (UNGUARDED, UNGUARDED.replace("registry.model(", "registry.define("))
        ),
    ),
    Fix(
        "an if-in-models guard",
        SOLVED_WORKER,
        edited(
            SHIPPED_SERVICE,
            (
                UNGUARDED,
                """if "PushReceipt" in registry.models:
    PushReceipt = registry.models["PushReceipt"]
else:
    PushReceipt = registry.model("PushReceipt", PushReceiptSchema)""",
            ),
        ),
    ),
    Fix(
        "a look-up, compiled on MissingSchemaError",
        SOLVED_WORKER,
        edited(
            SHIPPED_SERVICE,
            (
                UNGUARDED,
                """try:
    PushReceipt = registry.model("PushReceipt")
except MissingSchemaError:
    PushReceipt = registry.model("PushReceipt", PushReceiptSchema)""",
            ),
            (
                "from modelguard import Schema, registry\n",
                "from modelguard import Schema, "
                "registry\nfrom modelguard.registry.errors import MissingSchemaError\n",
            ),
        ),
    ),
    Fix(
        "a cached factory",
        edited(
            SOLVED_WORKER,
            (
                IMPORTS,
                "import functools\n\n"
                + IMPORTS
                + """

@functools.cache
def service():
    return notifications.NotificationService()
""",
            ),
            (INITIALIZE, "    def initialize(self) -> None:\n        service()\n"),
            (NOT_INITIALIZED, ""),
            ("told = self.service.notify(", "told = service().notify("),
        ),
        GUARDED_SERVICE,
    ),
    Fix(
        "the service built lazily, on the process's first delivery, under a lock",
        edited(
            SOLVED_WORKER,
            (
                INITIALIZE,
                """    def initialize(self) -> None:
        self._lock = threading.Lock()  # the consumers of one process share this worker
        self.service = None

    def _service(self):
        with self._lock:
            if self.service is None:
                self.service = notifications.NotificationService()
            return self.service
""",
            ),
            (
                NOT_INITIALIZED + "        told = self.service.notify(",
                "        told = self._service().notify(",
            ),
            (IMPORTS, "import threading\n\n" + IMPORTS),
        ),
        GUARDED_SERVICE,
    ),
    Fix(
        "one service for the module, built when the worker module is imported",
        edited(
            SOLVED_WORKER,
            (IMPORTS, IMPORTS + "\nSERVICE = notifications.NotificationService()\n"),
            (
                "            self.service = notifications.NotificationService()\n",
                "            self.service = SERVICE\n",
            ),
        ),
        GUARDED_SERVICE,
    ),
    Fix(
        "an upsert that inserts only once ($setOnInsert)",
        SOLVED_WORKER,
        edited(
            GUARDED_SERVICE,
            (f"        if {LOOKUP}:\n            return False\n", ""),
            (
                BUILD_AND_SAVE,
                """        written = PushReceipt._get_collection().update_one(
            {"purchase_id": purchase_id},
            {"$setOnInsert": {
                "user_id": user_id,
                "title": f"{self._course_title(course_id)} is ready for you",
                "event_id": event_id,
                "sent_at": datetime.now(UTC),
            }},
            upsert=True,
        )
        return written.upserted_id is not None
""",
            ),
        ),
    ),
    Fix(
        "a look-up in registry.models, compiled on KeyError",
        SOLVED_WORKER,
        edited(
            SHIPPED_SERVICE,
            (
                UNGUARDED,
                """try:
    PushReceipt = registry.models["PushReceipt"]
except KeyError:
    PushReceipt = registry.model("PushReceipt", PushReceiptSchema)""",
            ),
        ),
    ),
    Fix(
        "compiled, and looked up on OverwriteModelError",
        SOLVED_WORKER,
        edited(
            SHIPPED_SERVICE,
            (
                UNGUARDED,
                """try:
    PushReceipt = registry.model("PushReceipt", PushReceiptSchema)
except OverwriteModelError:
    PushReceipt = registry.model("PushReceipt")""",
            ),
            (
                "from modelguard import Schema, registry\n",
                "from modelguard import Schema, "
                "registry\nfrom modelguard.registry.errors import OverwriteModelError\n",
            ),
        ),
    ),
    Fix(
        "the service kept in a class attribute, shared by every worker of the process",
        edited(
            SOLVED_WORKER,
            ("class NotificationWorker:\n", "class NotificationWorker:\n    shared = None\n\n"),
            (
                INITIALIZE,
                """    def initialize(self) -> None:
        if NotificationWorker.shared is None:
            NotificationWorker.shared = notifications.NotificationService()
        self.service = NotificationWorker.shared
""",
            ),
        ),
        edited(
            SHIPPED_SERVICE,
            (
                UNGUARDED,
                """if (PushReceipt := registry.models.get("PushReceipt")) is None:
    PushReceipt = registry.model("PushReceipt", PushReceiptSchema)""",
            ),
        ),
    ),
    Fix(
        "the receipt inserted on the raw collection, a duplicate key meaning already told",
        SOLVED_WORKER,
        edited(
            GUARDED_SERVICE,
            (f"        if {LOOKUP}:\n            return False\n", ""),
            (
                "from mongoengine.errors import NotUniqueError\n",
                "from mongoengine.errors import NotUniqueError\n"
                "from pymongo.errors import DuplicateKeyError\n",
            ),
            (
                BUILD_AND_SAVE,
                """        try:
            PushReceipt._get_collection().insert_one({
                "purchase_id": purchase_id,
                "user_id": user_id,
                "title": f"{self._course_title(course_id)} is ready for you",
                "event_id": event_id,
            })
        except DuplicateKeyError:
            return False
        return True
""",
            ),
        ),
    ),
    Fix(
        "the decorator's use deleted, the unused decorator kept",
        without_decorator_use(SHIPPED_WORKER),
        GUARDED_SERVICE,
    ),
]
RIGHT = [Fix(f.name, f.worker, f.service, f.said, seed) for seed, f in enumerate(RIGHT, 101)]


def the_learner_writes(root: Path, fix: Fix) -> Path:
    folder = root / f"fix{(WRONG + RIGHT).index(fix)}" / "exercise"
    folder.mkdir(parents=True)
    shutil.copy(EXERCISE / "__init__.py", folder / "__init__.py")
    (folder / "notification_worker.py").write_text(fix.worker)
    (folder / "notifications.py").write_text(fix.service)
    return folder


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory):
    """Every fix's verdict; the checks are processes, so two run at a time."""
    root = tmp_path_factory.mktemp("fixes")
    fixes = WRONG + RIGHT
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = pool.map(lambda fix: check(the_learner_writes(root, fix), seed=fix.seed), fixes)
        return dict(zip([fix.name for fix in fixes], done, strict=True))


@pytest.mark.parametrize("fix", WRONG, ids=[fix.name for fix in WRONG])
def test_a_wrong_fix_is_refused_saying_what_it_did(verdicts, fix):
    verdict = verdicts[fix.name]
    text = " ".join(str(verdict).split())  # as read, not as wrapped
    assert not verdict.passed, text
    for words in fix.said:
        assert words in text, f"{words!r} not in:\n{verdict}"


@pytest.mark.parametrize("fix", RIGHT, ids=[fix.name for fix in RIGHT])
def test_a_right_fix_passes_whichever_way_it_is_written(verdicts, fix):
    verdict = verdicts[fix.name]
    assert verdict.passed, str(verdict)
    assert str(verdict).startswith(f"Passed (seed {fix.seed}).")


def test_dead_code_with_a_lint_finding_is_said_and_does_not_fail(verdicts):
    verdict = verdicts["the decorator's use deleted, the unused decorator kept"]
    text = " ".join(str(verdict).split())
    assert "MG002" in text
    assert "That line is in retry_with_a_fresh_service(), which nothing in your files calls" in text


def test_the_wrong_fixes_differ_from_each_other_and_from_the_right_ones():
    sources = [(fix.worker, fix.service) for fix in WRONG + RIGHT]
    assert len(set(sources)) == len(sources)
