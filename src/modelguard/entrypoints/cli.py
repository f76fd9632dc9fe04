"""The command line: `python -m modelguard COMMAND ...`.

Each command's module is imported only when that command runs, so `--help`
stays fast and no command pays for another's dependencies.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from modelguard.config import BROKER_NAMES, POLICY_NAMES, SOAK_DEFAULTS, VARIANT_NAMES
from modelguard.entrypoints.numbers import (
    group_name,
    non_negative,
    positive,
    seconds,
    topic_name,
    whole_number,
)


def _walkthrough(args: argparse.Namespace) -> int:
    from modelguard.entrypoints import walkthrough

    walkthrough.run()
    return 0


def _scenarios(args: argparse.Namespace) -> int:
    from modelguard.lab.scenarios import run_variant
    from modelguard.views.tables import scenario_legend, scenario_table

    variants = VARIANT_NAMES if args.variant == "all" else (args.variant,)
    results = [
        run_variant(
            variant,
            broker=args.broker,
            events=args.events,
            consumers=args.consumers,
            policy=args.policy,
            timeout_s=args.timeout,
        )
        for variant in variants
    ]
    if args.json:
        print(json.dumps(results[0] if len(results) == 1 else results, indent=2))
    else:
        print("\n\n".join(scenario_table(result) for result in results))
        print(f"\n{scenario_legend()}")
    return 0


def _worker(args: argparse.Namespace) -> int:
    from modelguard.entrypoints import worker as worker_process

    return worker_process.run(args)


def _replay_dlq(args: argparse.Namespace) -> int:
    from modelguard.ops.dlq import topic_of

    args.topic = topic_of(args.topic)  # its DLQ named instead: the replay reads that DLQ
    if args.broker == "memory":
        from modelguard.lab.scenarios import flood_and_replay

        outcome = flood_and_replay(events=args.events, only=args.only, dry_run=args.dry_run)
        if args.json:
            print(json.dumps(outcome, indent=2))
        else:
            from modelguard.views.recovery import recovery_report

            print(recovery_report(outcome))
        if "dry_run" in outcome:  # a plan: nothing was replayed, so nothing can have failed
            return 0
        ok = outcome["dead_lettered_after_replay"] == 0 and outcome["duplicates"] == 0
        return 0 if ok else 1
    from modelguard.bootstrap import open_broker
    from modelguard.config import dlq_topic
    from modelguard.messaging.replay import ReplayPlan, plan_replay, replay_dead_letters
    from modelguard.views.dlq import replay_report

    processed, store = _processed_store("replay-dlq", args.topic)
    if store is not None and not store.belongs:
        print(f"modelguard replay-dlq: {store.line()}", file=sys.stderr)
    with open_broker(args.broker) as bus:
        if args.dry_run or args.only:
            plan = plan_replay(bus, args.topic, group=args.group, only=args.only,
                               processed=processed)  # fmt: skip
            missing = plan.unmatched(args.only)
            if missing:
                # Replayed, every record would be skipped and committed for the group.
                found = ", ".join(f"{name} x{n}" for name, n in plan.classes.most_common())
                print(f"modelguard replay-dlq: --only {', '.join(missing)}: no dead letter "
                      f"in {dlq_topic(args.topic)} from where group {args.group!r} has "
                      f"committed has that class (found: {found or 'no records'}); nothing "
                      "was replayed or committed", file=sys.stderr)  # fmt: skip
                return 2
        if args.dry_run:
            print(json.dumps(plan.to_json(), indent=2) if args.json
                  else replay_report(plan, dry_run=True))  # fmt: skip
            return 0
        start = bus.committed_offsets(args.group, dlq_topic(args.topic))
        done = ReplayPlan(args.topic, group=args.group, start=start)
        # The first poll on Kafka includes joining the group: wait longer than that for it.
        count = replay_dead_letters(
            bus, args.topic, group=args.group, idle_timeout_s=10.0, only=args.only,
            processed=processed, tally=done,
        )  # fmt: skip
        done.before_start = sum(start.values())
    if args.json:
        print(json.dumps({"replayed": count, "replayed_events": len(done.replay_events),
                          "records": done.records, "events": len(done.events),
                          "group": args.group, "starts_at": {str(p): o for p, o in start.items()},
                          "skipped": dict(done.skip), "skipped_poison": dict(done.poison),
                          "skipped_already_processed": done.already_processed},
                         indent=2))  # fmt: skip
        return 0
    print(replay_report(done, dry_run=False))
    return 0


def _processed_store(command: str, topic: str):
    """The lookup in the processed-events store that goes with `topic`'s DLQ, and whose
    store it is: a lab run's own database (named after the run the topic names) when the
    server MONGODB_URI names has it, else MONGODB_URI's database. The lookup is None
    when that store belongs to another run, or (with a note) when MONGODB_URI is not
    set: mongomock would claim nothing is processed."""
    from modelguard.bootstrap import open_database
    from modelguard.config import mongodb_uri, run_database_name, run_id_of
    from modelguard.messaging.replay import processed_lookup
    from modelguard.ops.dlq import check_store, dlq_of

    if mongodb_uri() is None:
        print(f"modelguard {command}: MONGODB_URI is not set, so dead letters whose event "
              "was processed later cannot be told apart", file=sys.stderr)  # fmt: skip
        return None, None
    database = open_database()
    run_id = run_id_of(topic)
    if run_id is not None and run_database_name(run_id) in database.client.list_database_names():
        database = database.client[run_database_name(run_id)]
    store = check_store(database, dlq_of(topic))
    return (processed_lookup(database) if store.belongs else None), store


def _dlq_inspect(args: argparse.Namespace) -> int:
    from modelguard.ops.dlq import inspect_dlq
    from modelguard.views.dlq import dlq_report

    if args.broker == "memory":
        from modelguard.bootstrap import open_broker
        from modelguard.lab.scenarios import flood_dead_letters
        from modelguard.ops.dlq import topic_of

        print(
            f"(memory broker: the buggy worker first handles {args.events} purchases on "
            f"{topic_of(args.topic)!r}, to fill its DLQ)",
            file=sys.stderr,
            flush=True,
        )
        from modelguard.messaging.replay import processed_lookup

        with open_broker("memory") as bus:
            # Purchases go to the worker's topic, even where --topic names its DLQ.
            flood = flood_dead_letters(bus, events=args.events, topic=topic_of(args.topic))
            summary = inspect_dlq(bus, args.topic, processed=processed_lookup(flood.database))
    else:
        from modelguard.bootstrap import open_broker

        processed, store = _processed_store("dlq inspect", args.topic)
        with open_broker(args.broker) as bus:
            summary = inspect_dlq(bus, args.topic, processed=processed, store=store)
    print(json.dumps(summary.to_json(), indent=2) if args.json else dlq_report(summary))
    return 0


def _soak(args: argparse.Namespace) -> int:
    if args.zombies:
        if args.broker != "kafka":
            print("modelguard soak: --zombies needs --broker kafka (real worker processes "
                  "to freeze)", file=sys.stderr)  # fmt: skip
            return 2
        from modelguard.lab import zombie

        return zombie.main(args)
    from modelguard.lab import soak

    return soak.main(args)


def _bench(args: argparse.Namespace) -> int:
    from modelguard.lab import bench

    return bench.main(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m modelguard",
        description="Reproduce the OverwriteModelError incident and its fix.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every dead letter")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    walk = commands.add_parser("walkthrough", help="a printed tour of the model registry")
    walk.set_defaults(run=_walkthrough)

    run = commands.add_parser("scenarios", help="run the four scenarios for a worker variant")
    run.add_argument("--variant", choices=(*VARIANT_NAMES, "all"), default="fixed")
    run.add_argument("--broker", choices=BROKER_NAMES, default="memory")
    run.add_argument("--events", type=positive, default=50, help="events in the larger scenarios")
    run.add_argument("--consumers", type=positive, default=3, help="consumers in one group")
    run.add_argument("--policy", choices=POLICY_NAMES, default="seed")
    run.add_argument("--timeout", type=seconds(), default=120.0, help="seconds per scenario")
    run.add_argument("--json", action="store_true", help="print one JSON object")
    run.set_defaults(run=_scenarios)

    replay = commands.add_parser(
        "replay-dlq",
        help="re-drive dead letters to their original topic",
        description="On kafka: republish TOPIC.dlq to the original topics. On memory (the "
        "embedded broker lives in this process only): flood a DLQ with the buggy worker, "
        "deploy the fixed one, replay, and report.",
    )
    replay.add_argument("--broker", choices=BROKER_NAMES, default="memory")
    replay.add_argument("--topic", type=topic_name, default="purchases",
                        help="the worker's topic, or its .dlq topic")  # fmt: skip
    replay.add_argument(
        "--group",
        type=group_name,
        default="dlq-replayer",
        help="the replay's consumer group: a replay resumes where it has committed, and "
        "so does --dry-run's plan",
    )
    replay.add_argument("--events", type=positive, default=20)
    replay.add_argument(
        "--only",
        action="append",
        metavar="ERROR_CLASS",
        help="replay only records of this error class (repeatable), poison ones included; "
        "the others are skipped and committed for --group. Without it, every class is "
        "replayed except poison records, whose payload itself is the fault",
    )
    replay.add_argument(
        "--dry-run",
        action="store_true",
        help="say what a replay in --group would send where and what it would skip, from "
        "where the group has committed, without publishing or committing anything",
    )
    replay.add_argument("--json", action="store_true")
    replay.set_defaults(run=_replay_dlq)

    dlq = commands.add_parser("dlq", help="look at a dead letter topic")
    dlq_commands = dlq.add_subparsers(dest="dlq_command", required=True, metavar="COMMAND")
    inspect = dlq_commands.add_parser(
        "inspect",
        help="why a DLQ filled: error classes, first failures, origins, messages, diagnosis",
        description="Read TOPIC.dlq (or TOPIC itself when it ends in .dlq) without joining "
        "any consumer group, and summarise it. On memory (the embedded broker lives in this "
        "process only): fill TOPIC.dlq with the buggy worker first, then inspect it.",
    )
    inspect.add_argument("--topic", type=topic_name, required=True,
                         help="the worker's topic, or a .dlq topic")  # fmt: skip
    inspect.add_argument("--broker", choices=BROKER_NAMES, default="memory")
    inspect.add_argument(
        "--events", type=positive, default=20, help="events the buggy worker gets on memory"
    )
    inspect.add_argument("--json", action="store_true", help="print one JSON object")
    inspect.set_defaults(run=_dlq_inspect)

    from modelguard.entrypoints import (
        worker as worker_process,  # the standard library only, until run()
    )

    worker = commands.add_parser(
        "worker", help="run the allocation worker on Kafka until SIGTERM (needs MONGODB_URI)"
    )
    worker_process.add_arguments(worker)
    worker.set_defaults(run=_worker)

    soak = commands.add_parser(
        "soak",
        help="push good, bad and repeated records through the fixed worker; lose none",
        description="One drill, one verdict, on either broker. The parts: bad records, "
        "kills, a broker restart, a database outage and a DLQ replay; the embedded broker "
        "refuses the two that need real services.",
    )
    soak.add_argument("--broker", choices=BROKER_NAMES, default="memory")
    soak.add_argument("--records", type=positive, default=SOAK_DEFAULTS["records"])
    soak.add_argument(
        "--seed", type=whole_number(), default=SOAK_DEFAULTS["seed"], help="names the drill"
    )
    soak.add_argument(
        "--kills",
        type=non_negative,
        default=SOAK_DEFAULTS["kills"],
        help="worker deaths to inject",
    )
    soak.add_argument("--bad-records", action=argparse.BooleanOptionalAction, default=True,
                      help="mix malformed and unusable records into the stream")  # fmt: skip
    soak.add_argument("--restart-broker", action="store_true", help="restart Kafka mid-stream")
    soak.add_argument("--database-outage", action="store_true",
                      help="stop the database until attempts fail into the DLQ")  # fmt: skip
    soak.add_argument("--replay", action=argparse.BooleanOptionalAction, default=True,
                      help="replay the DLQ once the cause is gone")  # fmt: skip
    soak.add_argument(
        "--zombies",
        type=non_negative,
        default=0,
        help="on kafka: instead of the soak, freeze a worker mid-record past its session "
        "timeout this many times, and count what the group does about it",
    )
    soak.add_argument("--json", action="store_true")
    soak.set_defaults(run=_soak)

    bench = commands.add_parser("bench", help="what the fix costs, what the bug costs")
    bench.add_argument("--events", type=positive, default=2000)
    bench.add_argument("--json", action="store_true")
    bench.set_defaults(run=_bench)

    commands.add_parser(
        "lint", help="check model registration and dynamic loads: lint [--format json] PATH..."
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["lint"]:  # the linter owns its whole command line
        from modelguard.entrypoints import lint

        return lint.main(argv[1:])
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.CRITICAL,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from modelguard.config import ServiceNotNamed
    from modelguard.extras import LabExtraMissing

    command = " ".join(filter(None, (args.command, getattr(args, "dlq_command", None))))
    try:
        return args.run(args)
    except ServiceNotNamed as error:  # --broker kafka (or worker processes) with nothing named
        print(f"modelguard {command}: {error}", file=sys.stderr)
        return 2
    except LabExtraMissing as error:  # a lab command in an install without the lab extra
        print(f"modelguard {command}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
