"""Benchmarks: what the fix costs, what the bug costs, and how both grow.

Each module decides one thing:

- `micro`: the guard's hit against a plain dict get, and `define()` on a known
  model, interleaved, the fastest of several repeats kept;
- `candidates`: what is compared on the same data: the allocation service
  called directly (the limit), with and without the idempotency guard, and each
  worker variant through the in-memory broker and one `RetryingConsumer`;
- `throughput`: how they are run: side by side in one process, batch by batch,
  on a clean database emptied between batches outside the clock, after a
  warm-up;
- `memory`: resident set size after a garbage collection, with the module
  copies and `Document` classes still alive, which say why memory grows;
- `kafka`: 1, 2 and 4 worker processes on a 4-partition topic, when a broker, a
  shared MongoDB-wire server and the worker command are all there;
- `limit`: the fixed handler called directly on that server, no broker, with
  its round trips per event counted: the limit the Kafka figures are read against;
- `targets`: each target is printed next to its measurement as met or not
  met; none is asserted, because a benchmark reports and a test decides;
- `run`: one run of all of them, and the JSON figures;
- `shapes`: the JSON figures' shape, as TypedDicts;
- `report`: the table and `python -m modelguard bench`.
"""

from modelguard.lab.bench.candidates import Candidate, Direct, ThroughBroker
from modelguard.lab.bench.kafka import KAFKA_PARTITIONS, kafka_throughput
from modelguard.lab.bench.micro import micro
from modelguard.lab.bench.report import bench_table, main
from modelguard.lab.bench.run import machine, run_bench
from modelguard.lab.bench.targets import TARGETS, ratios, targets
from modelguard.lab.bench.throughput import measure

__all__ = [
    "KAFKA_PARTITIONS",
    "TARGETS",
    "Candidate",
    "Direct",
    "ThroughBroker",
    "bench_table",
    "kafka_throughput",
    "machine",
    "main",
    "measure",
    "micro",
    "ratios",
    "run_bench",
    "targets",
]
