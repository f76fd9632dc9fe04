"""Every bad value on the command line is refused before anything runs.

One row per bad input: the refusal names the option (or the variable) in the words the
user typed, exits non-zero, and prints nothing on stdout, where a result would go, so a
refused command can never be mistaken for a run.
"""

from __future__ import annotations

import re

import pytest

from modelguard.entrypoints.cli import main

# (command line, what the message must say)
BAD_INPUTS = [
    ("scenarios --timeout -1", "argument --timeout: must be more than 0 seconds, not -1"),
    ("scenarios --timeout 0", "argument --timeout: must be more than 0 seconds, not 0"),
    ("scenarios --timeout nan", "argument --timeout: expected a finite number of seconds"),
    ("scenarios --timeout inf", "argument --timeout: expected a finite number of seconds"),
    ("scenarios --timeout soon", "argument --timeout: expected seconds, got 'soon'"),
    ("scenarios --events abc", "argument --events: expected a whole number, got 'abc'"),
    ("scenarios --events 2.5", "argument --events: expected a whole number, got '2.5'"),
    ("scenarios --events 0", "argument --events: must be at least 1, not 0"),
    ("scenarios --consumers -2", "argument --consumers: must be at least 1, not -2"),
    ("scenarios --variant nope", "argument --variant: invalid choice: 'nope'"),
    ("scenarios --broker rabbit", "argument --broker: invalid choice: 'rabbit'"),
    ("replay-dlq --events 0", "argument --events: must be at least 1, not 0"),
    ("dlq inspect --topic t --events -1", "argument --events: must be at least 1, not -1"),
    ("dlq inspect", "the following arguments are required: --topic"),
    ("dlq inspect --topic=", "argument --topic: expected a topic name (1 to 249 letters, digits"),
    ("replay-dlq --topic a/b", "argument --topic: expected a topic name (1 to 249 letters, digits"),
    ("replay-dlq --group=", "argument --group: expected a consumer group's name, got ''"),
    ("soak --records 0", "argument --records: must be at least 1, not 0"),
    ("soak --kills -1", "argument --kills: must be 0 or more, not -1"),
    ("soak --zombies -3", "argument --zombies: must be 0 or more, not -3"),
    ("soak --seed one", "argument --seed: expected a whole number, got 'one'"),
    ("bench --events -5", "argument --events: must be at least 1, not -5"),
    ("worker --metrics-port 70000", "argument --metrics-port: must be 65535 or less, not 70000"),
    ("worker --metrics-port -1", "argument --metrics-port: must be 0 or more, not -1"),
    ("worker --idle-exit -5", "argument --idle-exit: must be more than 0 seconds, not -5"),
    ("worker --kafka-timeout 0", "argument --kafka-timeout: must be more than 0 seconds, not 0"),
    # A real service asked for but not named: refused, nothing guessed.
    ("dlq inspect --topic t --broker kafka", "KAFKA_BOOTSTRAP_SERVERS is not set"),
    ("replay-dlq --broker kafka --dry-run", "KAFKA_BOOTSTRAP_SERVERS is not set"),
    ("scenarios --broker kafka --events 1", "MONGODB_URI is not set"),
]


def refusal(argv: list[str], capsys) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse refuses by exiting
        code = exit_.code if isinstance(exit_.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("command", "says"), BAD_INPUTS, ids=[c for c, _ in BAD_INPUTS])
def test_a_bad_input_is_refused_clearly_with_nothing_that_looks_like_a_result(
    command, says, capsys
):
    code, out, err = refusal(command.split(), capsys)
    assert code != 0
    assert out == ""
    assert says in err
    # argparse falls back to a type function's own name ("invalid _positive value")
    # when a conversion lets a plain ValueError out: never show a helper's name.
    assert not re.search(r"invalid \S+ value", err), err
    assert "_positive" not in err and "Traceback" not in err


def test_the_smallest_good_values_still_run(capsys):
    code, out, err = refusal("scenarios --variant fixed --events 1 --consumers 1 "
                             "--timeout 30 --json".split(), capsys)  # fmt: skip
    assert code == 0, err
    assert '"variant": "fixed"' in out
