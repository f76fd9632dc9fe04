"""`python -m modelguard worker`: the allocation worker as a long-running process.

This module is the command line; the worker itself (the loop, its reports and
metrics, a clean stop) is `ops.worker_runtime.WorkerProcess`. It decides:

- the options, and the fault plan they may carry (`lab.fault_arguments`): a plan
  that is not one is a usage error;
- configuration: Kafka from KAFKA_BOOTSTRAP_SERVERS, the database from MONGODB_URI,
  which must name a real server, since separate processes cannot share a mongomock
  (without it the process exits 2 and says why);
- the metrics endpoint: with --metrics-port, Prometheus scrapes /metrics (port 0
  takes a free port, which the log names);
- signals: SIGTERM or SIGINT lets the record in hand finish and commit, then the
  member leaves its group and the process exits 0. A crash is the runner's SIGKILL;
  nothing here simulates one;
- exit codes: 0 on a clean stop or --idle-exit, 1 when Kafka refuses the login or
  cannot be reached, 2 for a usage or configuration error.

The command line is `add_arguments` + `run`, so that the CLI can mount it; the module
imports nothing heavy until `run`, which keeps `python -m modelguard --help` fast.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from typing import TYPE_CHECKING

from modelguard.config import POLICY_NAMES, VARIANT_NAMES
from modelguard.entrypoints import numbers

if TYPE_CHECKING:
    from modelguard.lab.faults import FaultPlan

log = logging.getLogger("modelguard.worker")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--variant", choices=VARIANT_NAMES, default="fixed")
    parser.add_argument("--topic", default="purchases", help="the topic to consume")
    parser.add_argument("--group", default="allocation-worker", help="the consumer group")
    parser.add_argument("--policy", choices=POLICY_NAMES, default="seed")
    parser.add_argument(
        "--faults",
        metavar="PATH_OR_JSON",
        type=faults_from_argument,
        help='injected failures, as JSON or a JSON file: {"fail_attempts": {"EVENT_ID": K}} '
        'fails attempts 1..K of that event; {"stall_s": {"EVENT_ID": S}} holds its first '
        "attempt S seconds before allocating",
    )
    parser.add_argument(
        "--report-topic", metavar="TOPIC", help="also publish every attempt as JSON here"
    )
    parser.add_argument(
        "--metrics-port",
        type=numbers.port,
        metavar="N",
        help="serve Prometheus metrics at http://HOST:N/metrics (0: any free port)",
    )
    parser.add_argument(
        "--metrics-host",
        default="127.0.0.1",
        metavar="HOST",
        help="the address the metrics endpoint listens on (default 127.0.0.1; "
        "0.0.0.0 for a scraper on another host)",
    )
    parser.add_argument(
        "--kafka-timeout",
        type=numbers.seconds(),
        metavar="SECONDS",
        help="how long to wait for Kafka: to reach it at start-up, and for each request "
        "(default 30). A refused login is retried by the client until then.",
    )
    parser.add_argument(
        "--idle-exit",
        type=numbers.seconds(),
        metavar="SECONDS",
        help="exit 0 after this long without a record to handle",
    )


def faults_from_argument(text: str) -> FaultPlan:
    """--faults as argparse takes it: a bad plan is a usage error (exit 2)."""
    from modelguard.lab.fault_arguments import BadFaultPlan, parse_faults

    try:
        return parse_faults(text)
    except BadFaultPlan as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def run(args: argparse.Namespace) -> int:
    """Run the worker until SIGTERM (or --idle-exit); the process's exit status."""
    from modelguard import db
    from modelguard.bootstrap import worker_from_env, worker_metrics
    from modelguard.config import ServiceNotNamed
    from modelguard.messaging.policy import POLICIES
    from modelguard.messaging.port import AuthenticationFailedError, BrokerError
    from modelguard.ops.worker_runtime import WorkerProcess, serve_metrics

    _show_info_logs()
    try:
        broker, worker = worker_from_env(
            args.variant, faults=args.faults, kafka_timeout_s=args.kafka_timeout
        )
    except ServiceNotNamed as error:  # no Kafka or no database named: nothing to guess
        print(f"modelguard worker: {error}", file=sys.stderr)
        return 2
    metrics = worker_metrics(worker)
    process = WorkerProcess(
        broker, worker, topic=args.topic, group=args.group, policy=POLICIES[args.policy],
        metrics=metrics,
    )  # fmt: skip
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda number, frame: process.stop(signal.Signals(number).name))
    log.info(
        "worker %s: variant %s, policy %s, topic %r, group %r, broker %r, database %s",
        process.name, args.variant, args.policy, args.topic, args.group, broker, db.target(),
    )  # fmt: skip
    server = None
    if args.metrics_port is not None:
        try:
            server = serve_metrics(metrics, args.metrics_host, args.metrics_port)
        except OSError as error:
            where = f"{args.metrics_host}:{args.metrics_port}"
            print(f"modelguard worker: cannot serve metrics on {where}: {error}", file=sys.stderr)
            return 2
        host, port = server.server_address[:2]
        log.info("worker %s: metrics at http://%s:%d/metrics", process.name, host, port)
    try:
        with broker:
            if args.report_topic:
                process.report_to(args.report_topic)
            process.run(idle_exit_s=args.idle_exit)
    except AuthenticationFailedError as error:
        # Retrying cannot fix a wrong password: stop at once and say so (never the password).
        log.error("worker %s: %s", process.name, error)
        print(f"modelguard worker: {error}", file=sys.stderr)
        return 1
    except BrokerError as error:
        log.error("worker %s: cannot reach Kafka: %s", process.name, error)
        return 1
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
    log.info("worker %s: stopped", process.name)
    return 0


def _show_info_logs() -> None:
    """The worker's own INFO logs show even when the CLI keeps other loggers quiet."""
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    logging.getLogger("modelguard").setLevel(logging.INFO)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m modelguard worker", description="Run the allocation worker."
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
