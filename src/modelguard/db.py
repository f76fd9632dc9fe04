"""Where the models' data lives: mongomock by default, a real server when asked.

`connect()` decides the target in this order: the `uri` argument, then the
`MONGODB_URI` environment variable, then an in-process mongomock database, so
the notebooks and unit tests need nothing running. Current mongoengine removed
the `mongomock://` host, so mongomock is plugged in as the client class.
mongomock comes with the lab extra: without it, `connect()` with a URI works and
`connect()` without one refuses in one line naming the extra.
Connection strings are only ever shown through `redact()`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

import mongoengine
from mongoengine.connection import DEFAULT_CONNECTION_NAME
from pymongo import monitoring
from pymongo.database import Database

from modelguard.extras import INSTALL, LabExtraMissing, missing

DEFAULT_DB = "modelguard"


def connect(
    uri: str | None = None,
    *,
    db: str | None = None,
    alias: str = DEFAULT_CONNECTION_NAME,
    timeout_ms: int = 5000,
    listeners: Sequence[monitoring.CommandListener] = (),
) -> Database:
    """Connect mongoengine's `alias` and return the database handle.

    `timeout_ms` bounds how long an operation waits for a real server to be reachable;
    `listeners` see every command sent to it (PyMongo command monitoring).
    """
    uri = uri or os.environ.get("MONGODB_URI") or None
    if uri is not None and db is not None:
        uri = with_database(uri, db)  # mongoengine lets the URI's path win over `db`
    # A second connect() for one alias with other settings raises in mongoengine;
    # reconnecting is what callers of this function mean.
    mongoengine.disconnect(alias)
    if uri is None:
        mongomock = _mongomock()
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
            event_listeners=list(listeners),
        )
    return mongoengine.get_db(alias)


def _mongomock():
    """mongomock, imported on first use: only the embedded database needs it."""
    if missing({"mongomock": "mongomock"}):
        raise LabExtraMissing(
            "modelguard.db.connect() without a URI uses the in-process mongomock, which comes "
            f"with the lab extra: {INSTALL}; or pass a URI, or set MONGODB_URI",
            name="mongomock",
        )
    import mongomock

    return mongomock


def disconnect(alias: str = DEFAULT_CONNECTION_NAME) -> None:
    mongoengine.disconnect(alias)


def target(uri: str | None = None) -> str:
    """A printable name for where `connect(uri)` would go, without credentials."""
    uri = uri or os.environ.get("MONGODB_URI")
    return redact(uri) if uri else "mongomock (in-process)"


def redact(uri: str) -> str:
    """The URI with any password replaced, safe for logs.

    Credentials end at the last "@" before the hosts, so a password holding an
    unescaped "/", "?" or "#" (which breaks URL parsing) is still hidden.
    """
    scheme, separator, rest = uri.partition("://")
    userinfo, at, hosts = rest.rpartition("@")
    if not separator or not at or ":" not in userinfo:
        return uri
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:***@{hosts}"


def with_database(uri: str, name: str) -> str:
    """`uri` naming database `name` instead of its own.

    The database goes in the URI's path because mongoengine lets a path there win over
    any `db` argument. That path was also where a user authenticated, unless the URI
    says authSource, so it stays the source.
    """
    parts = urlsplit(uri)
    query = parts.query
    if parts.username and "authsource=" not in query.lower():
        source = f"authSource={parts.path.lstrip('/') or 'admin'}"
        query = f"{query}&{source}" if query else source
    return urlunsplit(parts._replace(path=f"/{name}", query=query))
