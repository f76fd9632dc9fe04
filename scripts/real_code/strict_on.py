"""A pytest plugin that turns strict mode on, in error mode, before any test module is imported."""

from __future__ import annotations

import modelguard.strict


def pytest_configure(config) -> None:
    modelguard.strict.enable()
