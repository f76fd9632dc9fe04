# expect: MG007@18 MG007@38 MG006@48 MG007@50 MG007@56
"""Loads that run module code again in functions no call or retry path reaches.

These shapes are from well-known libraries (a management command's shell, a
migration loader, a test plugin's bootstrap): each runs when its caller decides,
usually once per process. MG007 is opt-in, so a default run stays quiet here.
"""

import importlib.util
import os
import sys
from importlib import import_module, reload


def load_file_as_module(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join("plugin", f"{name}.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


if "pytest" in sys.modules:
    sys.modules["sqla_plugin_base"] = load_file_as_module("plugin_base")  # module level: once


class Command:
    def handle(self, *args, **options):
        if options["command"]:
            exec(options["command"], globals())  # text from the command line: not a load
            return
        exec(sys.stdin.read(), globals())  # piped in by the user: not a load either

    def python(self, options):
        imported_objects = {}
        for pythonrc in (os.environ.get("PYTHONSTARTUP"), os.path.expanduser("~/.pythonrc.py")):
            with open(pythonrc) as handle:
                pythonrc_code = handle.read()
            exec(compile(pythonrc_code, pythonrc, "exec"), imported_objects)


class MigrationLoader:
    def __init__(self, connection):
        self.connection = connection
        self.build_graph()

    def load_disk(self):
        was_loaded = "app.migrations" in sys.modules
        module = import_module("app.migrations")
        if was_loaded:
            reload(module)  # tests need this

    def build_graph(self):
        self.load_disk()

    def reload_hooks(self):
        return reload(sys.modules["app.hooks"])
