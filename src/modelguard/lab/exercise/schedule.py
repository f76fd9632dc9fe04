"""The check's purchases and how Kafka delivers them, generated from a seed.

Every seed makes the same purchases and puts every hazard on one of them; the seed
decides which purchase meets which hazard and in what order the records arrive, so
the same seed always gives the same schedule (and the same verdict), and another
seed tries the worker another way.

The purchases: one buyer buys all three courses (a worker that remembers "already
told" per buyer forgets two of them), each course is bought by three buyers or more
(one that remembers it per course forgets all but one), and one buyer buys the same
course twice, as a second seat or a purchase made again after a refund (one that
remembers it per buyer and course forgets the second purchase).

The hazards, one per purchase:

- `plain`: delivered once;
- `redelivered`: delivered once, then again later in the same process, as after
  a commit that failed;
- `kafka_retry`, `multiple_retries`: attempt 1 (or 1 to 4) fails before the
  handler is called, so the same process retries it;
- `database_timeout`: on attempt 1 the database times out inside the handler;
- `race`: the same record delivered twice at once, to two consumers;
- `killed_before`: the worker process is killed as the record arrives, before its
  handler runs; a new process gets the record again;
- `killed_at_write`: killed inside the handler, as its first database write starts;
- `killed_after_write`: killed inside the handler, just after its first write;
- `killed_after_answer`: killed after the handler answered, before the offset
  commit: the receipt must already be stored (durable before acknowledged).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from modelguard.messaging.events import PurchaseCreated

HAZARDS = (
    "plain",
    "redelivered",
    "kafka_retry",
    "multiple_retries",
    "database_timeout",
    "race",
    "killed_before",
    "killed_at_write",
    "killed_after_write",
    "killed_after_answer",
)
KILLS = ("killed_before", "killed_at_write", "killed_after_write", "killed_after_answer")
FAILING_BEFORE = {"kafka_retry": 1, "multiple_retries": 4}  # attempts failed before the handler
MAX_ATTEMPTS = 5  # then the record goes to the dead letter queue

# (buyer, course index): student-00001 buys all three courses; each course has 3 buyers or
# more; student-00004 buys course 1 twice (purchases 6 and 10).
BUYS = (
    (1, 0), (1, 1), (1, 2), (2, 0), (3, 0), (4, 1), (5, 2), (6, 1), (7, 2), (4, 1),
)  # fmt: skip


@dataclass(frozen=True)
class Delivery:
    """One delivery of a purchase's record, to the process that runs it."""

    purchase_id: str
    hazard: str  # what happens to this delivery (a kill ends the process)
    again: bool = False  # a redelivery of a record already handled or killed


@dataclass
class Process:
    """One worker process: the deliveries it gets, in order."""

    deliveries: list[Delivery] = field(default_factory=list)


@dataclass(frozen=True)
class Schedule:
    seed: int
    purchases: dict[str, PurchaseCreated]
    hazard: dict[str, str]  # purchase id -> its hazard
    processes: list[Process]


def purchases(course_ids: list[str]) -> list[PurchaseCreated]:
    """The ten purchases, in the order they were made."""
    return [
        PurchaseCreated(
            event_id=f"evt-{n:05d}",
            purchase_id=f"pur-{n:05d}",
            user_id=f"student-{buyer:05d}",
            course_id=course_ids[course],
        )
        for n, (buyer, course) in enumerate(BUYS, 1)
    ]


def schedule(seed: int, course_ids: list[str]) -> Schedule:
    """The seed's schedule: which purchase meets which hazard, and the order of records."""
    chance = random.Random(seed)
    made = purchases(course_ids)
    hazards = list(HAZARDS)
    chance.shuffle(hazards)
    hazard = {event.purchase_id: hazards[i] for i, event in enumerate(made)}
    order = [event.purchase_id for event in made]
    chance.shuffle(order)
    processes = [Process()]
    later: list[Delivery] = []
    for purchase in order:
        what = hazard[purchase]
        processes[-1].deliveries.append(Delivery(purchase, what))
        if what == "redelivered":
            later.append(Delivery(purchase, "plain", again=True))
        if what in KILLS:  # the process dies here; a new one gets the record again
            processes.append(Process([Delivery(purchase, "plain", again=True)]))
        elif later and chance.random() < 0.5:
            processes[-1].deliveries.append(later.pop())
    processes[-1].deliveries += later
    return Schedule(seed, {e.purchase_id: e for e in made}, hazard, processes)
