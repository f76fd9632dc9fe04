"""Records versus events in a DLQ, replays that resume where their group committed,
poison records left out with their reason, and dead-letter log lines an operator can use."""

from __future__ import annotations

import logging

from modelguard.config import dlq_topic
from modelguard.messaging.consumer import Headers, RetryingConsumer
from modelguard.messaging.drivers.memory import MemoryBroker
from modelguard.messaging.events import PurchaseCreated
from modelguard.messaging.failure import CODE_OR_ENVIRONMENT, PAYLOAD
from modelguard.messaging.policy import CLASSIFY
from modelguard.messaging.replay import POISON, WHY, plan_replay, replay_dead_letters
from modelguard.ops.dlq import inspect_dlq
from modelguard.registry.errors import OverwriteModelError
from modelguard.views.dlq import dlq_report, replay_report

TOPIC = "orders"


def dead_letter(offset: int, consumer: str, *, error: str = "OverwriteModelError",
                fault: str = CODE_OR_ENVIRONMENT, value: bytes | None = None,
                first_failure_ms: int = 1000):  # fmt: skip
    """The headers and value the consumer writes for the record at `offset` of TOPIC[0]."""
    event = PurchaseCreated(f"evt-{offset}", f"p-{offset}", "u", "c")
    headers = [
        (Headers.ORIGINAL_TOPIC, TOPIC.encode()), (Headers.ORIGINAL_PARTITION, b"0"),
        (Headers.ORIGINAL_OFFSET, str(offset).encode()), (Headers.ERROR_CLASS, error.encode()),
        (Headers.ERROR_MESSAGE, b"boom"), (Headers.CONSUMER, consumer.encode()),
        (Headers.FAULT, fault.encode()),
        (Headers.FIRST_FAILURE_MS, str(first_failure_ms).encode()),
    ]  # fmt: skip
    return (value if value is not None else event.to_bytes()), headers


def a_dlq(*letters) -> MemoryBroker:
    bus = MemoryBroker()
    bus.create_topic(TOPIC, 1)
    with bus.producer() as producer:
        for value, headers in letters:
            producer.publish(dlq_topic(TOPIC), value, headers=headers)
    return bus


def test_a_record_dead_lettered_twice_is_one_event_and_is_named_with_who_got_it_again():
    bus = a_dlq(dead_letter(0, "w1"), dead_letter(1, "w1"), dead_letter(1, "w2"),
                dead_letter(2, "w2"), dead_letter(2, "w2", first_failure_ms=2000))  # fmt: skip
    summary = inspect_dlq(bus, TOPIC)
    assert (summary.records, summary.events) == (5, 3)
    first, second = summary.repeats
    assert first.origin == (TOPIC, 0, 1) and first.event_id == "evt-1"
    assert [(p, o) for p, o, _, _ in first.copies] == [(0, 1), (0, 2)]
    assert first.why.startswith("written by w1, then w2; one run of attempts (the same "
                                "first failure) reached the DLQ again")  # fmt: skip
    assert second.why.startswith("written by w2, then w2; its attempts started over "
                                 "(2 different first failures)")  # fmt: skip
    text = dlq_report(summary)
    assert "5 dead letter(s) for 3 event(s); 2 record(s) repeat an event" in text
    assert f"    {TOPIC}[0]@1 evt-1: 2 records ([0]@1, [0]@2)" in text
    assert "offsets 0-2  (3 event(s), 5 record(s))" in text
    one = dlq_report(inspect_dlq(a_dlq(dead_letter(4, "w1")), TOPIC))
    assert f"{TOPIC}[0]  offset 4  (1 event(s), 1 record(s))" in one
    json = summary.to_json()
    assert (json["records"], json["events"], json["repeated_records"]) == (5, 3, 2)
    assert json["repeats"][0]["dead_letters"][1] == {
        "partition": 0, "offset": 2, "consumer": "w2", "first_failure_ms": 1000}  # fmt: skip


def test_events_repeated_for_one_reason_are_listed_under_it_once_in_lines_of_readable_width():
    bus = a_dlq(*(dead_letter(n, "w1") for n in range(3)),
                *(dead_letter(n, "w2") for n in range(3)))  # fmt: skip
    summary = inspect_dlq(bus, TOPIC)
    assert len(summary.repeats) == 3 and len({r.why for r in summary.repeats}) == 1
    text = dlq_report(summary)
    assert text.count("written by w1, then w2") == 1  # the reason once, its three events under it
    for n in range(3):
        assert f"    {TOPIC}[0]@{n} evt-{n}: 2 records ([0]@{n}, [0]@{n + 3})" in text
    assert max(len(line) for line in text.splitlines()) <= 100


def test_a_dry_run_in_a_group_that_committed_part_of_the_dlq_reports_exactly_the_rest():
    bus = a_dlq(*(dead_letter(n, "w1") for n in range(5)))
    assert replay_dead_letters(bus, TOPIC, group="g", read=2, idle_timeout_s=0.1) == 2
    assert bus.committed_offsets("g", dlq_topic(TOPIC)) == {0: 2}
    plan = plan_replay(bus, TOPIC, group="g")
    assert (plan.before_start, plan.records, plan.replayed) == (2, 3, 3)
    assert plan.to_json()["starts_at"] == {"0": 2}
    assert plan_replay(bus, TOPIC).replayed == 5  # no group: the whole DLQ
    assert plan_replay(bus, TOPIC, group="new").replayed == 5  # nothing committed
    # A real replay in the same group sends what the plan said, and ends with lag 0.
    assert replay_dead_letters(bus, TOPIC, group="g", idle_timeout_s=0.1) == plan.replayed
    assert bus.lag("g", dlq_topic(TOPIC)) == 0
    assert "the group has committed 2 record(s) (partition 0 at offset 2)" in replay_report(
        plan, dry_run=True
    )


def test_poison_records_are_left_out_with_their_reason_unless_only_names_their_class():
    bus = a_dlq(dead_letter(0, "w1", error="MalformedEvent", fault=PAYLOAD, value=b"{"),
                dead_letter(1, "w1", error="UnknownCourse", fault=PAYLOAD),
                dead_letter(2, "w1", error="ServerSelectionTimeoutError"),
                dead_letter(3, "w1"))  # fmt: skip
    plan = plan_replay(bus, TOPIC, group="r")
    assert plan.poison == {"MalformedEvent": 1, "UnknownCourse": 1}
    assert plan.replayed == 2
    text = replay_report(plan, dry_run=True)
    assert f"{POISON}: {WHY[POISON]}" in text and "would skip 2 record(s)" in text
    assert replay_dead_letters(bus, TOPIC, group="r", idle_timeout_s=0.1) == 2
    assert [r.offset for r in bus.topic_records(TOPIC)] == [0, 1]
    assert bus.lag("r", dlq_topic(TOPIC)) == 0
    chosen = plan_replay(bus, TOPIC, only={"UnknownCourse"})
    assert chosen.replay == {(TOPIC, "UnknownCourse"): 1} and not chosen.poison


def test_the_consumer_marks_payload_faults_and_logs_each_dead_letter_by_event_and_origin(caplog):
    bus = MemoryBroker()
    bus.create_topic(TOPIC, 1)
    with bus.producer() as producer:  # malformed (no user_id), but it carries an event id
        producer.publish(TOPIC, b'{"type":"PURCHASE_CREATED","event_id":"evt-9"}', key=b"k9")
        producer.publish(TOPIC, PurchaseCreated("evt-8", "p", "u", "c").to_bytes(), key=b"k8")

    def handler(event, attempt):
        raise OverwriteModelError("User")

    worker = RetryingConsumer(bus, TOPIC, "g", handler, name="w1", policy=CLASSIFY)
    with caplog.at_level(logging.ERROR, logger="modelguard.messaging.consumer"):
        worker.poll_once(1.0)
    worker.close()
    letters = bus.topic_records(dlq_topic(TOPIC))
    assert [r.header(Headers.FAULT) for r in letters] == [PAYLOAD.encode(),
                                                          CODE_OR_ENVIRONMENT.encode()]  # fmt: skip
    assert [r.header(Headers.CONSUMER) for r in letters] == [b"w1", b"w1"]
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0].startswith(f"w1: dead-lettered event evt-9 ({TOPIC}[0]@0, key 'k9')")
    assert "MalformedEvent: field 'purchase_id' is missing" in lines[0]
    assert lines[1].startswith(f"w1: dead-lettered event evt-8 ({TOPIC}[0]@1, key 'k8')")
    assert "after 1 attempt(s): OverwriteModelError: " in lines[1]


def test_a_store_tagged_with_another_run_is_not_read_and_the_report_says_whose_it_is():
    import mongomock

    from modelguard.config import run_id_of
    from modelguard.messaging.idempotency import COLLECTION, tag_run
    from modelguard.messaging.replay import processed_lookup
    from modelguard.ops.dlq import check_store

    assert run_id_of("purchases.soak-1.dlq") == "soak-1" and run_id_of("purchases.dlq") is None
    topic = "purchases.soak-1"
    bus = MemoryBroker()
    with bus.producer() as producer:
        value, headers = dead_letter(0, "w1")
        producer.publish(dlq_topic(topic), value, headers=headers)
    database = mongomock.MongoClient().db
    database[COLLECTION].insert_one({"event_id": "evt-0"})
    tag_run(database, "soak-2")
    store = check_store(database, dlq_topic(topic))
    summary = inspect_dlq(bus, topic, processed=processed_lookup(database), store=store)
    assert summary.already_processed is None
    assert ("database 'db' belongs to run soak-2, the DLQ to run soak-1: not read"
            in dlq_report(summary))  # fmt: skip
    tag_run(database, "soak-1")
    store = check_store(database, dlq_topic(topic))
    summary = inspect_dlq(bus, topic, processed=processed_lookup(database), store=store)
    assert summary.already_processed == ["evt-0"]
    assert "(run soak-1, as the DLQ)" in dlq_report(summary)


def test_only_naming_a_class_no_dead_letter_has_is_refused_and_nothing_is_committed(
    monkeypatch, capsys
):
    """A typo in --only would skip every record and commit it for the group: refused."""
    from contextlib import contextmanager

    import modelguard.bootstrap
    from modelguard.entrypoints.cli import main

    bus = a_dlq(*(dead_letter(n, "w1") for n in range(3)))

    @contextmanager
    def the_dlq(_name):
        yield bus

    monkeypatch.setattr(modelguard.bootstrap, "open_broker", the_dlq)
    monkeypatch.delenv("MONGODB_URI", raising=False)
    for dry in ([], ["--dry-run"]):
        argv = ["replay-dlq", "--broker", "kafka", "--topic", TOPIC, "--group", "g",
                "--only", "OverwriteModelErorr", *dry]  # fmt: skip
        assert main(argv) == 2
        out, err = capsys.readouterr()
        assert out == ""
        assert ("--only OverwriteModelErorr: no dead letter in orders.dlq from where group "
                "'g' has committed has that class (found: OverwriteModelError x3); nothing "
                "was replayed or committed") in " ".join(err.split())  # fmt: skip
        assert bus.committed_offsets("g", dlq_topic(TOPIC)) == {}
    # A class that is there is not refused: the dry run plans every record.
    assert main(["replay-dlq", "--broker", "kafka", "--topic", TOPIC, "--group", "g",
                 "--only", "OverwriteModelError", "--dry-run"]) == 0  # fmt: skip
    assert "would replay 3 record(s)" in capsys.readouterr().out


def test_a_dlq_named_for_topic_is_read_as_that_dlq_by_both_tools(monkeypatch, capsys):
    """`--topic orders.dlq` names the DLQ itself: the embedded flood still publishes to
    the worker's topic (not into the DLQ, where purchases would read as dead letters), and
    a replay reads that DLQ, not `orders.dlq.dlq`."""
    import json as json_
    from contextlib import contextmanager

    import modelguard.bootstrap
    from modelguard.entrypoints.cli import main

    assert main(["dlq", "inspect", "--topic", "purchases.dlq", "--events", "4", "--json"]) == 0
    out = json_.loads(capsys.readouterr().out)
    assert out["topic"] == "purchases.dlq"
    assert out["error_classes"] == {"OverwriteModelError": out["records"]} and out["records"] < 4

    bus = a_dlq(*(dead_letter(n, "w1") for n in range(3)))

    @contextmanager
    def the_dlq(_name):
        yield bus

    monkeypatch.setattr(modelguard.bootstrap, "open_broker", the_dlq)
    monkeypatch.delenv("MONGODB_URI", raising=False)
    assert main(["replay-dlq", "--broker", "kafka", "--topic", f"{TOPIC}.dlq", "--dry-run"]) == 0
    assert "read 3 record(s) for 3 event(s)" in capsys.readouterr().out
