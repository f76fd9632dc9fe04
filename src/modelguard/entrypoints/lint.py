"""``modelguard lint``: run the rules of `modelguard.lint` over files and say what they found.

Findings print one a line, ``path:line:col: CODE message``, like ruff; after
them, every finding a ``# noqa`` excused prints as ``suppressed: ... -- reason``,
so an exception stays in sight. The exit code is 0 when nothing is found, 1
when anything is (a path that does not exist included: it is an MG000 finding,
and the other paths are still checked), 2 on a usage error. ``--format json``
prints the findings as a list. The default codes leave out the opt-in MG006 and
MG007; ``--select`` names others, or ``ALL``.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from modelguard.lint import (
    DEFAULT,
    OPT_IN,
    RULES,
    Finding,
    check_paths,
    check_source,
    iter_python_files,
    lint_paths,
)

__all__ = [
    "DEFAULT",
    "OPT_IN",
    "RULES",
    "Finding",
    "check_paths",
    "check_source",
    "iter_python_files",
    "lint_paths",
    "main",
]


def _codes(text: str) -> set[str]:
    codes = {code.strip().upper() for code in text.split(",") if code.strip()}
    if "ALL" in codes:
        return set(RULES)
    if unknown := codes - RULES.keys():
        raise argparse.ArgumentTypeError(f"unknown code(s): {', '.join(sorted(unknown))}")
    if not codes:
        raise argparse.ArgumentTypeError("no code given")
    return codes


def main(argv: list[str] | None = None) -> int:
    """Print findings; return 0 when clean, 1 when anything is found, 2 on a usage error."""
    parser = argparse.ArgumentParser(
        prog="modelguard lint",
        description="Check that model code runs once per process.",
        epilog="\n".join(f"{code}  {summary}" for code, summary in RULES.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or directories")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--select",
        type=_codes,
        metavar="CODES",
        help=f"e.g. MG001,MG003, or ALL; default: all but the opt-in {', '.join(sorted(OPT_IN))}",
    )
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse exits 2 on bad usage and 0 after --help
        return int(exit_.code or 0)
    # a missing path is an MG000 finding among the others, and the rest is still checked
    report = lint_paths(args.paths, select=args.select)
    if args.format == "json":
        print(json.dumps([asdict(finding) for finding in report.findings], indent=2))
    else:
        for finding in report.findings:
            print(finding)
        for excused in report.suppressed:
            print(excused)
    return 1 if report.findings else 0


if __name__ == "__main__":
    sys.exit(main())
