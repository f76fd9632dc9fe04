"""Run every worker variant and write the figures of their outcomes as PNGs.

    python scripts/render_figures.py --out build/figures [--tables]
                                     [--main-figure docs/retry-outcomes.png]

The numbers are measured by this run (the embedded broker and mongomock by
default; `--broker kafka` and MONGODB_URI for real servers) and written beside
the figures as results.json; nothing is read from a table. `--tables` also prints
the scenario tables of `python -m modelguard scenarios --variant all` from the same
run, so that the tables, the figures and results.json never disagree (`make demo`).
Progress bars show only on a terminal.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import time
from pathlib import Path

from tqdm.auto import tqdm

from modelguard.config import BROKER_NAMES, VARIANT_NAMES, ServiceNotNamed
from modelguard.entrypoints.numbers import positive
from modelguard.lab.growth import measure_growth
from modelguard.lab.scenarios import run_variant
from modelguard.views.plots import save_all
from modelguard.views.tables import scenario_legend, scenario_table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("build/figures"), help="directory")
    parser.add_argument("--events", type=positive, default=50,
                        help="events in the larger scenarios")  # fmt: skip
    parser.add_argument("--consumers", type=positive, default=3)
    parser.add_argument("--broker", choices=BROKER_NAMES, default="memory")
    parser.add_argument("--growth-sizes", default="5,10,20,40", help="comma-separated sizes")
    parser.add_argument("--dpi", type=positive, default=150)
    parser.add_argument(
        "--tables", action="store_true", help="also print the scenario tables of this run"
    )
    parser.add_argument(
        "--main-figure", type=Path, help="also copy retry-outcomes.png here (the README's figure)"
    )
    args = parser.parse_args(argv)
    try:
        sizes = [positive(size) for size in args.growth_sizes.split(",")]
    except argparse.ArgumentTypeError as error:
        parser.error(f"argument --growth-sizes: {error}")
    # The buggy worker dead-letters on purpose; its error logs are not news here.
    logging.getLogger("modelguard").setLevel(logging.CRITICAL)

    started = time.monotonic()
    try:
        results = [
            run_variant(variant, broker=args.broker, events=args.events, consumers=args.consumers)
            for variant in tqdm(VARIANT_NAMES, desc="variants", disable=None)  # None: a tty only
        ]
        growth = measure_growth(sizes, consumers=args.consumers, broker=args.broker, progress=None)
    except ServiceNotNamed as error:  # --broker kafka with no Kafka named
        print(f"render_figures: {error}", file=sys.stderr)
        return 2
    if args.tables:
        print("\n\n".join(scenario_table(result) for result in results))
        print(f"\n{scenario_legend()}\n")
    for path in save_all(results, args.out, growth=growth, dpi=args.dpi):
        print(path)
    # The numbers behind the figures, for anyone who quotes them.
    measured = args.out / "results.json"
    measured.write_text(json.dumps({"variants": results, "growth": growth}, indent=2))
    print(measured)
    if args.main_figure:
        args.main_figure.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(args.out / "retry-outcomes.png", args.main_figure)
        print(args.main_figure)
    print(f"measured and drawn in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
