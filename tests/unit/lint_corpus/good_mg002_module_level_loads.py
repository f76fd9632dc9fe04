# expect: nothing
"""Loading a module at import time runs it once per process, which is fine."""

import importlib
import importlib.util
import runpy

plugins = importlib.import_module("json")
plugins = importlib.reload(plugins)
settings = runpy.run_module("this")
spec = importlib.util.spec_from_file_location("helpers", "helpers.py")
helpers = importlib.util.module_from_spec(spec)
spec.loader.exec_module(helpers)


def handler(event, service=importlib.import_module("json")):
    """A default argument is evaluated once, where the function is defined."""
    import json  # an ordinary import is cached in sys.modules

    return service.dumps(event) == json.dumps(event)
