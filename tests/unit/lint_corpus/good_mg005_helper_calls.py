# expect: nothing
"""A helper that loads the build, called where it runs once."""

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


def shadowed(load_build):
    return load_build("a local function, not the helper")
