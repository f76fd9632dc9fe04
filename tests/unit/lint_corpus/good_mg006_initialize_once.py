# expect: nothing
"""The incident's fix: import the service once at start-up and keep it."""

import importlib

_service = None
_drivers = {}


def initialize():
    """The fixed worker's initialize(): load once behind an `is None` check."""
    global _service
    if _service is None:
        module = importlib.import_module("modelguard.academy.services.allocation")
        service_class = module.AllocationService
        _service = service_class()


def start(names):
    for name in names:
        _drivers[name] = importlib.import_module(name)


class Worker:
    def __init__(self, module_name):
        self.module = importlib.import_module(module_name)

    def setup(self):
        services = importlib.import_module("modelguard.academy.services.allocation")
        self.service = services.AllocationService()

    def handle(self, event):
        return self.service.allocate(event)
