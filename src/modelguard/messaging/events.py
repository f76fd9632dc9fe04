"""The events the allocation worker accepts, and what makes a record malformed.

Payloads are parsed as JSON and nothing else (no eval, no pickle). A record is
malformed when it is over the size limit, not UTF-8, not a JSON object, lacks
a field, has a field of the wrong type, or names an unknown event type. A
malformed record cannot succeed on a retry, so the consumer dead-letters it at
once with the reason `MalformedEvent` carries.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from modelguard.messaging.failure import PayloadFault

MAX_PAYLOAD_BYTES = 64 * 1024
PURCHASE_CREATED = "PURCHASE_CREATED"
_ID_FIELDS = ("event_id", "purchase_id", "user_id", "course_id")
_MAX_ID_LENGTH = 64


class MalformedEvent(PayloadFault, ValueError):
    """A record that can never be handled; its message is the reason."""


@dataclass(frozen=True)
class PurchaseCreated:
    """A student bought a course; the worker must assign them a trainer."""

    event_id: str
    purchase_id: str
    user_id: str
    course_id: str
    type: str = PURCHASE_CREATED

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":")).encode()


def parse_event(payload: bytes, *, max_bytes: int = MAX_PAYLOAD_BYTES) -> PurchaseCreated:
    """The event in `payload`, or MalformedEvent saying why not."""
    if len(payload) > max_bytes:
        raise MalformedEvent(f"payload is {len(payload)} bytes, over the {max_bytes}-byte limit")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedEvent(
            f"payload is not UTF-8: {error.reason} at byte {error.start}"
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise MalformedEvent(f"payload is not JSON: {error.msg} at position {error.pos}") from None
    except RecursionError:  # "[[[[...": nesting deeper than the parser's recursion limit
        raise MalformedEvent("payload is not JSON: nested deeper than the parser allows") from None
    if not isinstance(data, dict):
        raise MalformedEvent(f"payload is a JSON {type(data).__name__}, not an object")
    kind = data.get("type")
    if kind != PURCHASE_CREATED:
        raise MalformedEvent(f"unknown event type {_short(kind)}")
    return PurchaseCreated(**{name: _identifier(data, name) for name in _ID_FIELDS})


def claimed_event_id(payload: bytes) -> str | None:
    """The ``event_id`` a payload carries, even when the rest of it is malformed, so a
    dead letter can be named; None when there is no JSON object with a string id."""
    try:
        data = json.loads(payload[:MAX_PAYLOAD_BYTES].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    event_id = data.get("event_id") if isinstance(data, dict) else None
    return event_id if isinstance(event_id, str) and event_id.isprintable() else None


def _identifier(data: dict[str, Any], name: str) -> str:
    if name not in data:
        raise MalformedEvent(f"field {name!r} is missing")
    value = data[name]
    if not isinstance(value, str):
        raise MalformedEvent(f"field {name!r} must be a string, got {type(value).__name__}")
    if not value or len(value) > _MAX_ID_LENGTH:
        raise MalformedEvent(f"field {name!r} must be 1 to {_MAX_ID_LENGTH} characters")
    if not value.isprintable():
        # NUL and other control characters break ids in logs, keys and queries.
        raise MalformedEvent(f"field {name!r} contains control characters")
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
