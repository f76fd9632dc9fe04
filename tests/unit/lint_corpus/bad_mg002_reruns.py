# expect: MG002@19 MG002@24 MG002@31 MG002@36 MG002@37 MG002@41 MG002@43 MG002@44 MG002@49 MG002@54 MG002@59 MG002@62
"""Loads that run a file's code again, inside a function: every call and retry pays."""

import importlib
import importlib as il
import importlib.util
import runpy
import sys
from importlib import import_module
from importlib import reload as refresh
from importlib.util import module_from_spec, spec_from_file_location

import modelguard.academy.services as services


def load_by_path(path):
    spec = spec_from_file_location("allocation", path)
    module = module_from_spec(spec)
    spec.loader.exec_module(module)  # the call that runs the file again
    return module


async def reload_services():
    return refresh(services)


class Worker:
    def handle(self, event):
        spec = importlib.util.find_spec("modelguard.academy.services.allocation")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)  # any spec: exec_module never consults sys.modules
        return module.AllocationService().allocate(event)


def run_scripts():
    runpy.run_path("scripts/seed.py")
    runpy.run_module("modelguard.lab.seed")


def exec_the_build(source, path, namespace):
    exec(compile(source, path, "exec"), namespace)
    code = compile(source, path, "exec")
    exec(code, namespace)
    return eval(compile("AllocationService", path, "eval"), namespace)


def exec_a_file(path):
    with open(path) as handle:
        exec(handle.read(), {})


def import_afresh(name):
    sys.modules.pop(name, None)
    return il.import_module(name)


def import_afresh_by_del():
    del sys.modules["modelguard.academy.services.allocation"]
    return __import__("modelguard.academy.services.allocation")


reload_all = lambda: importlib.reload(services)  # noqa: E731
