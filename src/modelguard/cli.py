"""The command line: `python -m modelguard COMMAND ...`.

Each command's module is imported only when that command runs, so `--help`
stays fast and no command pays for another's dependencies.
"""

from __future__ import annotations

import argparse
import sys


def _walkthrough(args: argparse.Namespace) -> int:
    from modelguard import walkthrough

    walkthrough.run()
    return 0


def _lint(args: argparse.Namespace) -> int:
    from modelguard import lint

    return lint.main(args.rest)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m modelguard",
        description="Reproduce the OverwriteModelError incident and its fix.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    walk = commands.add_parser("walkthrough", help="a printed tour of the model registry")
    walk.set_defaults(run=_walkthrough)

    lint = commands.add_parser(
        "lint", help="check model registration and dynamic loads (PATH...)", add_help=False
    )
    lint.add_argument("rest", nargs=argparse.REMAINDER)
    lint.set_defaults(run=_lint)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
