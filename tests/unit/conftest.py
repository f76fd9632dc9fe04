"""Fixtures for the fast, embedded-only unit tests."""

from __future__ import annotations

import functools
import itertools
import tempfile
from pathlib import Path

import pytest
from audit import connections
from mongoengine import fields

from modelguard import ModelRegistry, Schema, db
from modelguard.config import SERVICE_VARIABLES

_names = itertools.count()
UNIT_TESTS = Path(__file__).resolve().parent


@functools.cache
def _audit_log() -> Path:
    """The file every connection to a service's port is counted in, by this process's
    audit hook (installed once: hooks cannot be removed) and by any Python process a
    unit test starts."""
    log = Path(tempfile.mkdtemp(prefix="modelguard-audit-")) / "connections.log"
    connections.install(log)
    return log


@pytest.fixture(scope="session")
def _embedded_only() -> Path:
    return _audit_log()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Unit tests never reach a real server, even where CI exports one's address.

    The variables are taken away around each unit test's whole run, set-up and
    teardown included, so a module-scoped fixture set up by the first test of a module
    is embedded too; and they are back for another directory's tests that the same
    pytest worker runs next (xdist hands one worker unit and integration tests alike).
    """
    # pytest calls this hook for every test of the run, not only for this folder's.
    if UNIT_TESTS not in item.path.parents:
        return (yield)
    with pytest.MonkeyPatch.context() as patch:
        for variable in SERVICE_VARIABLES:
            patch.delenv(variable, raising=False)
        for variable, value in connections.child_environment(_audit_log()).items():
            patch.setenv(variable, value)
        return (yield)


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
