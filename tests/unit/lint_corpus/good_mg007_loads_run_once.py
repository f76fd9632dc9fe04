# expect: nothing
"""Loads that run once: at module level, or in a start-up function that keeps the result."""

import importlib
import runpy

import modelguard.academy.services as services

SEED = runpy.run_path("scripts/seed.py")  # module level: runs once, with the module

_build = None


def initialize():
    global _build
    if _build is None:
        _build = runpy.run_path("build/allocation.py")


class Worker:
    def setup(self):
        self.services = importlib.reload(services)
