"""Where the models' data lives: mongomock by default, a real server when asked.

`connect()` decides the target in this order: the `uri` argument, then the
`MONGODB_URI` environment variable, then an in-process mongomock database, so
the notebooks and unit tests need nothing running. Current mongoengine removed
the `mongomock://` host, so mongomock is plugged in as the client class.
Connection strings are only ever shown through `redact()`.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import mongoengine
import mongomock
from mongoengine.connection import DEFAULT_CONNECTION_NAME
from pymongo.database import Database

DEFAULT_DB = "modelguard"


def connect(
    uri: str | None = None,
    *,
    db: str | None = None,
    alias: str = DEFAULT_CONNECTION_NAME,
    timeout_ms: int = 5000,
) -> Database:
    """Connect mongoengine's `alias` and return the database handle.

    `timeout_ms` bounds how long an operation waits for a real server to be reachable.
    """
    uri = uri or os.environ.get("MONGODB_URI") or None
    # A second connect() for one alias with other settings raises in mongoengine;
    # reconnecting is what callers of this function mean.
    mongoengine.disconnect(alias)
    if uri is None:
        mongoengine.connect(
            db or DEFAULT_DB,
            alias=alias,
            host="mongodb://localhost",
            mongo_client_class=mongomock.MongoClient,
            uuidRepresentation="standard",
        )
    else:
        database = db or urlsplit(uri).path.lstrip("/") or DEFAULT_DB
        mongoengine.connect(
            database,
            alias=alias,
            host=uri,
            uuidRepresentation="standard",
            serverSelectionTimeoutMS=timeout_ms,
        )
    return mongoengine.get_db(alias)


def disconnect(alias: str = DEFAULT_CONNECTION_NAME) -> None:
    mongoengine.disconnect(alias)


def target(uri: str | None = None) -> str:
    """A printable name for where `connect(uri)` would go, without credentials."""
    uri = uri or os.environ.get("MONGODB_URI")
    return redact(uri) if uri else "mongomock (in-process)"


def redact(uri: str) -> str:
    """The URI with any password replaced, safe for logs."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))
