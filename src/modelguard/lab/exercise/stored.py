"""What the database holds when a scenario ends, judged against the purchases made.

The worker's return values say what it believes; the receipts say what it did. A
purchase is right when exactly one receipt names it, with the buyer of the
purchase and a title that names the course bought (the course's own title, read
from the same database). Everything else is named, purchase by purchase:

- lost: no receipt. Whether the event went to the dead letter queue (the failure
  is on record and a replay can fix it) or the worker reported success (nothing
  on record: the buyer is never told, and nobody knows);
- doubled: more than one receipt;
- wrong: one receipt, with another buyer or a title without the course's;
- strays: receipts for purchases nobody made.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from modelguard.messaging.events import PurchaseCreated
from modelguard.messaging.outcome import Outcome

SHOWN = 3  # purchase ids named in one sentence; the rest are counted


@dataclass(frozen=True)
class Receipts:
    """Where the receipts are, and which of their fields say what."""

    collection: str = "push_receipts"
    key: str = "purchase_id"
    buyer: str = "user_id"
    title: str = "title"


@dataclass
class Stored:
    """One scenario's purchases, and the receipts the database holds for them."""

    purchases: dict[str, PurchaseCreated]  # purchase id -> its event
    receipts: list[dict[str, Any]]
    titles: dict[str, str]  # course id -> the course's title
    outcomes: dict[str, str] = field(default_factory=dict)  # purchase id -> final outcome
    fields: Receipts = field(default_factory=Receipts)

    def __str__(self) -> str:
        """`20 purchases, 20 receipts stored`, then what is wrong, if anything."""
        return "; ".join([self.summary(), *self.problems()])

    def summary(self) -> str:
        purchases, receipts = len(self.purchases), len(self.receipts)
        return f"{_count(purchases, 'purchase')}, {_count(receipts, 'receipt')} stored"

    @property
    def right(self) -> bool:
        return not self.problems()

    def per_purchase(self) -> Counter[str]:
        return Counter(str(receipt.get(self.fields.key)) for receipt in self.receipts)

    def lost(self) -> list[str]:
        stored = self.per_purchase()
        return sorted(p for p in self.purchases if stored[p] == 0)

    def doubled(self) -> dict[str, int]:
        stored = self.per_purchase()
        return {p: n for p, n in sorted(stored.items()) if n > 1 and p in self.purchases}

    def strays(self) -> list[str]:
        return sorted(p for p in self.per_purchase() if p not in self.purchases)

    def wrong(self) -> dict[str, str]:
        """Purchase id -> what is wrong with its one receipt."""
        stored = self.per_purchase()
        wrong = {}
        for receipt in self.receipts:
            purchase = str(receipt.get(self.fields.key))
            event = self.purchases.get(purchase)
            if event is None or stored[purchase] != 1:
                continue
            buyer, title = receipt.get(self.fields.buyer), str(receipt.get(self.fields.title, ""))
            course = self.titles.get(event.course_id, "")
            if buyer != event.user_id:
                wrong[purchase] = f"the buyer {buyer!r} instead of {event.user_id!r}"
            elif course not in title:
                wrong[purchase] = f"the title {title!r}, which does not name the course {course!r}"
        return dict(sorted(wrong.items()))

    def problems(self) -> list[str]:
        """One plain sentence per kind of thing wrong, naming the purchases."""
        said = []
        lost = self.lost()
        silent = [p for p in lost if self.outcomes.get(p) == "succeeded"]
        dead = [p for p in lost if self.outcomes.get(p) == Outcome.DEAD_LETTERED]
        other = [p for p in lost if p not in silent and p not in dead]
        if silent:
            said.append(
                f"{_count(len(silent), 'purchase')} lost without a trace, no receipt although "
                f"your worker reported success: {_ids(silent)}"
            )
        if dead:
            said.append(
                f"{_count(len(dead), 'purchase')} with no receipt, in the DLQ: {_ids(dead)}"
            )
        if other:
            said.append(f"{_count(len(other), 'purchase')} with no receipt, never settled: "
                        f"{_ids(other)}")  # fmt: skip
        doubled = self.doubled()
        if doubled:
            shown = [f"{p} ({n} receipts)" for p, n in doubled.items()]
            said.append(f"{_count(len(doubled), 'purchase')} stored more than once: {_ids(shown)}")
        for purchase, what in list(self.wrong().items())[:SHOWN]:
            said.append(f"the receipt of {purchase} has {what}")
        if len(self.wrong()) > SHOWN:
            said.append(f"and {len(self.wrong()) - SHOWN} more receipts like that")
        strays = self.strays()
        if strays:
            said.append(
                f"{_count(len(strays), 'receipt')} for purchases nobody made: {_ids(strays)}"
            )
        return said


def read_stored(database: Any, purchases: dict[str, PurchaseCreated], fields: Receipts) -> Stored:
    """The receipts and the course titles in `database`, for these purchases."""
    from modelguard.academy.models import Course

    receipts = list(database[fields.collection].find({}, {"_id": 0}))
    courses = database[Course._get_collection_name()].find({}, {"title": 1})
    titles = {str(course["_id"]): str(course.get("title", "")) for course in courses}
    return Stored(dict(purchases), receipts, titles, fields=fields)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' * (number != 1)}"


def _ids(ids: list[str]) -> str:
    shown = ", ".join(ids[:SHOWN])
    return shown if len(ids) <= SHOWN else f"{shown} and {len(ids) - SHOWN} more"
