# expect: nothing
"""A helper that loads the build, called where it runs once, or where the lint
cannot tell what is called (a guess by method name is not a finding)."""

from mg005_build_loader import find_driver, load_build

BUILD = load_build("build/allocation.py")  # module level: runs once, with the module

_build = None


def initialize():
    global _build
    if _build is None:
        _build = load_build("build/allocation.py")


class Worker:
    def __init__(self, path):
        self.build = load_build(path)

    def handle(self, event):
        return find_driver("json").dumps(event)  # a cached import, reported where it is


def shadowed(load_build, event):
    return load_build("a local function, not the helper")


def allocate_via_object(event, build):
    return build.load_service(event["build"])  # `build` could be anything: not followed


class StartApp(Worker):
    def handle(self, event):
        return super().handle(event)  # a base class's handle(), not any class's


def report_once(path):
    return load_build(path)  # calls the helper, but no call or retry path reaches it
