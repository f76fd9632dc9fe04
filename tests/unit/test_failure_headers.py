"""A failure's message and notes in DLQ headers, and the registry's diagnosis read back."""

from __future__ import annotations

import json

import pytest

from modelguard import OverwriteModelError
from modelguard.config import dlq_topic, retry_topic
from modelguard.messaging.consumer import Headers, RetryingConsumer
from modelguard.messaging.drivers.memory import MemoryBroker
from modelguard.messaging.events import PurchaseCreated
from modelguard.messaging.failure import error_message, error_notes, read_notes
from modelguard.registry.errors import CompileSite, Trigger, diagnose, double_run_in

FIRST = CompileSite("modelguard.academy.models.shared.user", "/srv/academy/user.py", 25)
AGAIN = CompileSite("admin_build_2_shared_user", "/srv/academy/user.py", 25)


def test_the_message_leaves_the_notes_to_their_own_header():
    error = OverwriteModelError("User", FIRST, AGAIN)
    assert error_message(error) == (
        b"modelguard.registry.errors.OverwriteModelError: "
        b"Cannot overwrite `User` model once compiled."
    )
    assert read_notes(error_notes(error)) == error.__notes__
    assert len(error.__notes__) == 3


def test_an_error_without_notes_has_an_empty_list_and_its_whole_message():
    error = ValueError("line one\nline two")
    assert read_notes(error_notes(error)) == []
    assert error_message(error) == b"ValueError: line one\nline two"


def test_a_multi_line_note_is_kept_whole_and_the_message_stays_clean():
    error = RuntimeError("boom")
    error.add_note("first line\nsecond line")
    assert error_message(error) == b"RuntimeError: boom"
    assert read_notes(error_notes(error)) == ["first line\nsecond line"]


def test_notes_are_bounded():
    error = RuntimeError("boom")
    for n in range(30):
        error.add_note(f"{n}" * 5000)
    notes = read_notes(error_notes(error))
    assert len(notes) == 10 and all(len(note) == 1000 for note in notes)


@pytest.mark.parametrize("raw", [None, b"", b"not json", b'{"a": 1}', b"[1, 2]"])
def test_a_notes_header_someone_else_wrote_reads_as_no_notes(raw):
    assert read_notes(raw) == []


def test_the_diagnosis_is_read_back_from_the_notes():
    error = OverwriteModelError("User", FIRST, AGAIN)
    double_run = double_run_in(read_notes(error_notes(error)))
    assert double_run is not None
    assert (double_run.first, double_run.again) == (FIRST, AGAIN)
    assert double_run.trigger == Trigger.LOAD_BY_PATH == error.trigger
    assert str(double_run) == (
        "user.py ran twice, under 'modelguard.academy.models.shared.user' and "
        "'admin_build_2_shared_user': loaded by file path as 'admin_build_2_shared_user', "
        "a name no sys.path entry gives it (spec_from_file_location and exec_module, "
        "or a tool that loads files that way)"
    )


def test_the_cause_is_read_back_as_the_raising_process_decided_it():
    # The reading process has another sys.path: the cause comes from the note, not from it.
    first = CompileSite("shop.carts", "/srv/app/shop/carts.py", 4)
    again = CompileSite("carts", "/srv/app/shop/carts.py", 4)
    error = OverwriteModelError("Cart", first, again)
    error.__notes__[-1] = diagnose(first, again, search_path=["/srv/app", "/srv/app/shop"])
    double_run = double_run_in(read_notes(error_notes(error)))
    assert double_run is not None and double_run.trigger == Trigger.TWO_SYS_PATH_ENTRIES
    assert double_run.cause == (
        "imported by name through two sys.path entries: /srv/app gives it the name "
        "'shop.carts' and /srv/app/shop gives it the name 'carts'"
    )


def test_notes_without_a_diagnosis_say_what_the_names_alone_can():
    notes = OverwriteModelError("User", FIRST, AGAIN).__notes__[:2]
    double_run = double_run_in(notes)
    assert double_run is not None and double_run.cause == "the notes do not say how"
    same = CompileSite(FIRST.module, FIRST.file, 30)
    reload = double_run_in(OverwriteModelError("User", FIRST, same).__notes__[:2])
    assert reload is not None and reload.trigger == Trigger.RELOAD


def test_a_reload_under_one_name_is_told_apart():
    again = CompileSite(FIRST.module, FIRST.file, 25)
    double_run = double_run_in(OverwriteModelError("User", FIRST, again).__notes__)
    assert double_run is not None and double_run.trigger == Trigger.RELOAD
    assert "importlib.reload" in double_run.cause


@pytest.mark.parametrize(
    "notes",
    [
        [],
        ["first compiled in module 'a' (/x/a.py:1)"],
        ["first compiled in module 'a' (/x/a.py:1)", "compiled again in module 'b' (/x/b.py:1)"],
        ["first compiled in nonsense", "compiled again in module 'b' (/x/b.py:1)"],
    ],
)
def test_notes_that_do_not_name_one_file_twice_have_no_diagnosis(notes):
    assert double_run_in(notes) is None


def test_the_dead_letter_carries_the_notes_of_the_error():
    bus = MemoryBroker()
    for topic in ("purchases", retry_topic("purchases"), dlq_topic("purchases")):
        bus.create_topic(topic)

    def handler(event, attempt):
        raise OverwriteModelError("User", FIRST, AGAIN)

    consumer = RetryingConsumer(bus, "purchases", "workers", handler)
    with bus.producer() as producer:
        producer.publish("purchases", PurchaseCreated("e", "p", "u", "c").to_bytes())
    for _ in range(20):
        consumer.poll_once(0.01)
    consumer.close()
    [dead] = bus.topic_records(dlq_topic("purchases"))
    notes = json.loads(dead.header(Headers.ERROR_NOTES))
    raised_here = OverwriteModelError("User", FIRST, AGAIN)
    assert double_run_in(notes) == double_run_in(raised_here.__notes__)
    # Retrying replaces the headers rather than piling them up.
    assert [k for k, _ in dead.headers].count(Headers.ERROR_NOTES) == 1
    bus.close()
