# expect: nothing
"""What looks like a load but runs no file again, and loads that run once."""

import importlib
import importlib.util
import sys
from importlib.util import module_from_spec, spec_from_file_location

_build = None


def find_build(path):
    """A spec only describes the file; nothing runs until exec_module."""
    return spec_from_file_location("allocation", path)


def evaluate(expression, names):
    """exec and eval of a literal snippet run no file."""
    exec("total = 0", names)
    return eval("1 + 1")


def is_loaded(name):
    return sys.modules.get(name) is not None


def initialize(path):
    """The initialize-once fix, by path: run the file once, keep the module."""
    global _build
    if _build is None:
        spec = spec_from_file_location("allocation", path)
        module = module_from_spec(spec)
        spec.loader.exec_module(module)
        _build = module


class Plugins:
    def __init__(self, path):
        spec = importlib.util.spec_from_file_location("plugin", path)
        self.plugin = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self.plugin)
