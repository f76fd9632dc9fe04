"""Reliability soak: thousands of records, good, bad and repeated, and nothing lost.

One command on either broker, with one verdict and one report; the drill's parts
(bad records, kills, broker restart, database outage, replay) are chosen by flags.
Each module decides one thing:

- `parts`: the parts, their defaults, and which a broker cannot run (refused);
- `records`: what a record is: the `soak.record` header that traces it, its
  category, and the bytes of every bad kind the worker must survive;
- `stream`: what the embedded stream holds: valid PURCHASE_CREATED events, each
  published 1 to 5 times, mixed with bad records and events that reuse another
  event's id; all drawn from one seeded `random.Random`, so a seed names a stream;
- `accounting`: how a record is accounted for: its fate is read from the
  consumers' reports and the DLQ topic rather than inferred;
- `process`: the simulated worker process the embedded soak kills and restarts;
- `rounds`: how an embedded round runs, what a crash is, and its replay;
- `database`: what the embedded database holds, and why it is emptied after
  each round (mongomock scans a whole collection for every query);
- `embedded`: the whole run on the embedded broker;
- `plan`, `processes`, `fates`: the drill with worker processes on Kafka, what it
  does to the broker and the database, when, and what became of each record;
- `verdict`: the one verdict; `run`: `run_soak`; `report`: the table and the command;
- `shapes`: the report's JSON shape, as TypedDicts.
"""

from modelguard.lab.soak.accounting import Figures, Ledger
from modelguard.lab.soak.database import empty_round, prepare
from modelguard.lab.soak.parts import Parts, SoakRefused, refusals
from modelguard.lab.soak.plan import OUTAGE_BACKLOG, SoakFailed, SoakPlan
from modelguard.lab.soak.process import AccountedConsumer, WorkerProcess
from modelguard.lab.soak.records import BAD_CATEGORIES, PROCESSED, RECORD_ID, Outgoing
from modelguard.lab.soak.report import main, soak_table
from modelguard.lab.soak.rounds import Soak
from modelguard.lab.soak.run import run_soak
from modelguard.lab.soak.stream import Stream
from modelguard.lab.soak.verdict import FAILURES, verdict

__all__ = [
    "BAD_CATEGORIES",
    "FAILURES",
    "OUTAGE_BACKLOG",
    "PROCESSED",
    "RECORD_ID",
    "AccountedConsumer",
    "Figures",
    "Ledger",
    "Outgoing",
    "Parts",
    "Soak",
    "SoakFailed",
    "SoakPlan",
    "SoakRefused",
    "Stream",
    "WorkerProcess",
    "empty_round",
    "main",
    "prepare",
    "refusals",
    "run_soak",
    "soak_table",
    "verdict",
]
