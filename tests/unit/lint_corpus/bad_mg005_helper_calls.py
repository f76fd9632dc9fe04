# expect: MG005@11 MG005@16 MG005@20 MG005@24 MG005@32
"""A handler that calls a helper which runs the build again is the incident itself."""

import runpy

import mg005_build_loader as loader
from mg005_build_loader import AdminServiceBuild, load_build


def allocate_trainer(event):
    build = load_build(event["build"])
    return build["AllocationService"]().allocate(event)


def allocate_via_module(event):
    return loader.load_build(event["build"])


def allocate_via_object(event, build):
    return build.load_service(event["build"])  # matched by the method's name


def allocate_via_class(event):
    return AdminServiceBuild().load_service(event["build"])


class Worker:
    def _load(self, path):
        return runpy.run_path(path)  # noqa: MG002 -- the handler below is what matters

    def handle(self, event):
        return self._load(event["build"])
