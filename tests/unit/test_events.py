"""What makes a record malformed, and the reason the DLQ will carry."""

from __future__ import annotations

import json

import pytest

from modelguard.messaging.events import (
    MAX_PAYLOAD_BYTES,
    MalformedEvent,
    PurchaseCreated,
    parse_event,
)

VALID = PurchaseCreated(event_id="e1", purchase_id="p1", user_id="u1", course_id="c1")


def test_a_valid_event_round_trips():
    assert parse_event(VALID.to_bytes()) == VALID


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", "not JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[1, 2]", "JSON list, not an object"),
        (
            json.dumps({"type": "PURCHASE_REFUNDED"}).encode(),
            "unknown event type 'PURCHASE_REFUNDED'",
        ),
        (json.dumps({"event_id": "e"}).encode(), "unknown event type None"),
        (
            json.dumps({**json.loads(VALID.to_bytes()), "purchase_id": 7}).encode(),
            "field 'purchase_id' must be a string, got int",
        ),
        (
            json.dumps(
                {k: v for k, v in json.loads(VALID.to_bytes()).items() if k != "user_id"}
            ).encode(),
            "field 'user_id' is missing",
        ),
        (
            json.dumps({**json.loads(VALID.to_bytes()), "event_id": "e\x00"}).encode(),
            "field 'event_id' contains control characters",
        ),
        (
            json.dumps({**json.loads(VALID.to_bytes()), "course_id": ""}).encode(),
            "field 'course_id' must be 1 to 64 characters",
        ),
        (b" " * (MAX_PAYLOAD_BYTES + 1), f"over the {MAX_PAYLOAD_BYTES}-byte limit"),
    ],
)
def test_a_malformed_payload_is_refused_with_its_reason(payload, reason):
    with pytest.raises(MalformedEvent) as raised:
        parse_event(payload)
    assert reason in str(raised.value)


def test_the_size_limit_can_be_lowered():
    with pytest.raises(MalformedEvent, match="over the 10-byte limit"):
        parse_event(VALID.to_bytes(), max_bytes=10)
