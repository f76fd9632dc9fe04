"""The services are the ones the variables name: no fallback address, no probe."""

from __future__ import annotations

import socket

import pytest

from modelguard import config


def listening_port():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    return server, server.getsockname()[1]


def closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def test_services_are_the_named_ones_without_a_probe(monkeypatch):
    # Nothing listens on either port: naming them is the decision, not answering.
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{closed_port()}")
    monkeypatch.setenv("MONGODB_URI", f"mongodb://127.0.0.1:{closed_port()}/x")
    servers, uri = config.real_services()
    assert servers == config.kafka_servers() and uri == config.mongodb_uri()


def test_one_unnamed_service_means_none(monkeypatch):
    kafka, kafka_port = listening_port()
    with kafka:
        monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{kafka_port}")
        monkeypatch.delenv("MONGODB_URI", raising=False)
        assert config.real_services() is None


def test_nothing_falls_back_to_the_local_scripts_addresses(monkeypatch):
    for variable in config.SERVICE_VARIABLES:
        monkeypatch.setenv(variable, "   ")  # blank is as good as unset
    assert config.kafka_servers() is None
    assert config.kafka_sasl_servers() is None
    assert config.mongodb_uri() is None
    assert config.real_services() is None
    with pytest.raises(config.ServiceNotNamed, match="MONGODB_URI is not set"):
        config.require_named("MONGODB_URI")
    with pytest.raises(config.ServiceNotNamed, match="MONGODB_URI is not set"):
        config.require_database_uri()


def test_addresses_are_split_once_for_every_service_check():
    from modelguard.config import first_mongodb_host, host_and_port

    assert host_and_port("broker:19092", 9092) == ("broker", 19092)
    assert host_and_port("broker", 9092) == ("broker", 9092)
    assert host_and_port("[::1]:9093", 9092) == ("::1", 9093)
    assert first_mongodb_host("mongodb://u:p@db1:27018,db2/lab") == ("db1", 27018)
    assert first_mongodb_host("mongodb://127.0.0.1/lab") == ("127.0.0.1", 27017)


def test_any_answering_server_of_a_list_will_do():
    from modelguard.config import answers_any

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    try:
        port = server.getsockname()[1]
        assert answers_any(f"127.0.0.1:1,127.0.0.1:{port}")
        assert not answers_any("127.0.0.1:1,not-a-port:x")
    finally:
        server.close()


def test_the_broker_names_the_command_line_offers_are_the_drivers_there_are():
    from modelguard.messaging.drivers import DRIVERS

    assert config.BROKER_NAMES == tuple(DRIVERS)
