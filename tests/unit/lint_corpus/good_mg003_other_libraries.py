# expect: nothing
"""Names that only look like modelguard's belong to someone else."""

import importlib

from ml_toolkit import Document, model, registry

bert = model("bert", "base")
tiny = registry.model("tiny", "int8")


def handler(name):
    class Report(Document):
        pass

    return Report, importlib.util.find_spec(name)
