# expect: MG005@16 MG005@21 MG005@25 MG005@33 MG005@41 MG005@45
"""A handler that calls a helper which runs the build again is the incident itself.

Each call here is one the lint can tell: a function imported by name or through
its module, a method of a class it can name, of `self`, or of an attribute the
class only sets from one class.
"""

import runpy

import mg005_build_loader as loader
from mg005_build_loader import AdminServiceBuild, load_build


def allocate_trainer(event):
    build = load_build(event["build"])
    return build["AllocationService"]().allocate(event)


def allocate_via_module(event):
    return loader.load_build(event["build"])


def allocate_via_class(event):
    return AdminServiceBuild().load_service(event["build"])


class Worker:
    def _load(self, path):
        return runpy.run_path(path)  # noqa: MG002 -- the handler below is what matters

    def handle(self, event):
        return self._load(event["build"])


class AllocationWorker:
    def __init__(self):
        self.build = AdminServiceBuild()

    def _service_for_this_call(self, path):
        return self.build.load_service(path)  # reached from handle() below

    def handle(self, event, attempt=1):
        service = self._service_for_this_call(event["build"])
        return load_build(event["build"]) or service
