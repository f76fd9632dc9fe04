"""What became of each record of the soak with worker processes, read, not inferred.

It decides what the stream holds (the valid events in order, and a bad record of
each of its own events at a random place among them), the header that names each
record, and each record's fate: processed when its purchase is allocated in the
database, dead-lettered when the DLQ holds it with an error class and a message,
lost otherwise; and what the replay must give: every replayed event succeeded.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from typing import Any

from modelguard.lab.outcomes import AttemptLog, duplicate_allocations
from modelguard.lab.soak.records import BAD_CATEGORIES, RECORD_ID, Fate, Outgoing, bad_record
from modelguard.lab.soak.shapes import Tally
from modelguard.messaging.consumer import Headers
from modelguard.messaging.events import PurchaseCreated
from modelguard.messaging.outcome import TERMINAL, Outcome
from modelguard.messaging.port import Broker, Record


class Published:
    """One record of the stream and the id its header carries."""

    def __init__(self, outgoing: Outgoing, record_id: bytes) -> None:
        self.outgoing, self.record_id = outgoing, record_id


def mix(
    rng: random.Random, events: Sequence[PurchaseCreated], broken: Sequence[PurchaseCreated]
) -> list[Published]:
    """The valid events in order, with a bad record made of each of `broken` at a random
    place among them."""
    valid = [Outgoing(e.to_bytes(), e.purchase_id.encode(), "valid", e.purchase_id) for e in events]
    mixed: list[Outgoing] = list(valid)
    for event in broken:
        record = bad_record(rng, rng.choice(BAD_CATEGORIES), event)
        mixed.insert(rng.randrange(len(mixed) + 1), record)
    return [Published(o, str(n).encode()) for n, o in enumerate(mixed, start=1)]


def publish(bus: Broker, topic: str, stream: Sequence[Published]) -> None:
    with bus.producer() as producer:
        for item in stream:
            record = item.outgoing
            producer.publish(topic, record.value, key=record.key,
                             headers=[(RECORD_ID, item.record_id)])  # fmt: skip


def tally(
    stream: Sequence[Published],
    events: Sequence[PurchaseCreated],
    settled: AttemptLog,
    replay: AttemptLog,
    dead_letters: Sequence[Record],
    database: Any,
) -> Tally:
    """Each record's fate, read from the database and the DLQ, and the counts."""
    allocated = set(database["allocations"].distinct("purchase_id"))
    reasons: Counter[str] = Counter()
    reasoned: set[bytes] = set()
    without_reason = 0
    for record in dead_letters:
        error_class, message = (
            record.header(Headers.ERROR_CLASS),
            record.header(Headers.ERROR_MESSAGE),
        )
        if error_class and message:
            reasons[error_class.decode()] += 1
            reasoned.add(record.header(RECORD_ID) or b"")
        else:
            without_reason += 1
    categories: dict[str, Counter[str]] = {}
    for item in stream:
        sent = item.outgoing
        if sent.purchase_id is not None and sent.purchase_id in allocated:
            fate = Fate.PROCESSED
        elif item.record_id in reasoned:
            fate = Fate.DEAD_LETTERED
        else:
            fate = Fate.LOST
        categories.setdefault(sent.category, Counter())[fate] += 1
    unexpected = sum(
        n for category, states in categories.items() for fate, n in states.items()
        if fate != Fate.LOST
        and fate != (Fate.PROCESSED if category == "valid" else Fate.DEAD_LETTERED)
    )  # fmt: skip
    succeeded = {a.event_id for log in (settled, replay) for a in log.attempts
                 if a.outcome == Outcome.SUCCEEDED}  # fmt: skip
    final = final_outcomes(replay)
    attempts = settled.attempts
    return Tally(
        processed=sum(s[Fate.PROCESSED] for s in categories.values()),
        dead_lettered=sum(s[Fate.DEAD_LETTERED] for s in categories.values()),
        lost=sum(s[Fate.LOST] for s in categories.values()),
        duplicates=duplicate_allocations(database),
        unexpected=unexpected,
        allocations_missing=sum(
            e.event_id in succeeded and e.purchase_id not in allocated for e in events
        ),
        dead_letters_without_reason=without_reason,
        replay_unexpected=sum(final.get(e) != Outcome.SUCCEEDED for e in replay.event_ids),
        purchases=len(events),
        allocations=database["allocations"].count_documents({}),
        dead_letters=len(dead_letters),
        dead_lettered_events=len(replay.event_ids),
        replayed_succeeded=sum(o == Outcome.SUCCEEDED for o in final.values()),
        replayed_dead_lettered=sum(o == Outcome.DEAD_LETTERED for o in final.values()),
        attempts=dict(Counter(a.outcome for a in attempts)),
        errors=dict(Counter(a.error_class for a in attempts if a.error_class)),
        dead_letter_reasons=dict(reasons.most_common()),
        categories={name: dict(states) for name, states in sorted(categories.items())},
    )


def final_outcomes(replay: AttemptLog) -> dict[str, Outcome]:
    """Each replayed event's last settled outcome (or its last attempt's, if none settled)."""
    final: dict[str, Outcome] = {}
    for attempt in (a for a in replay.attempts if a.event_id in replay.event_ids):
        assert attempt.event_id is not None
        if attempt.outcome in TERMINAL or attempt.event_id not in final:
            final[attempt.event_id] = attempt.outcome
    return final
