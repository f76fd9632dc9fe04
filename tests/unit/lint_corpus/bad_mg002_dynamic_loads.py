# expect: MG002@17 MG002@22 MG002@26 MG002@30 MG002@31 MG002@37 MG002@42 MG002@43 MG002@50
"""A dynamic load inside a handler re-runs model code on every call and retry."""

import importlib
import importlib as il
import importlib.util
import runpy
from importlib import import_module
from importlib import reload as refresh
from importlib.util import module_from_spec, spec_from_file_location

import modelguard.academy.services as services


def allocate_trainer(event):
    """The incident: the service module is imported again for every event."""
    module = importlib.import_module("modelguard.academy.services.allocation")
    return module.AllocationService().allocate(event)


async def allocate_async(event):
    module = il.import_module("modelguard.academy.services.allocation")
    return module.AllocationService().allocate(event)


load = lambda name: import_module(name)  # noqa: E731


def reload_services():
    refresh(services)
    return __import__("modelguard.academy.services")


def load_by_path(path):
    spec = spec_from_file_location("allocation", path)
    module = module_from_spec(spec)
    spec.loader.exec_module(module)  # the call that runs the file again
    return module


def run_scripts():
    runpy.run_path("scripts/seed.py")
    runpy.run_module("modelguard.academy.seed")


class Worker:
    def handle(self, event):
        spec = importlib.util.spec_from_file_location("allocation", event["path"])
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
