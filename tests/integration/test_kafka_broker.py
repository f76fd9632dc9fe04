"""The Kafka adapter: the broker contract against a real broker, and the adapter's
configuration, which needs no broker at all."""

from __future__ import annotations

import logging

import pytest
from contract.broker_contract import BrokerContract

from modelguard.config import ServiceNotNamed
from modelguard.messaging.drivers.kafka import KafkaBroker
from modelguard.messaging.port import BrokerError


@pytest.fixture
def broker(kafka_bootstrap):
    with KafkaBroker(kafka_bootstrap, timeout_s=20) as kafka:
        yield kafka


@pytest.mark.integration
@pytest.mark.kafka
class TestKafkaBrokerContract(BrokerContract):
    # A consumer joins its group on its first polls: allow for the join and a rebalance.
    wait_s = 15.0
    quiet_s = 1.0


# -- configuration: no broker is contacted --


def test_from_env_passes_only_the_settings_that_are_set():
    broker = KafkaBroker.from_env(
        {
            "KAFKA_BOOTSTRAP_SERVERS": "kafka-1:9093,kafka-2:9093",
            "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
            "KAFKA_SASL_USERNAME": "allocation-worker",
            "KAFKA_SASL_PASSWORD": "s3cret",
            "KAFKA_SSL_CAFILE": "",
        }
    )
    assert broker.bootstrap_servers == "kafka-1:9093,kafka-2:9093"
    assert broker._settings() == {
        "bootstrap_servers": ["kafka-1:9093", "kafka-2:9093"],
        "bootstrap_timeout_ms": 30_000,
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "allocation-worker",
        "sasl_plain_password": "s3cret",
    }


def test_from_env_without_servers_names_the_variable_instead_of_guessing_an_address():
    for unset in ({}, {"KAFKA_BOOTSTRAP_SERVERS": "  "}):
        with pytest.raises(ServiceNotNamed, match="KAFKA_BOOTSTRAP_SERVERS is not set"):
            KafkaBroker.from_env(unset)


def test_the_password_never_shows_in_repr_or_logs(caplog):
    broker = KafkaBroker(
        "127.0.0.1:1", timeout_s=1, sasl_plain_username="worker", sasl_plain_password="s3cret"
    )
    caplog.set_level(logging.DEBUG)
    with pytest.raises(BrokerError):
        broker.create_topic("orders")
    assert "s3cret" not in repr(broker) and "worker" in repr(broker)
    assert "s3cret" not in caplog.text


def test_settings_other_than_security_are_refused():
    with pytest.raises(TypeError, match="group_id"):
        KafkaBroker("127.0.0.1:9092", group_id="sneaky")


def test_constructing_and_closing_a_broker_does_not_connect():
    # Port 1 never answers: any connection attempt would raise or hang.
    KafkaBroker("127.0.0.1:1").close()


def test_the_session_timeout_comes_from_the_environment_with_heartbeats_to_match():
    named = {"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"}
    broker = KafkaBroker.from_env({**named, "KAFKA_SESSION_TIMEOUT_MS": "6000"})
    assert broker._group_settings == {"session_timeout_ms": 6000, "heartbeat_interval_ms": 1000}
    short = KafkaBroker("127.0.0.1:1", session_timeout_ms=1500)
    assert short._group_settings == {"session_timeout_ms": 1500, "heartbeat_interval_ms": 500}
    assert KafkaBroker.from_env(named)._group_settings == {}
    with pytest.raises(ValueError):
        KafkaBroker("127.0.0.1:1", session_timeout_ms=0)
