"""The zombie worker on real Kafka: frozen mid-record past its session, then woken.

The full drill is `python -m modelguard soak --broker kafka --zombies N`; CI runs one
round on a few events. It freezes only worker processes, never the broker, so any
broker will do.
"""

from __future__ import annotations

import pytest

from modelguard.lab.zombie import SESSION_TIMEOUT_MS, run_zombie_drill

RECORDS = 40


@pytest.fixture
def services(kafka_bootstrap, mongodb_uri, monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    monkeypatch.setenv("MONGODB_URI", mongodb_uri)


@pytest.mark.integration
@pytest.mark.kafka
@pytest.mark.mongodb
def test_a_frozen_worker_wakes_to_a_refused_commit_and_its_record_is_applied_once(services):
    report = run_zombie_drill(RECORDS, zombies=1, timeout_s=300)

    # Frozen for longer than its session: the group dropped it meanwhile.
    [frozen_s] = report.frozen_s
    assert frozen_s * 1000 > SESSION_TIMEOUT_MS, report
    # It woke holding the record; the broker refused its commit, and the other worker
    # had already handled the record again from the group's last commit.
    assert report.commits_refused >= 1, report
    assert report.redelivered >= 1, report
    # The idempotency guard and the unique index made the second delivery harmless.
    assert report.duplicates == 0 and report.lost == 0, report
    assert report.allocations == RECORDS, report
    assert report.ok and report.to_json()["ok"] is True
