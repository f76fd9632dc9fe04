"""Every record ends processed or dead-lettered with a reason, whatever it holds."""

from __future__ import annotations

import argparse
import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelguard import db
from modelguard.bootstrap import open_broker
from modelguard.lab.faults import InjectedFailure
from modelguard.lab.soak import (
    Outgoing,
    Parts,
    Soak,
    SoakRefused,
    WorkerProcess,
    prepare,
    run_soak,
    soak_table,
)
from modelguard.lab.soak import main as soak_main
from modelguard.messaging.events import PurchaseCreated

ID_FIELDS = ("type", "event_id", "purchase_id", "user_id", "course_id", "padding")


@pytest.fixture(scope="module")
def world():
    """One worker process over a clean database, fed by a memory broker for all examples."""
    # Module-scoped, so set up before conftest's per-test guard: keep servers out here too.
    with pytest.MonkeyPatch.context() as env, open_broker("memory") as bus:
        env.delenv("MONGODB_URI", raising=False)
        database, course_ids = prepare()
        yield {
            "database": database,
            "course_ids": course_ids,
            "soak": Soak(bus, WorkerProcess({}, []), consumers=2, deadline=0.0),
            "rounds": iter(range(10**6)),
        }
    db.disconnect()


valid_events = st.builds(
    lambda number, course, keyless: ("valid", number, course, keyless),
    st.integers(0, 7),  # few ids, so the same event is published again and again
    st.integers(0, 2),
    st.booleans(),
)
json_like = st.dictionaries(
    st.sampled_from(ID_FIELDS),
    st.one_of(
        st.just("PURCHASE_CREATED"),
        st.text(max_size=70),
        st.integers(),
        st.none(),
        st.lists(st.integers(), max_size=3),
    ),
).map(lambda data: ("bytes", json.dumps(data).encode()))
raw_bytes = st.binary(max_size=300).map(lambda value: ("bytes", value))
records = st.lists(st.one_of(valid_events, json_like, raw_bytes), min_size=1, max_size=25)


def _outgoing(spec, course_ids) -> Outgoing:
    if spec[0] == "bytes":
        return Outgoing(spec[1], None, "arbitrary")
    _, number, course, keyless = spec
    event = PurchaseCreated(
        event_id=f"prop-evt-{number}",
        purchase_id=f"prop-pur-{number}",
        user_id=f"student-{number}",
        course_id=course_ids[course],
    )
    key = None if keyless else event.purchase_id.encode()
    return Outgoing(event.to_bytes(), key, "valid", event.purchase_id)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=records)
def test_every_record_is_processed_or_dead_lettered_with_a_reason(world, specs):
    soak: Soak = world["soak"]
    soak.deadline = time.monotonic() + 30
    batch = [_outgoing(spec, world["course_ids"]) for spec in specs]
    before = soak.figures.dead_letters_without_reason

    fates = soak.run_round(f"prop-{next(world['rounds'])}", batch, world["database"])

    assert "lost" not in fates
    assert soak.figures.dead_letters_without_reason == before
    for record, fate in zip(batch, fates, strict=True):
        if record.category == "valid":
            assert fate == "processed"
    assert not soak.crashes


def test_a_soak_of_500_records_loses_nothing_and_applies_nothing_twice():
    result = run_soak(records=500, seed=1, parts=Parts(kills=0), progress=False)

    assert (result["crashes"], result["lost"], result["duplicates"]) == (0, 0, 0)
    assert result["processed"] + result["dead_lettered"] == result["records"] == 500
    assert result["allocations_missing"] == 0 and result["unexpected"] == 0
    assert result["ok"]


def test_a_soak_with_killed_workers_loses_nothing():
    result = run_soak(records=300, seed=2, parts=Parts(kills=2), progress=False)

    assert result["kills"] == 2 and result["processes"] == 3
    # Each kill cut an attempt short, and that attempt is counted.
    assert result["attempts"]["crashed"] == 2
    assert (result["crashes"], result["lost"], result["duplicates"]) == (0, 0, 0)
    assert result["ok"]


def test_events_that_always_fail_end_in_the_dlq_not_lost():
    result = run_soak(
        records=300, seed=3, parts=Parts(kills=0, replay=False), failing=0.3, progress=False
    )

    failing = result["categories"]["failing"]
    assert failing.get("dead_lettered", 0) > 0 and "processed" not in failing
    assert result["dead_letter_reasons"][InjectedFailure.__name__] > 0
    assert result["lost"] == 0 and result["ok"]


def test_once_their_cause_is_gone_the_replayed_failing_events_are_processed():
    result = run_soak(records=300, seed=3, parts=Parts(kills=1), failing=0.3, progress=False)

    failing = result["categories"]["failing"]
    assert failing.get("processed", 0) > 0 and "dead_lettered" not in failing
    assert result["replayed"] >= failing["processed"]
    # Bad records stay bad: replayed, they are dead-lettered again, with their reason.
    assert set(result["categories"]["not_json"]) == {"dead_lettered"}
    assert result["lost"] == 0 and result["duplicates"] == 0 and result["ok"]


def test_without_bad_records_the_stream_holds_only_events():
    result = run_soak(records=200, seed=7, parts=Parts(kills=0, bad_records=False), progress=False)

    assert set(result["categories"]) <= {"valid", "duplicated_event_id"}
    assert result["dead_lettered"] == 0 and result["ok"]


def test_a_handler_that_does_nothing_is_noticed():
    def do_nothing(handler):
        return lambda event, attempt: "allocated"

    result = run_soak(
        records=200, seed=4, parts=Parts(kills=0), wrap_handler=do_nothing, progress=False
    )

    assert result["allocations_missing"] == result["purchases"] > 0
    assert not result["ok"]


class ProcessDeath(BaseException):
    """Escapes every handler, as a segfault or os._exit would end the process."""


def test_a_handler_that_kills_the_process_is_counted_as_a_crash():
    def die_on_some_purchases(handler):
        def handle(event, attempt):
            if event.purchase_id.endswith("1"):
                raise ProcessDeath(f"died on {event.event_id}")
            return handler(event, attempt)

        return handle

    result = run_soak(
        records=200, seed=5, parts=Parts(kills=0), wrap_handler=die_on_some_purchases,
        progress=False,
    )  # fmt: skip

    assert result["crashes"] > 0 and result["lost"] > 0
    assert not result["ok"]


def soak_args(**overrides) -> argparse.Namespace:
    """The command's arguments with its own defaults, as the CLI parses them."""
    from modelguard.entrypoints.cli import build_parser

    args = build_parser().parse_args(["soak"])
    for name, value in overrides.items():
        setattr(args, name, value)
    return args


def test_the_command_prints_json_and_exits_0_when_nothing_is_lost(capsys):
    assert soak_main(soak_args(records=100, seed=6, kills=1, json=True)) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] is True and result["kills"] == 1
    assert result["parts"] == {"bad_records": True, "kills": 1, "restart_broker": False,
                               "database_outage": False, "replay": True}  # fmt: skip


def test_the_table_gives_the_verdict_and_the_failing_figures(capsys):
    def do_nothing(handler):
        return lambda event, attempt: "allocated"

    result = run_soak(records=50, seed=8, parts=Parts(kills=0), wrap_handler=do_nothing,
                      progress=False)  # fmt: skip
    table = soak_table(result)
    assert "verdict: FAILED" in table and "allocations_missing" in table.splitlines()[-1]


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        ({"restart_broker": True}, "--restart-broker needs --broker kafka"),
        ({"database_outage": True}, "--database-outage needs --broker kafka"),
    ],
)
def test_the_embedded_broker_refuses_what_it_cannot_do_with_the_reason(capsys, flags, words):
    assert soak_main(soak_args(**flags)) == 2
    assert words in capsys.readouterr().err
    with pytest.raises(SoakRefused, match="embedded"):
        run_soak(records=10, parts=Parts(**flags))


def test_a_database_outage_needs_the_replay_that_brings_its_events_back(capsys):
    assert soak_main(soak_args(broker="kafka", database_outage=True, replay=False)) == 2
    assert "--database-outage needs --replay" in capsys.readouterr().err
