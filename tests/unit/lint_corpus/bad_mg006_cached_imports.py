# expect: MG006@12 MG006@17 MG006@21 MG006@25 MG006@31 MG006@36
"""A cached dynamic import inside a function: nothing runs again, but the dependency
hides from the imports and the first call pays for it."""

import importlib
import importlib as il
from importlib import import_module


def allocate_trainer(event):
    """The incident's shape, in Python: the service is imported inside the handler."""
    module = importlib.import_module("modelguard.academy.services.allocation")
    return module.AllocationService().allocate(event)


async def allocate_async(event):
    module = il.import_module("modelguard.academy.services.allocation")
    return module.AllocationService().allocate(event)


load = lambda name: import_module(name)  # noqa: E731


def old_style(name):
    return __import__(name)


class Worker:
    def handle(self, event):
        """Kept in state, but by the handler: every event still asks for it."""
        self.service = importlib.import_module("modelguard.academy.services.allocation")
        return self.service

    def initialize(self):
        """A start-up function that does not keep what it imported."""
        return importlib.import_module("modelguard.academy.services.allocation")
