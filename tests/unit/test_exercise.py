"""The exercise's check: it reports the shipped bug from what the database holds, passes
the solution, each half-fix fails it for its own reason, and the learner's folder is
never changed. (`test_exercise_fixes.py` runs the table of wrong and right fixes.)"""

from __future__ import annotations

import hashlib
import importlib
import logging
import shutil
import sys
from pathlib import Path

import pytest
from mongoengine import fields
from pymongo.errors import NetworkTimeout

from modelguard.lab.exercise import check, judge, run
from modelguard.lab.exercise.learner import LearnerPackage, NotAPackage
from modelguard.lab.exercise.outage import (
    InjectedDatabaseTimeout,
    database_times_out,
    models_keeping,
)
from modelguard.lab.exercise.stored import Stored
from modelguard.messaging.events import PurchaseCreated

logging.getLogger("modelguard").setLevel(logging.CRITICAL)

EXERCISE = Path(__file__).resolve().parents[2] / "notebooks" / "exercise"
SOLUTION = EXERCISE / "solution"


def fingerprint(folder: Path) -> dict[str, str]:
    """Every file under the folder (bytecode caches included) and its content's hash."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def learner_copy(tmp_path: Path, *, worker: Path, service: Path) -> Path:
    """A learner's folder named `exercise`, made of the given worker and service files."""
    folder = tmp_path / "exercise"
    folder.mkdir()
    shutil.copy(EXERCISE / "__init__.py", folder / "__init__.py")
    shutil.copy(worker, folder / "notification_worker.py")
    shutil.copy(service, folder / "notifications.py")
    return folder


@pytest.fixture(scope="module")
def shipped():
    return run(EXERCISE)


def test_the_shipped_worker_dead_letters_its_retries_with_overwrite_model_error(shipped):
    by_name = {r["name"]: r for r in shipped.results}
    for name in ("kafka_retry", "multiple_retries"):
        assert by_name[name]["dead_lettered"] == 1, name
        assert by_name[name]["errors"]["OverwriteModelError"] >= 1, name
    for name in ("concurrent_events", "worker_restart"):  # no retries, so no reload
        assert by_name[name]["succeeded"] == by_name[name]["events"], name
    assert shipped.runs["notifications.py"] == 5  # once at start-up, then on each retry
    assert sorted(f.code for f in shipped.findings) == ["MG001", "MG002"]
    assert "importlib.reload" in shipped.first_error("OverwriteModelError").diagnosis


def test_the_check_reads_the_receipts_from_the_database(shipped):
    stored = shipped.stored
    assert str(stored["kafka_retry"]).startswith("1 purchase, 0 receipts stored; 1 purchase")
    assert stored["kafka_retry"].lost() == sorted(stored["kafka_retry"].purchases)
    for name in ("concurrent_events", "worker_restart"):
        assert str(stored[name]) == "20 purchases, 20 receipts stored", name
        assert stored[name].right, name
    by_name = {r["name"]: r for r in shipped.results}
    assert by_name["database_timeout"]["errors"]["InjectedDatabaseTimeout"] == 1
    assert by_name["database_timeout"]["dead_lettered"] == 1  # attempt 2 reloads, and raises
    assert all(len(p.built["NotificationService"]) == 1 for p in shipped.all_processes())


def test_the_verdict_on_the_shipped_worker_says_what_fails_in_plain_words(shipped):
    verdict = judge(shipped)
    text = str(verdict)
    assert not verdict.passed
    assert text.startswith(f"Not yet: {len(verdict.problems)} things still fail.")
    assert verdict.right == ["concurrent_events", "worker_restart"]
    assert "1. kafka_retry" in text and "dead letter queue after 5 attempts" in text
    assert "1 purchase with no receipt, in the DLQ: kafka_retry-" in " ".join(text.split())
    assert "the failures happen before your handler is called" in " ".join(text.split())
    assert "notifications.py line 28" in text  # where the model is registered again
    assert "re-executed under the same name 'exercise.notifications'" in " ".join(text.split())
    assert "notifications.py ran 5 times in one worker process" in text
    assert "notification_worker.py line 23: MG002" in text
    assert max(len(line) for line in text.splitlines()) <= 100


def test_the_solution_passes_the_check():
    verdict = check(SOLUTION, seed=3)
    assert verdict.passed, str(verdict)
    assert verdict.killed == 4  # one process per kill point, each ended by SIGKILL
    assert "and 4 worker processes killed with SIGKILL" in " ".join(str(verdict).split())
    assert " ".join(str(verdict).split()).startswith(
        "Passed (seed 3). 10 purchases (3 by one buyer, each course bought by 3 buyers or more, "
        "one course bought twice by one buyer)"
    )


def test_the_shipped_worker_is_refused_for_the_buyers_it_never_told():
    verdict = check(EXERCISE, seed=3)
    text = " ".join(str(verdict).split())
    assert not verdict.passed
    assert text.startswith(f"Not yet (seed 3): {len(verdict.problems)} things still fail.")
    for hazard in ("its attempt 1 failed before the handler was called, so it was retried",
                   "its attempts 1 to 4 failed before the handler was called",
                   "the database timed out inside the handler on attempt 1"):  # fmt: skip
        assert f"{hazard}): its buyer was never told" in text, hazard
    assert "the handler raised OverwriteModelError at notifications.py line 28" in text
    assert "re-executed under the same name 'exercise.notifications'" in text
    assert "notifications.py ran" in text and "by notification_worker.py line 23" in text
    assert "notification_worker.py line 23: MG002" in text
    assert "notifications.py line 28: MG001" in text
    assert max(len(line) for line in str(verdict).splitlines()) <= 100


def test_the_same_seed_gives_the_same_verdict_and_another_seed_another_schedule():
    first, again = check(EXERCISE, seed=11), check(EXERCISE, seed=11)
    assert (first.problems, first.notes) == (again.problems, again.notes)
    assert str(first).splitlines()[:-3] == str(again).splitlines()[:-3]  # all but the time
    other = check(EXERCISE, seed=12)
    assert other.problems != first.problems  # other purchases meet the retries


def test_a_check_changes_nothing_for_the_next_one_or_for_the_kernel(tmp_path):
    from modelguard import registry

    folder = learner_copy(
        tmp_path, worker=EXERCISE / "notification_worker.py", service=EXERCISE / "notifications.py"
    )
    service = folder / "notifications.py"
    before = registry.overwrite_models
    service.write_text(service.read_text().replace(
        "PushReceipt = registry.model(", "registry.overwrite_models = True\nPushReceipt = "
        "registry.model(").replace("import sys\n", ""))  # fmt: skip
    replaced = " ".join(str(check(folder, seed=5)).split())
    assert "the model was replaced" in replaced
    assert registry.overwrite_models is before  # the kernel's registry, untouched
    after = " ".join(str(check(EXERCISE, seed=5)).split())
    assert "the handler raised OverwriteModelError" in after  # not run under the option


def test_loading_once_alone_fails_only_the_lint_check(tmp_path):
    folder = learner_copy(
        tmp_path,
        worker=SOLUTION / "notification_worker.py",
        service=EXERCISE / "notifications.py",
    )
    verdict = check(folder, seed=4)
    assert len(verdict.problems) == 1 and "MG001" in verdict.problems[0], str(verdict)


def test_a_worker_that_cannot_start_is_reported_with_its_file_and_line(tmp_path):
    folder = learner_copy(
        tmp_path, worker=SOLUTION / "notification_worker.py", service=SOLUTION / "notifications.py"
    )
    broken = folder / "notification_worker.py"
    broken.write_text(broken.read_text().replace("def handle(self", "def handle(self,,"))
    verdict = check(folder, seed=4)
    assert not verdict.passed
    assert verdict.problems[0].startswith(
        "Your worker did not start: SyntaxError was raised at notification_worker.py line 25"
    ), verdict.problems[0]
    assert any("MG000" in problem for problem in verdict.problems)  # the lint cannot parse it


def test_an_ordinary_bug_in_the_handler_is_named_with_where_it_was_raised(tmp_path):
    folder = learner_copy(
        tmp_path, worker=SOLUTION / "notification_worker.py", service=SOLUTION / "notifications.py"
    )
    worker = folder / "notification_worker.py"
    worker.write_text(worker.read_text().replace("event.purchase_id", "event.purchase"))
    verdict = check(folder, seed=4)
    text = " ".join(str(verdict).split())
    assert len(verdict.problems) == 10  # every purchase, never told
    assert "5 times the handler raised AttributeError at notification_worker.py line 29" in text


def test_the_guard_alone_survives_the_scenarios_but_not_the_check(tmp_path):
    folder = learner_copy(
        tmp_path,
        worker=EXERCISE / "notification_worker.py",
        service=SOLUTION / "notifications.py",
    )
    evidence = run(folder)
    verdict = judge(evidence)
    assert all(r["dead_lettered"] == 0 and r["succeeded"] == r["events"] for r in evidence.results)
    assert not verdict.passed
    assert [p.split(" ")[0] for p in verdict.problems] == [
        "notifications.py", "NotificationService", "The",
    ]  # fmt: skip
    assert "ran twice" in verdict.problems[0] and "MG002" in verdict.problems[2]
    assert "built twice in one worker process" in verdict.problems[1]


def test_checking_leaves_the_learners_folder_as_it_was(tmp_path):
    before = fingerprint(EXERCISE)
    check(EXERCISE, seed=1)
    check(SOLUTION, seed=1)
    assert fingerprint(EXERCISE) == before
    assert not list(EXERCISE.rglob("__pycache__"))


def test_the_learner_package_counts_every_run_and_cleans_up(tmp_path):
    folder = tmp_path / "kata"
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    (folder / "step.py").write_text(
        "class Service:\n"
        "    def __init__(self, fail=False):\n"
        "        if fail:\n"
        "            raise ValueError(fail)\n"
        "\n"
        "FIRST = Service()\n"
    )
    (folder / "use.py").write_text("from . import step\n\nAGAIN = step.Service()\n")
    sys.modules["kata"] = placeholder = type(sys)("kata")  # something else's module of that name
    try:
        with LearnerPackage(folder, watch=("Service",)) as package:
            process = package.start_process()
            step = package.import_module("step")
            importlib.reload(step)
            importlib.reload(step)
            assert process.runs == {"__init__.py": 1, "step.py": 3}
            package.import_module("use")
            with pytest.raises(ValueError):
                step.Service(fail=True)  # a constructor that raised built nothing
            assert process.built == {"Service": ["step.py line 6"] * 3 + ["use.py line 3"]}
            fresh = package.start_process()
            assert fresh.runs == {} and fresh.built == {} and "kata.step" not in sys.modules
            assert package.import_module("step") is not step
            assert package.runs == {"__init__.py": 1, "step.py": 1}
        assert package not in sys.meta_path
        assert sys.modules["kata"] is placeholder and "kata.step" not in sys.modules
        assert not (folder / "__pycache__").exists()
    finally:
        sys.modules.pop("kata", None)


def test_a_folder_without_init_is_refused_in_words(tmp_path):
    with pytest.raises(NotAPackage, match="has no __init__.py"):
        LearnerPackage(tmp_path)


def purchase(number: int, course: str = "c1") -> PurchaseCreated:
    return PurchaseCreated(f"e{number}", f"p{number}", f"student-{number}", course)


def receipt(
    number: int, buyer: str | None = None, title: str = "Web from scratch is ready"
) -> dict:
    return {"purchase_id": f"p{number}", "user_id": buyer or f"student-{number}", "title": title}


@pytest.mark.parametrize(
    ("receipts", "said"),
    [
        ([receipt(1), receipt(2)], "2 purchases, 2 receipts stored"),
        ([receipt(1)], "2 purchases, 1 receipt stored; 1 purchase lost without a trace, "
                       "no receipt although your worker reported success: p2"),
        ([receipt(1), receipt(2), receipt(2)], "2 purchases, 3 receipts stored; 1 purchase "
                                               "stored more than once: p2 (2 receipts)"),
        ([receipt(1), receipt(2, buyer="student-1")], "the receipt of p2 has the buyer 'student-1' "
                                                      "instead of 'student-2'"),
        ([receipt(1), receipt(2, title="Ready!")],
         "the receipt of p2 has the title 'Ready!', which does not name the course "
         "'Web from scratch'"),
        ([receipt(1), receipt(2), receipt(3)], "1 receipt for purchases nobody made: p3"),
    ],
)  # fmt: skip
def test_what_the_database_holds_is_said_purchase_by_purchase(receipts, said):
    stored = Stored(
        {p.purchase_id: p for p in (purchase(1), purchase(2))},
        receipts,
        {"c1": "Web from scratch"},
        outcomes={"p1": "succeeded", "p2": "succeeded"},
    )
    assert said in str(stored)
    assert stored.right == (said == "2 purchases, 2 receipts stored")


def test_the_database_outage_times_out_inside_and_is_taken_off_afterwards():
    from modelguard import Schema, registry
    from modelguard.bootstrap import fresh_process
    from modelguard.lab.databases import clean_database

    fresh_process()
    clean_database()
    Receipt = registry.model("Receipt", Schema({"n": fields.IntField()}, collection="receipts"))
    models = models_keeping("receipts")
    assert models == [Receipt]
    with database_times_out(models, "receipts"):
        with pytest.raises(InjectedDatabaseTimeout, match="injected: receipts.* timed out"):
            Receipt(n=1).save()
        with pytest.raises(NetworkTimeout):  # what a handler catching pymongo's errors sees
            Receipt.objects.first()
    Receipt(n=2).save()
    assert [r.n for r in Receipt.objects] == [2]
    fresh_process()
