"""Refused logins that kafka-python reports only in its log reach the Kafka driver."""

from __future__ import annotations

import logging

import pytest
from kafka.errors import KafkaTimeoutError, SaslAuthenticationFailedError

from modelguard.messaging.drivers.kafka import _connecting
from modelguard.messaging.drivers.kafka_logins import watching_logins
from modelguard.messaging.port import AuthenticationFailedError, BrokerError

MANAGER = logging.getLogger("kafka.net.manager")
SETTINGS = {
    "bootstrap_servers": ["127.0.0.1:9094"],
    "security_protocol": "SASL_PLAINTEXT",
    "sasl_mechanism": "PLAIN",
    "sasl_plain_username": "modelguard",
    "sasl_plain_password": "s3cret",
}


def refuse_login() -> None:
    """What kafka-python 3.0 does on a wrong password: log it, retry, time out."""
    refusal = SaslAuthenticationFailedError(
        "SaslAuthenticationFailedError: Authentication failed: Invalid username or password"
    )
    MANAGER.warning("Bootstrap connection to %s failed: %s (backoff %.2f secs)", 0, refusal, 0.05)
    raise KafkaTimeoutError("Unable to bootstrap from ['127.0.0.1:9094']")


def test_a_refused_login_becomes_a_clear_error_without_the_password(caplog):
    with pytest.raises(AuthenticationFailedError) as raised:
        with _connecting("connect a producer", SETTINGS):
            refuse_login()
    message = str(raised.value)
    assert message.startswith("Kafka at 127.0.0.1:9094 refused the login of user 'modelguard'")
    assert "(PLAIN over SASL_PLAINTEXT): Authentication failed: Invalid username or password" in (
        message
    )
    assert "s3cret" not in message and "s3cret" not in caplog.text


def test_a_timeout_without_a_refusal_stays_a_plain_broker_error():
    with pytest.raises(BrokerError) as raised:
        with _connecting("connect a producer", SETTINGS):
            raise KafkaTimeoutError("Unable to bootstrap")
    assert not isinstance(raised.value, AuthenticationFailedError)


def test_the_watch_hears_refusals_an_application_hides_and_keeps_them_hidden(capsys):
    root = logging.getLogger()
    saved = root.level, MANAGER.level
    root.setLevel(logging.CRITICAL)
    try:
        with watching_logins() as outer, watching_logins() as inner:
            with pytest.raises(KafkaTimeoutError):
                refuse_login()
        assert len(outer) == len(inner) == 1
        assert MANAGER.level == saved[1] and not MANAGER.filters
        assert "Bootstrap connection" not in capsys.readouterr().err
    finally:
        root.setLevel(saved[0])
