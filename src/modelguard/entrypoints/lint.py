"""``modelguard lint``: run the rules of `modelguard.lint` over files and say what they found.

Findings print one a line, ``path:line:col: CODE message``, like ruff; after
them, every finding a ``# noqa`` excused prints as ``suppressed: ... -- reason``,
so an exception stays in sight. The exit code is 0 when nothing is found, 1
when anything is, 2 on a usage error. ``--format json`` prints the findings as
a list.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict

from modelguard.lint import (
    RULES,
    Finding,
    Report,
    check_paths,
    check_source,
    iter_python_files,
    lint_paths,
)

__all__ = [
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
    if unknown := codes - RULES.keys():
        raise argparse.ArgumentTypeError(f"unknown code(s): {', '.join(sorted(unknown))}")
    return codes


def _select(report: Report, codes: set[str] | None) -> Report:
    if not codes:
        return report
    # MG000 always shows: an unparsed file was not checked at all
    return Report(
        [f for f in report.findings if f.code in codes or f.code == "MG000"],
        [s for s in report.suppressed if s.finding.code in codes],
    )


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
    parser.add_argument("--select", type=_codes, metavar="CODES", help="e.g. MG001,MG003")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse exits 2 on bad usage and 0 after --help
        return int(exit_.code or 0)
    if missing := [path for path in args.paths if not os.path.exists(path)]:
        print(f"modelguard lint: no such file or directory: {', '.join(missing)}", file=sys.stderr)
        return 2
    report = _select(lint_paths(args.paths), args.select)
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
