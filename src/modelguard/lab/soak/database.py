"""What the embedded database holds for a soak or a benchmark, round after round.

It decides that a run starts on a clean database holding only the academy's
trainers and courses, and that a round, once checked, leaves nothing behind:
mongomock scans a whole collection for every query and unique check (a real
server answers from an index), so one ever-growing database would make a long
run quadratic.
"""

from __future__ import annotations

from modelguard.bootstrap import fresh_process
from modelguard.lab.databases import clean_database
from modelguard.lab.seed import seed_academy
from modelguard.messaging.idempotency import COLLECTION


def prepare():
    """A clean database with the academy's trainers and courses; returns it and the course ids."""
    database = clean_database()
    fresh_process()
    return database, seed_academy()


def empty_round(database) -> None:
    """Forget a checked round: its allocations, processed event ids and trainers' loads."""
    database["allocations"].delete_many({})
    database[COLLECTION].delete_many({})
    database["users"].update_many({"role": "trainer"}, {"$set": {"load": 0}})
