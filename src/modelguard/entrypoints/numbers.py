"""The options' types (numbers, and a topic's or a group's name): what each accepts, and
what a refusal says.

argparse names the option itself ("argument --timeout: ..."), so a refusal says only
what was expected and what was given, in the user's words. A type that lets a plain
ValueError out would make argparse print the function's own name ("invalid _positive
value"), which means nothing to the person who typed the command; every conversion
here turns its error into an ArgumentTypeError for that reason.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable


def whole_number(minimum: int | None = None, maximum: int | None = None) -> Callable[[str], int]:
    """A type for a whole number in [minimum, maximum] (either bound may be open)."""

    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if minimum is not None and value < minimum:
            raise argparse.ArgumentTypeError(f"must be {_at_least(minimum)}, not {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be {maximum} or less, not {value}")
        return value

    convert.__name__ = "whole number"  # what argparse would fall back to showing
    return convert


def seconds(*, allow_zero: bool = False) -> Callable[[str], float]:
    """A type for a finite duration in seconds: above 0, or 0 and above."""

    def convert(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"expected a finite number of seconds, not {text}")
        if value < 0 or (value == 0 and not allow_zero):
            bound = "0 or more" if allow_zero else "more than 0"
            raise argparse.ArgumentTypeError(f"must be {bound} seconds, not {text}")
        return value

    convert.__name__ = "seconds"
    return convert


def _at_least(minimum: int) -> str:
    return "0 or more" if minimum == 0 else f"at least {minimum}"


positive = whole_number(minimum=1)
non_negative = whole_number(minimum=0)
port = whole_number(minimum=0, maximum=65535)


# Kafka's own rule for a topic's name: what it would refuse, refused here first, with the
# name as typed (an empty one would otherwise read the topic ".dlq" and find nothing).
_TOPIC = re.compile(r"[A-Za-z0-9._-]{1,249}")


def topic_name(text: str) -> str:
    """A type for a Kafka topic's name: 1 to 249 of ASCII letters, digits, '.', '_', '-'."""
    if not _TOPIC.fullmatch(text) or text in (".", ".."):
        raise argparse.ArgumentTypeError(
            f"expected a topic name (1 to 249 letters, digits, '.', '_' or '-'), got {text!r}"
        )
    return text


def group_name(text: str) -> str:
    """A type for a consumer group's name: anything but empty or blank, where no group
    would be joined and nothing a replay read could be committed."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"expected a consumer group's name, got {text!r}")
    return text
