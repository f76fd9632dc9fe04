"""mongoengine, the platform's models and the idempotency guard on a real MongoDB-wire server.

Everything the embedded default gets from mongomock, asked of the server MONGODB_URI
names (mongo-java-server locally): saves and queries, unique indexes enforced by the server,
the platform's models, and the guard's duplicate-key race.
"""

from __future__ import annotations

import importlib
import threading
import uuid
from datetime import UTC, datetime

import pytest
from bson import ObjectId
from mongoengine import fields
from mongoengine.errors import NotUniqueError

from modelguard import ModelRegistry, Schema, db
from modelguard.messaging.idempotency import COLLECTION, IdempotencyGuard

pytestmark = [pytest.mark.integration, pytest.mark.mongodb]


@pytest.fixture
def database(mongodb_uri):
    """An empty database of this test's own on the real server, dropped afterwards."""
    name = f"mg_wire_{uuid.uuid4().hex[:10]}"
    handle = db.connect(db.with_database(mongodb_uri, name))
    yield handle
    handle.client.drop_database(name)
    db.disconnect()


@pytest.fixture
def registry():
    reg = ModelRegistry()
    yield reg
    reg.reset()


@pytest.fixture
def Trainer(registry):
    schema = Schema(
        {
            "email": fields.StringField(required=True, unique=True),
            "skills": fields.ListField(fields.StringField()),
            "load": fields.IntField(default=0),
        },
        collection="wire_trainers",
    )
    return registry.model(f"WireTrainer{uuid.uuid4().hex[:6]}", schema)


def platform():
    """The platform's models as they are registered now (other tests may have reset them)."""
    return importlib.import_module("modelguard.academy.models")


def test_connect_reaches_the_server_and_the_database_the_uri_names(database):
    assert database.command("ping")["ok"] == 1.0
    assert database.name.startswith("mg_wire_")
    assert database.client.server_info()["version"]


def test_documents_are_saved_queried_and_updated_on_the_server(database, Trainer):
    Trainer(email="ada@academy.test", skills=["python", "data"]).save()
    Trainer(email="linus@academy.test", skills=["web"]).save()

    assert [t.email for t in Trainer.objects(skills="python")] == ["ada@academy.test"]
    Trainer.objects(email="linus@academy.test").update_one(inc__load=2)
    assert Trainer.objects.get(email="linus@academy.test").load == 2
    assert database["wire_trainers"].count_documents({}) == 2


def test_the_server_enforces_a_unique_index(database, Trainer):
    Trainer(email="grace@academy.test").save()
    with pytest.raises(NotUniqueError):
        Trainer(email="grace@academy.test").save()
    assert Trainer.objects(email="grace@academy.test").count() == 1


def test_the_platform_models_round_trip(database):
    academy = platform()
    trainer = academy.User(
        name="Ada", email="ada@academy.test", role="trainer", skills=["python"]
    ).save()
    course = academy.Course(title="Python from scratch", skill="python", price_cents=4900).save()
    stored = [
        trainer,
        course,
        academy.Allocation(
            purchase_id="pur-1",
            user_id="student-1",
            course_id=str(course.id),
            trainer_id=trainer.id,
            event_id="evt-1",
        ).save(),  # fmt: skip
        academy.ProcessedEvent(event_id="evt-1", handler="allocation-worker").save(),
        academy.Quiz(course_id=course.id, module=1, questions=[{"q": "2 + 2?", "a": "4"}]).save(),
        academy.ChatMessage(room_id=ObjectId(), sender_id=trainer.id, body="Hello").save(),
        academy.Message(sender_id=trainer.id, recipient_id=ObjectId(), body="Hi").save(),
        academy.Notification(
            user_id=trainer.id, kind="allocation", title="New student", data={"course": "py"}
        ).save(),
        academy.Exam(
            course_id=course.id,
            title="Final",
            duration_minutes=90,
            scheduled_at=datetime(2030, 1, 1, tzinfo=UTC),
        ).save(),  # fmt: skip
    ]
    for document in stored:
        loaded = type(document).objects.get(id=document.id)
        for name in document._fields:
            expected, actual = getattr(document, name), getattr(loaded, name)
            if isinstance(expected, datetime):  # BSON dates are naive UTC, to the millisecond
                expected = expected.astimezone(UTC).replace(tzinfo=None)
                assert abs((actual - expected).total_seconds()) < 0.001, name
            else:
                assert actual == expected, (type(document).__name__, name)
    assert database["chat_messages"].count_documents({}) == 1
    assert database["messages"].count_documents({}) == 1


def test_one_allocation_per_purchase_is_enforced_by_the_server(database):
    academy = platform()
    academy.Allocation.ensure_indexes()
    first = dict(purchase_id="pur-1", user_id="s", course_id="c", trainer_id=ObjectId())
    academy.Allocation(**first, event_id="evt-1").save()
    with pytest.raises(NotUniqueError):
        academy.Allocation(**first, event_id="evt-2").save(force_insert=True)


def test_the_idempotency_guard_marks_an_event_once(database):
    guard = IdempotencyGuard(database[COLLECTION], "allocation-worker")
    assert not guard.seen("evt-1")
    assert guard.mark("evt-1") is True
    assert guard.seen("evt-1")
    assert guard.mark("evt-1") is False
    assert database[COLLECTION].count_documents({"event_id": "evt-1"}) == 1


def test_concurrent_deliveries_of_one_event_are_marked_by_exactly_one(database):
    guard = IdempotencyGuard(database[COLLECTION], "allocation-worker")
    start = threading.Barrier(8)
    won: list[bool] = []

    def deliver():
        start.wait()
        won.append(guard.mark("evt-race"))

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == [False] * 7 + [True]


def test_the_allocation_service_allocates_a_purchase_once(database):
    from modelguard.academy.services.allocation import AllocationService
    from modelguard.lab.seed import seed_academy

    platform()
    courses = seed_academy()
    service = AllocationService()
    first = service.allocate(
        purchase_id="pur-1", user_id="student-1", course_id=courses[0], event_id="evt-1"
    )
    again = service.allocate(
        purchase_id="pur-1", user_id="student-1", course_id=courses[0], event_id="evt-1"
    )
    assert first.created and not again.created
    assert again.trainer_id == first.trainer_id
    assert database["allocations"].count_documents({}) == 1
    assert sum(u["load"] for u in database["users"].find({"role": "trainer"})) == 1
