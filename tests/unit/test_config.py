"""real_services() finds the servers only when both answer."""

from __future__ import annotations

import socket

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


def test_both_services_answering_are_found(monkeypatch):
    kafka, kafka_port = listening_port()
    mongo, mongo_port = listening_port()
    with kafka, mongo:
        monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{kafka_port}")
        monkeypatch.setenv("MONGODB_URI", f"mongodb://127.0.0.1:{mongo_port}/x")
        assert config.real_services() == (
            f"127.0.0.1:{kafka_port}",
            f"mongodb://127.0.0.1:{mongo_port}/x",
        )


def test_one_missing_service_means_none(monkeypatch):
    kafka, kafka_port = listening_port()
    with kafka:
        monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{kafka_port}")
        monkeypatch.setenv("MONGODB_URI", f"mongodb://127.0.0.1:{closed_port()}/x")
        assert config.real_services() is None


def test_the_defaults_are_the_ones_the_scripts_start(monkeypatch):
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("MONGODB_URI", raising=False)
    assert config.kafka_servers() == "127.0.0.1:9092"
    assert config.mongodb_uri() == "mongodb://127.0.0.1:27017/modelguard"


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
