"""What counts as processed, dead-lettered, lost or applied twice.

It decides:

- when a record has settled: the consumers report each attempt, and a record
  settles when its handler succeeded (allocating, or skipping a duplicate) or
  it was dead-lettered;
- each record's fate, read rather than inferred: processed when a consumer
  reported success, dead-lettered when it is in the DLQ with an error class and
  a message, lost otherwise;
- what a round must leave in the database: every purchase a processed record
  names allocated, and none allocated twice;
- what is unexpected: a record of a category that must be processed ending
  anywhere else, or any other record not ending in the DLQ.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from modelguard.lab.outcomes import duplicate_allocations
from modelguard.lab.soak.records import PROCESSED, RECORD_ID, Fate, Outgoing
from modelguard.messaging.consumer import Attempt, Headers
from modelguard.messaging.outcome import Outcome


class Ledger:
    """Which published records have settled, from the consumers' reports; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.succeeded: set[bytes] = set()
        self.reported_dead: set[bytes] = set()
        self.outcomes: Counter[str] = Counter()
        self.handled_by: dict[str, set[str]] = {}  # event id -> consumers that handled it
        self._pending: set[bytes] = set()

    def expect(self, record_ids: Sequence[bytes]) -> None:
        with self._lock:
            self._pending.update(record_ids)

    def report(self, record_id: bytes | None, attempt: Attempt) -> None:
        with self._lock:
            self.outcomes[attempt.outcome] += 1
            if record_id is None:  # not a record the soak published
                return
            if attempt.outcome == Outcome.SUCCEEDED and attempt.event_id is not None:
                self.succeeded.add(record_id)
                self.handled_by.setdefault(attempt.event_id, set()).add(attempt.consumer)
            elif attempt.outcome == Outcome.DEAD_LETTERED:
                self.reported_dead.add(record_id)
            else:
                return
            self._pending.discard(record_id)

    def settled(self) -> bool:
        return not self._pending

    def settled_count(self) -> int:
        with self._lock:
            return len(self.succeeded | self.reported_dead)


@dataclass
class Figures:
    """What happened to every record, by category."""

    categories: dict[str, Counter] = field(default_factory=dict)
    reasons: Counter = field(default_factory=Counter)
    dead_letters: int = 0
    dead_letters_without_reason: int = 0
    duplicates: int = 0
    purchases: int = 0
    allocations: int = 0
    allocations_missing: int = 0
    # Categories that end processed once the DLQ is replayed with their cause gone.
    cured: frozenset[str] = frozenset()

    def account_round(
        self,
        records: Sequence[Outgoing],
        ids: Sequence[bytes],
        *,
        succeeded: set[bytes],
        dead_letters: Iterable,
        database,
    ) -> list[Fate]:
        """Each record's fate: processed, dead_lettered (with a reason) or lost."""
        reasoned = self._count_dead_letters(dead_letters)
        fates = [
            Fate.PROCESSED if record_id in succeeded
            else Fate.DEAD_LETTERED if record_id in reasoned
            else Fate.LOST
            for record_id in ids
        ]  # fmt: skip
        for record, fate in zip(records, fates, strict=True):
            self.count(record.category, fate)
        self._count_allocations(records, database)
        return fates

    def count(self, category: str, state: str) -> None:
        self.categories.setdefault(category, Counter())[state] += 1

    def total(self, state: str) -> int:
        return sum(states[state] for states in self.categories.values())

    def unexpected(self) -> int:
        """Records that did not end as their category must: processed or dead-lettered."""
        return sum(
            n
            for category, states in self.categories.items()
            for state, n in states.items()
            if state != Fate.LOST
            and state
            != (Fate.PROCESSED if category in PROCESSED | self.cured else Fate.DEAD_LETTERED)
        )

    def _count_dead_letters(self, dead_letters: Iterable) -> set[bytes]:
        """The ids of the records dead-lettered with an error class and a message."""
        reasoned = set()
        for dead in dead_letters:
            self.dead_letters += 1
            error_class, message = (
                dead.header(Headers.ERROR_CLASS),
                dead.header(Headers.ERROR_MESSAGE),
            )
            if error_class and message:
                reasoned.add(dead.header(RECORD_ID))
                self.reasons[error_class.decode()] += 1
            else:
                self.dead_letters_without_reason += 1
        return reasoned

    def _count_allocations(self, records: Sequence[Outgoing], database) -> None:
        purchases = {r.purchase_id for r in records if r.purchase_id}
        allocated = set(database["allocations"].distinct("purchase_id"))
        self.purchases += len(purchases)
        self.allocations += len(allocated)
        self.allocations_missing += len(purchases - allocated)
        self.duplicates += duplicate_allocations(database)
