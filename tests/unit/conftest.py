"""Fixtures for the fast, embedded-only unit tests."""

from __future__ import annotations

import itertools

import pytest
from mongoengine import fields

from modelguard import ModelRegistry, Schema, db

_names = itertools.count()


@pytest.fixture(autouse=True, scope="session")
def _embedded_only():
    """Unit tests never reach a real server, even where CI exports one's address.

    Session-scoped, so it is in force before any module-scoped fixture runs.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MONGODB_URI", raising=False)
        patch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
        yield


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
