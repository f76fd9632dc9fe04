"""Refused logins, which kafka-python 3.0 reports only in its log.

When a broker refuses a client's SASL credentials, kafka-python logs the refusal,
retries the login until its bootstrap timeout, and then raises a bare
``KafkaTimeoutError("Unable to bootstrap ...")``, as if nothing answered. This module
decides how the Kafka driver learns the real reason: while a client connects,
``watching_logins()`` collects the ``SaslAuthenticationFailedError`` objects that
kafka-python passes to its connection manager's log calls.

Those are WARNING records. So that they are made even when the application shows
only errors, the manager's logger is lowered to WARNING while anyone watches, and a
filter drops again whatever the application would not have shown. The watch is
shared and counted, so that concurrent connects restore the logger exactly once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from kafka.errors import SaslAuthenticationFailedError

_LOGGER = "kafka.net.manager"


class _Watch(logging.Filter):
    """Hands refusals to every open watch; lets through only what would have shown."""

    def __init__(self, shown_level: int) -> None:
        super().__init__()
        self.shown_level = shown_level
        self.sinks: list[list[SaslAuthenticationFailedError]] = []

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else (record.args,)
        refusals = [a for a in args if isinstance(a, SaslAuthenticationFailedError)]
        if refusals:
            for sink in list(self.sinks):
                sink.extend(refusals)
        return record.levelno >= self.shown_level


_lock = threading.Lock()
_watch: _Watch | None = None
_saved_level = logging.NOTSET


@contextmanager
def watching_logins() -> Iterator[list[SaslAuthenticationFailedError]]:
    """A list that fills with the logins refused while the block runs."""
    global _watch, _saved_level
    logger = logging.getLogger(_LOGGER)
    sink: list[SaslAuthenticationFailedError] = []
    with _lock:
        if _watch is None:
            _saved_level = logger.level
            _watch = _Watch(logger.getEffectiveLevel())
            logger.addFilter(_watch)
            logger.setLevel(min(_watch.shown_level, logging.WARNING))
        _watch.sinks.append(sink)
    try:
        yield sink
    finally:
        with _lock:
            watch = _watch
            assert watch is not None  # this block's own watch is still counted
            watch.sinks.remove(sink)
            if not watch.sinks:
                logger.removeFilter(watch)
                logger.setLevel(_saved_level)
                _watch = None
