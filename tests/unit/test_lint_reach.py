"""`lint.reach` calls a function unused only when no name in the files refers to it."""

from __future__ import annotations

from modelguard.lint.reach import uncalled_functions

SOURCE = """\
import functools


def decorator(handler):
    @functools.wraps(handler)
    def wrapped(*args):
        return handler(*args)

    return wrapped


def kept_but_unused(handler):
    def inner(*args):
        return handler(*args)

    return inner


def callback():
    return 1


def recursive():
    return recursive()


class Worker:
    @decorator
    def handle(self, event):
        return callback

    def initialize(self):
        pass
"""


def test_only_functions_nothing_refers_to_are_uncalled(tmp_path):
    path = tmp_path / "worker.py"
    path.write_text(SOURCE)
    uncalled = uncalled_functions([path])
    assert sorted(set(uncalled.values())) == ["inner", "kept_but_unused", "recursive"]
    assert uncalled[("worker.py", 14)] == "inner"  # a line of the inner function's body
    assert ("worker.py", 6) not in uncalled  # the used decorator's inner function
