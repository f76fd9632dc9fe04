"""`dlq inspect` and `replay-dlq --only/--dry-run` on the embedded broker."""

from __future__ import annotations

import json
import logging

import pytest

from modelguard.config import dlq_topic
from modelguard.entrypoints.cli import main
from modelguard.lab.scenarios import flood_dead_letters
from modelguard.messaging.drivers.memory import MemoryBroker
from modelguard.messaging.replay import plan_replay, replay_dead_letters
from modelguard.ops.dlq import UNKNOWN, dlq_of, inspect_dlq
from modelguard.views.dlq import dlq_report, offset_ranges

logging.getLogger("modelguard").setLevel(logging.CRITICAL)
TOPIC = "purchases"


def with_a_malformed_record(bus: MemoryBroker) -> MemoryBroker:
    bus.create_topic(TOPIC, 4)
    with bus.producer() as producer:
        producer.publish(TOPIC, b"{not json", key=b"bad")
    return bus


@pytest.fixture(scope="module")
def flooded():
    """The buggy worker's DLQ, plus a malformed record and one nobody of ours wrote."""
    bus = with_a_malformed_record(MemoryBroker())
    flood = flood_dead_letters(bus, events=8, consumers=2, topic=TOPIC)
    with bus.producer() as producer:
        producer.publish(dlq_topic(TOPIC), b"from elsewhere", headers=[("x", b"1")])
    yield bus, flood
    bus.close()


def test_the_summary_counts_what_the_buggy_worker_left(flooded):
    bus, flood = flooded
    summary = inspect_dlq(bus, TOPIC)
    dead = flood.result.dead_lettered
    assert dead == 7  # the first event succeeds: nothing had compiled User yet
    assert summary.topic == dlq_topic(TOPIC)
    assert summary.error_classes["MalformedEvent"] == 1
    assert summary.error_classes[UNKNOWN] == 1
    assert summary.error_classes["OverwriteModelError"] == summary.records - 2 >= dead
    assert summary.attempts[5] == summary.error_classes["OverwriteModelError"]
    earliest, latest = summary.first_failure_ms
    assert 0 < earliest <= latest
    assert sum(len(offsets) for offsets in summary.origins.values()) == summary.records - 1
    assert {topic for topic, _ in summary.origins} == {TOPIC}
    [(message, count), *_] = summary.messages.most_common()
    assert message == (
        "modelguard.registry.errors.OverwriteModelError: "
        "Cannot overwrite `User` model once compiled."
    )
    assert count == summary.error_classes["OverwriteModelError"]


def test_the_diagnosis_names_the_file_that_ran_twice(flooded):
    bus, _ = flooded
    summary = inspect_dlq(bus, TOPIC)
    [runs] = summary.double_runs
    assert runs.file.endswith("academy/models/shared/user.py")
    assert runs.first_module.startswith("admin_build_")
    assert all(m.startswith("admin_build_") and m != runs.first_module for m in runs.again_modules)
    assert runs.example.startswith(f"user.py ran twice, under {runs.first_module!r} and ")
    assert runs.cause.startswith("loaded by file path as 'admin_build_")


def test_the_report_reads_in_the_operators_order(flooded):
    bus, _ = flooded
    text = dlq_report(inspect_dlq(bus, TOPIC))
    order = ["dead letter(s)", "by error class:", "first failures:", "from:",
             "most common messages:", "diagnosis ("]  # fmt: skip
    positions = [text.index(heading) for heading in order]
    assert positions == sorted(positions)
    assert "user.py ran twice, under 'admin_build_" in " ".join(text.split())
    diagnosis = text[text.index("diagnosis (") :].splitlines()
    assert max(len(line) for line in diagnosis if "file: " not in line) <= 88  # wrapped
    assert f"{TOPIC}[" in text


def test_inspecting_moves_no_group(flooded):
    bus, _ = flooded
    inspect_dlq(bus, TOPIC)
    inspect_dlq(bus, f"{TOPIC}.dlq")
    assert bus.committed("dlq-replayer", dlq_topic(TOPIC), 0) is None
    assert bus.lag("dlq-replayer", dlq_topic(TOPIC)) == len(bus.topic_records(dlq_topic(TOPIC)))


def test_an_empty_dlq_says_so():
    bus = MemoryBroker()
    summary = inspect_dlq(bus, "nothing-here")
    assert summary.records == 0
    assert dlq_report(summary) == "nothing-here.dlq: no dead letters"
    assert summary.to_json()["error_classes"] == {}


def test_a_dlq_is_named_by_its_topic_or_by_itself():
    assert dlq_of("purchases") == dlq_of("purchases.dlq") == "purchases.dlq"


@pytest.mark.parametrize(
    ("offsets", "text"), [([0, 1, 2, 3, 7, 9, 10], "0-3, 7, 9-10"), ([5], "5"), ([2, 1, 1], "1-2")]
)
def test_offsets_read_as_ranges(offsets, text):
    assert offset_ranges(offsets) == text


def test_a_dry_run_plans_and_touches_nothing_and_only_picks_a_class(flooded):
    bus, _ = flooded
    dlq = dlq_topic(TOPIC)
    everything = plan_replay(bus, TOPIC)
    # By default the malformed record is left out as poison; every other record goes back.
    assert everything.poison == {"MalformedEvent": 1}
    assert everything.replayed == len(bus.topic_records(dlq)) - 1 == everything.records - 1
    only = plan_replay(bus, TOPIC, only={"MalformedEvent"})
    assert only.replayed == 1
    assert only.replay == {(TOPIC, "MalformedEvent"): 1}
    assert not only.poison
    assert only.skip["OverwriteModelError"] == everything.replayed - 1
    assert bus.committed("dlq-replayer", dlq, 0) is None


def test_only_replays_its_class_and_commits_past_the_rest():
    bus = with_a_malformed_record(MemoryBroker())
    flood = flood_dead_letters(bus, events=4, consumers=1, topic=TOPIC)
    before = len(bus.topic_records(TOPIC))
    skipped = []
    replayed = replay_dead_letters(bus, TOPIC, group="r1", only={"MalformedEvent"},
                                   on_skip=skipped.append, idle_timeout_s=0.1)  # fmt: skip
    assert replayed == 1
    assert len(skipped) == flood.result.dead_lettered
    after = bus.topic_records(TOPIC)
    assert len(after) == before + 1
    assert [r.value for r in after].count(b"{not json") == 2  # the original and the replay
    assert bus.lag("r1", dlq_topic(TOPIC)) == 0
    bus.close()


def with_three_dead_letters() -> MemoryBroker:
    """A broker whose DLQ of TOPIC holds b"0", b"1" and b"2"."""
    bus = MemoryBroker()
    bus.create_topic(TOPIC, 1)
    with bus.producer() as producer:
        for n in range(3):
            producer.publish(dlq_topic(TOPIC), b"%d" % n)
    return bus


def test_a_limited_replay_stops_at_the_dead_letters_there_were():
    bus = with_three_dead_letters()
    there = len(bus.topic_records(dlq_topic(TOPIC)))
    with bus.producer() as producer:  # a worker dead-letters more meanwhile
        producer.publish(dlq_topic(TOPIC), b"later")
    assert replay_dead_letters(bus, TOPIC, group="r2", limit=there, idle_timeout_s=0.1) == 3
    assert [r.value for r in bus.topic_records(TOPIC)] == [b"0", b"1", b"2"]
    bus.close()


def test_the_command_line_inspects_a_flooded_embedded_dlq(capsys):
    assert main(["dlq", "inspect", "--topic", "orders", "--events", "4", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["topic"] == "orders.dlq"
    assert out["error_classes"] == {"OverwriteModelError": out["records"]}
    assert out["double_runs"][0]["file"].endswith("user.py")
    assert out["messages"][0]["records"] == out["records"]


def test_the_command_line_dry_run_replays_nothing(capsys):
    assert main(["replay-dlq", "--events", "4", "--dry-run", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["dry_run"] is True
    assert out["would_replay"] == out["dead_lettered_before"] > 0
    # Records and distinct events, as on Kafka: one event per record in a flood without a kill.
    assert out["would_replay_events"] == out["would_replay"]
    assert "replayed" not in out


def test_the_command_line_only_skips_other_classes(capsys):
    assert main(["replay-dlq", "--events", "4", "--only", "MalformedEvent", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["replayed"] == out["replayed_events"] == 0
    assert out["skipped"] == {"OverwriteModelError": out["dead_lettered_before"]}


def test_a_replay_told_how_many_records_the_dlq_holds_stops_after_reading_them():
    bus = with_three_dead_letters()
    skipped = []
    # Skipped records count as read: none of these is of the class asked for.
    replayed = replay_dead_letters(bus, TOPIC, group="r3", read=2, only={"MalformedEvent"},
                                   on_skip=skipped.append, idle_timeout_s=30)  # fmt: skip
    assert replayed == 0
    assert [r.value for r in skipped] == [b"0", b"1"]
    assert bus.lag("r3", dlq_topic(TOPIC)) == 1
    bus.close()
