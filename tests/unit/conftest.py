"""Fixtures for the fast, embedded-only unit tests."""

from __future__ import annotations

import itertools

import pytest
from audit import connections
from mongoengine import fields

from modelguard import ModelRegistry, Schema, db
from modelguard.config import SERVICE_VARIABLES

_names = itertools.count()


@pytest.fixture(autouse=True, scope="session")
def _embedded_only(tmp_path_factory):
    """Unit tests never reach a real server, even where CI exports one's address, and
    every connection to a service's port is counted: here, and in any Python process a
    test starts (the count's log and hook go to children through the environment).

    Session-scoped, so it is in force before any module-scoped fixture runs.
    """
    log = tmp_path_factory.mktemp("audit") / "connections.log"
    connections.install(log)
    with pytest.MonkeyPatch.context() as patch:
        for variable in SERVICE_VARIABLES:
            patch.delenv(variable, raising=False)
        for variable, value in connections.child_environment(log).items():
            patch.setenv(variable, value)
        yield log


@pytest.fixture(autouse=True)
def _no_connection_to_a_service(_embedded_only):
    """Fail the test that opened a connection to a service nobody named."""
    before = len(connections.recorded(_embedded_only))
    yield
    new = connections.recorded(_embedded_only)[before:]
    if new:
        pytest.fail(
            "connected to a service's port with no service named: "
            + ", ".join(sorted({" ".join(line.split()[1:]) for line in new})),
            pytrace=False,
        )


@pytest.fixture
def registry():
    """A registry of its own, whose models leave mongoengine's registry afterwards."""
    reg = ModelRegistry()
    yield reg
    reg.reset()


@pytest.fixture
def name():
    """A model name no other test uses, since mongoengine's registry is process-wide."""
    return f"Sample{next(_names)}"


@pytest.fixture
def user_schema():
    return Schema(
        {
            "email": fields.StringField(required=True, unique=True),
            "role": fields.StringField(choices=("student", "trainer"), default="student"),
        }
    )


@pytest.fixture
def mongo():
    """A clean mongomock database, connected for mongoengine's default alias."""
    database = db.connect(db="modelguard_unit")
    database.client.drop_database("modelguard_unit")
    yield database
    db.disconnect()
