"""What the stream holds, round by round, drawn from one seeded generator.

It decides:

- the mix: valid PURCHASE_CREATED events (a share of them failing on every
  attempt by injection, when asked), events that reuse an earlier event's id,
  and bad records of every category (unless `bad` is off: then the valid events
  take their share);
- the copies: each valid event is published 1 to 5 times; keyed copies scatter
  over the round, so one consumer sees them in turn, while keyless copies stay
  adjacent, so several consumers handle them at once.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from modelguard.lab.soak.records import BAD_CATEGORIES, Outgoing, bad_record
from modelguard.messaging.events import PurchaseCreated
from modelguard.messaging.policy import MAX_ATTEMPTS


class Stream:
    """Rounds of records drawn from one seeded generator."""

    def __init__(
        self,
        rng: random.Random,
        course_ids: Sequence[str],
        *,
        prefix: str,
        failing: float = 0.0,
        bad: bool = True,
    ) -> None:
        self.rng, self.course_ids, self.prefix, self.failing = (
            rng,
            list(course_ids),
            prefix,
            failing,
        )
        self.bad_records = bad
        self.fail_attempts: dict[str, int] = {}  # event id -> attempts that fail by injection
        self._numbers = iter(range(1, 10**9))

    def round(self, size: int, *, valid_share: float = 0.35) -> list[Outgoing]:
        groups: list[list[Outgoing]] = []
        valid: list[PurchaseCreated] = []
        count = 0
        while count < size:
            roll = self.rng.random()
            if roll < valid_share:
                group = self._valid(valid)
            elif roll < valid_share + 0.05 and valid:
                group = [self._reused_id(self.rng.choice(valid))]
            elif not self.bad_records:
                group = self._valid(valid)
            else:
                group = [self.bad(self.rng.choice(BAD_CATEGORIES))]
            # Keyed copies scatter over the round; keyless copies stay adjacent, so they
            # land on neighbouring partitions and meet at different consumers at once.
            groups.extend([group] if group[0].key is None else [[r] for r in group])
            count += len(group)
        self.rng.shuffle(groups)
        return [record for group in groups for record in group][:size]

    def bad(self, category: str) -> Outgoing:
        """One record of a bad category; it can never be handled, so it must be dead-lettered."""
        return bad_record(self.rng, category, self._event("bad"))

    def _valid(self, valid: list[PurchaseCreated]) -> list[Outgoing]:
        event = self._event()
        copies = self.rng.randint(1, 5)
        if self.rng.random() < self.failing:
            self.fail_attempts[event.event_id] = MAX_ATTEMPTS
            return [Outgoing(event.to_bytes(), event.purchase_id.encode(), "failing")] * copies
        valid.append(event)
        concurrent = copies > 1 and self.rng.random() < 0.3
        key = None if concurrent else event.purchase_id.encode()
        return [Outgoing(event.to_bytes(), key, "valid", event.purchase_id)] * copies

    def _reused_id(self, original: PurchaseCreated) -> Outgoing:
        """Another event under an id already used: the idempotency guard must skip one."""
        event = PurchaseCreated(
            event_id=original.event_id,
            purchase_id=original.purchase_id,
            user_id=f"{original.user_id}-again",
            course_id=original.course_id,
        )
        return Outgoing(event.to_bytes(), event.purchase_id.encode(), "duplicated_event_id",
                        event.purchase_id)  # fmt: skip

    def _event(self, kind: str = "evt") -> PurchaseCreated:
        n = next(self._numbers)
        return PurchaseCreated(
            event_id=f"{self.prefix}-{kind}-{n:06d}",
            purchase_id=f"{self.prefix}-pur-{n:06d}",
            user_id=f"student-{n:06d}",
            course_id=self.rng.choice(self.course_ids),
        )
