"""The idempotency guard: which event ids a handler has already applied.

At-least-once delivery means a record can arrive twice, or at two consumers
at once. The guard stores each applied event id in MongoDB under a unique
index, so the database, not a check-then-act race, decides who was first.
It talks to its collection directly rather than through a model class: it is
platform plumbing and must not depend on how models were registered.

A lab run's store is tagged with the run's id (`tag_run`), as its topics are named
after it, so a DLQ and a store from different runs are never read as one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

COLLECTION = "processed_events"  # the collection the ProcessedEvent model maps
# One document naming the run whose store this is; a worker's own store has none.
RUN_TAG = "processed_events_run"


class IdempotencyGuard:
    def __init__(self, collection: Collection, handler: str) -> None:
        self._collection = collection
        self._handler = handler
        collection.create_index([("event_id", ASCENDING)], unique=True)

    def seen(self, event_id: str) -> bool:
        # One indexed find of the id alone: count_documents would send an aggregate.
        return self._collection.find_one({"event_id": event_id}, {"_id": 1}) is not None

    def mark(self, event_id: str) -> bool:
        """Record `event_id` as applied; False when another delivery recorded it first."""
        try:
            self._collection.insert_one(
                {"event_id": event_id, "handler": self._handler, "processed_at": datetime.now(UTC)}
            )
        except DuplicateKeyError:
            return False
        return True


def processed_among(collection: Collection, event_ids: Iterable[str]) -> set[str]:
    """Which of `event_ids` the store records as applied. It only reads: a report on a
    dead letter topic must not create the index the guard would, or write anything."""
    wanted = sorted(set(event_ids))
    if not wanted:
        return set()
    found = collection.find({"event_id": {"$in": wanted}}, {"event_id": 1, "_id": 0})
    return {document["event_id"] for document in found}


def tag_run(database: Any, run_id: str) -> None:
    """Name the run whose processed events `database` holds, so that a report reading
    it beside a run's DLQ can tell whether the two belong together."""
    database[RUN_TAG].replace_one({"_id": "run"}, {"_id": "run", "run_id": run_id}, upsert=True)


def run_of(database: Any) -> str | None:
    """The run `tag_run` named in `database`, or None (a worker's own store)."""
    document = database[RUN_TAG].find_one({"_id": "run"})
    return document.get("run_id") if document else None
