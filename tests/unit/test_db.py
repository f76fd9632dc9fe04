"""db.connect() goes to mongomock unless told otherwise, and never shows a password."""

from __future__ import annotations

import mongomock
import pytest
from mongoengine import fields
from mongoengine.errors import NotUniqueError

from modelguard import Schema, db


def test_connect_uses_mongomock_by_default(monkeypatch):
    monkeypatch.delenv("MONGODB_URI", raising=False)
    database = db.connect(db="modelguard_default")
    try:
        assert isinstance(database.client, mongomock.MongoClient)
        assert database.name == "modelguard_default"
    finally:
        db.disconnect()


def test_a_model_round_trips_through_mongomock_and_keeps_its_unique_index(mongo, registry, name):
    Person = registry.model(name, Schema({"email": fields.StringField(unique=True)}))
    Person(email="a@example.com").save()
    assert Person.objects.get(email="a@example.com").email == "a@example.com"
    with pytest.raises(NotUniqueError):
        Person(email="a@example.com").save()


def test_connecting_twice_reconnects_instead_of_raising(monkeypatch):
    monkeypatch.delenv("MONGODB_URI", raising=False)
    db.connect(db="first")
    assert db.connect(db="second").name == "second"
    db.disconnect()


@pytest.mark.parametrize(
    ("uri", "shown"),
    [
        ("mongodb://app:s3cret@db.internal:27017/x", "mongodb://app:***@db.internal:27017/x"),
        ("mongodb://db.internal:27017/x", "mongodb://db.internal:27017/x"),
        ("mongodb://app:p/ss?w#rd@db:27017/x?tls=true", "mongodb://app:***@db:27017/x?tls=true"),
        ("mongodb://app@db:27017/x", "mongodb://app@db:27017/x"),
    ],
)
def test_redact_hides_the_password(uri, shown):
    assert db.redact(uri) == shown


def test_target_names_mongomock_or_the_redacted_server(monkeypatch):
    monkeypatch.delenv("MONGODB_URI", raising=False)
    assert db.target() == "mongomock (in-process)"
    monkeypatch.setenv("MONGODB_URI", "mongodb://u:p@h/x")
    assert db.target() == "mongodb://u:***@h/x"


def test_a_database_name_replaces_the_one_in_the_uri():
    assert db.with_database("mongodb://h:27017/mine", "other") == "mongodb://h:27017/other"
    assert (
        db.with_database("mongodb://u:p@h/mine", "other") == "mongodb://u:p@h/other?authSource=mine"
    )
