"""Reliability soak: thousands of records, good, bad and repeated, and nothing lost.

Each module decides one thing:

- `records`: what a record is: the `soak.record` header that traces it, its
  category, and the bytes of every bad kind the worker must survive;
- `stream`: what the stream holds: valid PURCHASE_CREATED events, each published
  1 to 5 times (some copies keyed by purchase, so one consumer sees them in turn,
  some keyless and adjacent, so several consumers handle them at once), mixed
  with bad records and events that reuse another event's id; all drawn from one
  seeded `random.Random`, so a seed names a stream;
- `accounting`: how a record is accounted for: its fate is read from the
  consumers' reports and the DLQ topic rather than inferred: processed,
  dead-lettered (with an error class and message) or lost;
- `process`: the worker process the soak kills and restarts, and its consumers;
- `rounds`: how a round runs, and what a crash is: an exception other than an
  injected kill escaping a consumer, one that would take the worker process
  down. A supervisor would restart the process; the soak does the same, and
  counts it;
- `database`: what the embedded database holds, and why it is emptied after
  each round (mongomock scans a whole collection for every query);
- `run`: the whole run: rounds of `round_size` records, `kills` simulated
  process deaths spread over it, and the JSON figures;
- `report`: the table and `python -m modelguard soak`.
"""

from modelguard.lab.soak.accounting import Figures, Ledger
from modelguard.lab.soak.database import empty_round, prepare
from modelguard.lab.soak.process import AccountedConsumer, WorkerProcess
from modelguard.lab.soak.records import BAD_CATEGORIES, PROCESSED, RECORD_ID, Outgoing
from modelguard.lab.soak.report import main, soak_table
from modelguard.lab.soak.rounds import Soak
from modelguard.lab.soak.run import run_soak
from modelguard.lab.soak.stream import Stream

__all__ = [
    "BAD_CATEGORIES",
    "PROCESSED",
    "RECORD_ID",
    "AccountedConsumer",
    "Figures",
    "Ledger",
    "Outgoing",
    "Soak",
    "Stream",
    "WorkerProcess",
    "empty_round",
    "main",
    "prepare",
    "run_soak",
    "soak_table",
]
