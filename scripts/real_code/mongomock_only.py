"""A pytest plugin for running a library's own test suite with no database server.

Every connection mongoengine makes with PyMongo's client is made with mongomock's
instead, and the process may open no socket at all (an audit hook refuses the
connect), so a test that would reach a server fails instead of talking to one,
the same way in every run that is compared.
"""

from __future__ import annotations

import sys

import mongoengine.connection
import mongomock


def _no_sockets(event: str, args: tuple) -> None:
    if event == "socket.connect":
        raise OSError(f"the real-code gate runs this suite without a server (connect to {args[1]})")


def pytest_configure(config) -> None:
    mongoengine.connection.MongoClient = mongomock.MongoClient
    sys.addaudithook(_no_sockets)
