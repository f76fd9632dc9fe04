# expect: nothing
"""Helpers that load the build; their own loads are excused here, not at their callers."""

import importlib
import runpy


def load_build(path):
    return runpy.run_path(path)  # noqa: MG002 -- this helper's job; its callers are judged


def find_driver(name):
    """Only a cached import: callers are not reported (MG006 is reported here)."""
    return importlib.import_module(name)  # noqa: MG006 -- a lookup table of drivers


class AdminServiceBuild:
    def load_service(self, path):
        namespace = runpy.run_path(path)  # noqa: MG002 -- this helper's job
        return namespace["AllocationService"]()
