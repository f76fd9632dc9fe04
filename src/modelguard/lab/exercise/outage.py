"""The check's fifth case: the database times out inside the learner's handler.

The incident report's scenarios fail an attempt before the handler is called (a
dependency failed, and Kafka retries the event), so a handler that swallows
every exception never meets one of them. Here the failure happens where a real
one would: the first query or write of attempt 1 on the receipts' collection
raises `InjectedDatabaseTimeout`, a `pymongo.errors.NetworkTimeout`. A handler
that lets it out is retried and stores the receipt on attempt 2; one that
catches it and reports success has lost the purchase, and the database shows it.

The timeout is put on the compiled models (in the lab's registry) that keep the
receipts' collection, for the length of one attempt, and taken off afterwards.
The case has one event and one consumer, so no other attempt runs meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mongoengine import Document
from pymongo.errors import NetworkTimeout

from modelguard import registry
from modelguard.lab.scenarios import Scenario

DATABASE_TIMEOUT = Scenario("database_timeout", events=1)
TIMED_OUT_ATTEMPTS = 1


class InjectedDatabaseTimeout(NetworkTimeout):
    """The database did not answer in time: the check's failure inside the handler."""


class _TimingOut:
    """A collection that times out on any use: a call, or a look at what it is."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        raise InjectedDatabaseTimeout(
            f"injected: {self._name}.{attribute} timed out (the check's database outage)"
        )


def models_keeping(collection: str) -> list[type[Document]]:
    """The lab registry's compiled models whose documents live in `collection`."""
    return [
        model for model in registry.models.values() if model._get_collection_name() == collection
    ]


@contextmanager
def database_times_out(models: list[type[Document]], collection: str) -> Iterator[None]:
    """While inside, every operation of these models on `collection` times out."""
    real = {model: model._get_collection() for model in models}
    for model in models:
        model._collection = _TimingOut(collection)
    try:
        yield
    finally:
        for model, collection_object in real.items():
            model._collection = collection_object
