"""What `python -m modelguard bench` prints, and what its exit code says.

It decides the table's rows (the micro-benchmarks, each candidate against
direct, each process's memory, real Kafka against the database limit, the
targets) and that the exit code ignores the targets: they are reported, not
asserted.
"""

from __future__ import annotations

import argparse
import json

from modelguard.lab.bench.kafka import KAFKA_PARTITIONS
from modelguard.lab.bench.run import run_bench
from modelguard.lab.bench.shapes import BenchReport


def main(args: argparse.Namespace) -> int:
    """`python -m modelguard bench`: print the figures; the exit code ignores the targets."""
    result = run_bench(events=args.events, kafka="auto")
    print(json.dumps(result, indent=2) if args.json else bench_table(result))
    return 0


def bench_table(result: BenchReport) -> str:
    m = result["machine"]
    lines = [
        f"bench: {result['events']} events in batches of {result['batch']}, "
        f"{result['duration_s']} s | {m['nproc']} CPU(s), {m['cpu']}, Python {m['python']}, "
        f"load {m['load_average']}",
        "",
        f"  guard hit        {result['guard_access_ns']:>9} ns   "
        f"dict get {result['dict_get_ns']} ns   ratio {result['guard_access_ratio']}x",
        f"  define(), equal  {result['define_hit_ns']:>9} ns   identical schema object "
        f"{result['define_hit_identical_ns']} ns",
        "",
        f"  {'candidate':26} {'events/s':>9} {'vs direct':>9} {'service loads':>14}",
    ]
    direct_rate = result["direct_events_per_s"]
    for name, run in result["runs"].items():
        rate = run["events_per_s"]
        versus = f"{rate / direct_rate:.2f}x" if rate and direct_rate else "-"
        label = f"{name} (dead-lettered/s)" if name == "buggy" else name
        loads = run.get("service_loads", "-")
        lines.append(f"  {label:26} {rate!s:>9} {versus:>9} {loads!s:>14}")
    lines += [
        "",
        f"  {'process':12} {'growth KiB':>10} {'modules added':>14} {'Document classes':>17} "
        f"{'service copies':>15}",
    ]
    for name, growth in result["memory_growth_kb"].items():
        modules, classes = result["modules_added"][name], result["model_classes_alive"][name]
        services = result["service_classes_alive"][name]
        lines.append(f"  {name:12} {growth!s:>10} {modules:>14} {classes:>17} {services:>15}")
    lines += kafka_lines(result)
    lines += ["", "  targets (reported, not asserted)"]
    for target in result["targets"]:
        verdict = {True: "met", False: "NOT met", None: "not measured"}[target["met"]]
        lines.append(f"    {verdict:13} {target['target']}: {target['measured']}")
    return "\n".join(lines)


def kafka_lines(result: BenchReport) -> list[str]:
    rates, ratios = result["kafka_events_per_s"], result["kafka_ratios"]
    limit = result["database_limit"]
    workers = ", ".join(f"{n} worker(s) {rate} events/s" for n, rate in rates.items())
    lines = [
        "",
        f"  real Kafka, {result.get('kafka_events', '-')} events on {KAFKA_PARTITIONS} partitions, "
        f"database {result.get('kafka_database', '-')}:",
        f"    database limit (fixed handler, no broker) {result['database_limit_events_per_s']} "
        "events/s",
        f"    {workers}",
        f"    1 worker / limit {ratios.get('1_worker_over_database_limit')}x, "
        + ", ".join(
            f"{k.replace('_over_', ' / ')} {v}x" for k, v in ratios.items() if k.endswith("_over_1")
        ),  # fmt: skip
    ]
    if limit:
        commands = ", ".join(f"{n} {c}" for c, n in limit["round_trips_by_command"].items())
        lines.append(
            f"    per event: {limit['round_trips_per_event']} database round trips ({commands}); "
            f"{limit['ms_per_event_in_round_trips']} ms waiting on the server, "
            f"{limit['ms_per_event_in_python']} ms in the client"
        )
    if "consumer_and_broker_ms_per_event" in ratios:
        lines.append(
            f"    1 worker: {ratios['database_ms_per_event']} ms per event in the handler and "
            f"database, {ratios['consumer_and_broker_ms_per_event']} ms in the consumer and broker"
        )
    if result["kafka_note"]:
        lines.append(f"    ({result['kafka_note']})")
    return lines
