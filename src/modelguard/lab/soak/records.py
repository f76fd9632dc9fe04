"""What a soak record is, and what a bad record of each category holds.

It decides:

- the `soak.record` header every published record carries; the consumer keeps
  it on retries and dead letters, so each record can be traced to its fate;
- the fates a record can meet (`Fate`), and which categories must end processed
  (`PROCESSED`); every other record must be dead-lettered;
- the bytes of a bad record of each of `BAD_CATEGORIES`, drawn from the
  caller's seeded `random.Random`: the same draws in the same order, so that a
  seed still names the same stream.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from modelguard.messaging.events import MAX_PAYLOAD_BYTES, PurchaseCreated
from modelguard.messaging.outcome import Outcome

RECORD_ID = "soak.record"


class Fate(StrEnum):
    """Where a published record ended up."""

    PROCESSED = "processed"  # its purchase was allocated
    DEAD_LETTERED = Outcome.DEAD_LETTERED.value  # in the DLQ, with its reason
    LOST = "lost"  # neither: the one fate a soak must never see


# Categories whose records must end processed; every other record must be dead-lettered.
PROCESSED = frozenset({"valid", "duplicated_event_id"})
_ID_FIELDS = ("event_id", "purchase_id", "user_id", "course_id")


@dataclass(frozen=True)
class Outgoing:
    """One record to publish, and what the soak expects of it."""

    value: bytes
    key: bytes | None
    category: str
    purchase_id: str | None = None  # set when the record must leave this purchase allocated


def bad_record(rng: random.Random, category: str, event: PurchaseCreated) -> Outgoing:
    """A record of a bad category, made from `event`; it can never be handled."""
    data = {"type": "PURCHASE_CREATED", **{name: getattr(event, name) for name in _ID_FIELDS}}
    # Keyed by the purchase before the value is made: some categories drop the field.
    key = event.purchase_id.encode()
    return Outgoing(_BAD_VALUES[category](rng, data), key, category)


def _not_json(rng: random.Random, data: dict) -> bytes:
    whole = _dump(data)
    form = rng.randrange(6)
    if form == 0:
        return b""
    if form == 1:  # cut short
        return whole[: rng.randrange(1, len(whole))]
    if form == 2:  # a Python repr, not JSON
        return whole.replace(b'"', b"'")
    if form == 3:  # trailing garbage
        return whole + b"}"
    if form == 4:
        return b"PURCHASE_CREATED " + data["event_id"].encode()
    return bytes(rng.choice(b"{}[]:,\"' abcxyz019") for _ in range(rng.randint(1, 80)))


def _wrong_types(rng: random.Random, data: dict) -> bytes:
    if rng.random() < 0.2:
        return json.dumps(rng.choice([[data], "PURCHASE_CREATED", 42, None, True])).encode()
    data[rng.choice(_ID_FIELDS)] = rng.choice(
        [123, 4.5, None, True, [], ["x"], {"$gt": ""}, {"$ne": None}]
    )
    return _dump(data)


def _missing_fields(rng: random.Random, data: dict) -> bytes:
    for name in rng.sample(_ID_FIELDS, rng.randint(1, len(_ID_FIELDS))):
        del data[name]
    return _dump(data)


def _unknown_type(rng: random.Random, data: dict) -> bytes:
    if rng.random() < 0.2:
        del data["type"]
    else:
        data["type"] = rng.choice(
            ["PURCHASE_DELETED", "purchase_created", "PURCHASE_CREATED ", "", None, 7, ["x"]]
        )
    return _dump(data)


def _huge(rng: random.Random, data: dict) -> bytes:
    size = MAX_PAYLOAD_BYTES + rng.randint(1, 32 * 1024)
    if rng.random() < 0.2:
        return b"\0" * size
    data[rng.choice(("padding", "user_id"))] = "x" * size
    return _dump(data)


def _invalid_utf8(rng: random.Random, data: dict) -> bytes:
    broken = rng.choice(
        [b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xc0\xaf", b"\x80", b"\xf8\x88"]
    )
    return _raw_inside(data, rng.choice(_ID_FIELDS), broken)


def _nul_bytes(rng: random.Random, data: dict) -> bytes:
    name = rng.choice(_ID_FIELDS)
    form = rng.randrange(3)
    if form == 0:  # an escaped NUL inside an id
        data[name] = data[name][:3] + "\0" + data[name][3:]
        return _dump(data)
    if form == 1:  # a raw NUL byte inside a JSON string
        return _raw_inside(data, name, b"\0")
    return _dump(data) + b"\0"  # a C-string terminator after the object


def _deep_nesting(rng: random.Random, data: dict) -> bytes:
    depth = rng.randint(1_000, 30_000)
    if rng.random() < 0.5:
        return b"[" * depth + b"]" * depth
    data["event_id"] = "@@"
    return _dump(data).replace(b'"@@"', b"[" * depth + b"]" * depth)


def _unknown_course(rng: random.Random, data: dict) -> bytes:
    # Well formed, so only the handler finds out: retried, then dead-lettered.
    data["course_id"] = rng.choice([f"{rng.getrandbits(96):024x}", "no-such-course"])
    return _dump(data)


def _raw_inside(data: dict, name: str, raw: bytes) -> bytes:
    """`data` as JSON with `raw` inside the string of `name`, where json.dumps would escape it."""
    data[name] = "ab@@cd"
    return _dump(data).replace(b"@@", raw)


def _dump(data: dict) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


_BAD_VALUES: dict[str, Callable[[random.Random, dict], bytes]] = {
    "not_json": _not_json,
    "wrong_types": _wrong_types,
    "missing_fields": _missing_fields,
    "unknown_type": _unknown_type,
    "huge": _huge,
    "invalid_utf8": _invalid_utf8,
    "nul_bytes": _nul_bytes,
    "deep_nesting": _deep_nesting,
    "unknown_course": _unknown_course,
}
# In this order: the stream draws a category from it, so the order is part of what a seed names.
BAD_CATEGORIES = tuple(_BAD_VALUES)
