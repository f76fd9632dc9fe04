"""What the core needs and what only the lab does, and the one-line refusal when the lab is missing.

`pip install modelguard` gives the tools a team adopts: the registry, strict mode,
the pytest plugin and the lint, on mongoengine and PyMongo alone. The lab (the
worker, its brokers, the experiments, their metrics, figures and progress bars,
and mongomock as the embedded database) needs the ``lab`` extra. Each lab package
calls `require_lab()` when it is imported, so a bare install fails there with one
line naming the extra and what is missing, instead of a traceback deep inside.
"""

from __future__ import annotations

import importlib.util

EXTRA = "lab"
INSTALL = f"pip install 'modelguard[{EXTRA}]'"
# module imported -> the distribution that provides it, as pyproject.toml's lab extra names it
LAB_MODULES = {
    "kafka": "kafka-python",
    "matplotlib": "matplotlib",
    "mongomock": "mongomock",
    "prometheus_client": "prometheus-client",
    "tenacity": "tenacity",
    "tqdm": "tqdm",
}


class LabExtraMissing(ModuleNotFoundError):
    """A lab module was imported where the lab extra is not installed."""


def missing(modules: dict[str, str] = LAB_MODULES) -> list[str]:
    """The distributions of `modules` that are not installed."""
    return [dist for module, dist in modules.items() if importlib.util.find_spec(module) is None]


def require_lab(part: str) -> None:
    """Raise `LabExtraMissing` unless everything the lab imports is installed."""
    absent = missing()
    if absent:
        raise LabExtraMissing(
            f"{part} is part of the lab and needs the {EXTRA!r} extra: {INSTALL} "
            f"(missing: {', '.join(absent)})",
            name=part,
        )
