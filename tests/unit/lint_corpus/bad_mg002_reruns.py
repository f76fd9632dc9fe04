# expect: MG002@25 MG002@30 MG002@37 MG002@42 MG002@43 MG002@48 MG002@50 MG002@51 MG002@56 MG002@61 MG002@66 MG002@69 MG002@78 MG002@87 MG002@100 MG002@104
"""Loads that run a file's code again on a call or retry path: every event and retry pays.

Each function here starts a path by its parameters or decorators, the rule in
`modelguard.lint.paths`: it takes a unit of work, or it is retried.
"""

import functools
import importlib
import importlib as il
import importlib.util
import runpy
import sys
from importlib import import_module
from importlib import reload as refresh
from importlib.util import module_from_spec, spec_from_file_location

import modelguard.academy.services as services
from tenacity import retry, stop_after_attempt


def load_by_path(event):
    spec = spec_from_file_location("allocation", event["build"])
    module = module_from_spec(spec)
    spec.loader.exec_module(module)  # the call that runs the file again
    return module


async def reload_services(message):
    return refresh(services)


class Worker:
    def handle(self, event):
        spec = importlib.util.find_spec("modelguard.academy.services.allocation")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)  # any spec: exec_module never consults sys.modules
        return module.AllocationService().allocate(event)


def run_scripts(attempt):
    runpy.run_path("scripts/seed.py")
    runpy.run_module("modelguard.lab.seed")


@retry(stop=stop_after_attempt(5))
def exec_the_build(source, path, namespace):
    exec(compile(source, path, "exec"), namespace)
    code = compile(source, path, "exec")
    exec(code, namespace)
    return eval(compile("AllocationService", path, "eval"), namespace)


def exec_a_file(path, record):
    with open(path) as handle:
        exec(handle.read(), {})


def import_afresh(name, *, payload):
    sys.modules.pop(name, None)
    return il.import_module(name)


def import_afresh_by_del(purchase: "PurchaseEvent"):
    del sys.modules["modelguard.academy.services.allocation"]
    return __import__("modelguard.academy.services.allocation")


reload_all = lambda event: importlib.reload(services)  # noqa: E731


def fresh_service_on_retry(handler):
    """The exercise's shipped bug: a decorator that reloads the service on a retry."""

    @functools.wraps(handler)
    def retry_with_a_fresh_service(worker, event, attempt=1):
        if attempt > 1:
            importlib.reload(services)
        return handler(worker, event, attempt)

    return retry_with_a_fresh_service


class Consumer:
    @fresh_service_on_retry
    def deliver(self, item):
        return importlib.reload(services)  # retried: the decorator's name says so


class App:
    def task(self, function):
        return function


app = App()


@app.task
def rebuild_report(report_id):
    return runpy.run_path("reports/build.py")  # a task runs once per message


def on_delivery(evt):
    return importlib.reload(services)
