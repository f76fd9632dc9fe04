"""Micro-benchmarks: the guard's hit against a plain dict get, and `define()` on a known model.

It decides how their noise is kept down: the candidates are interleaved, and
each keeps the fastest of several repeats (the run least disturbed by the
machine).
"""

from __future__ import annotations

import copy
import timeit

from modelguard import ModelRegistry
from modelguard.lab.bench.shapes import Micro


def micro(repeat: int = 11) -> Micro:
    """The guard's hit against a dict get, and define() on a known model."""
    # Here, not at the top: the import registers User in the process registry, which only
    # a run of the benchmark should do, not an import of it.
    from modelguard.academy.models.shared.user import UserSchema

    registry = ModelRegistry()
    name = "BenchUser"
    model = registry.model(name, UserSchema)
    scope = {
        "registry": registry,
        "plain": {name: model},
        "name": name,
        "schema": UserSchema,
        "equal": copy.deepcopy(UserSchema),  # another object, the same structure
    }
    try:
        ns = _interleaved(
            {
                "guard": timeit.Timer(
                    "registry.models.get(name) or registry.model(name, schema)", globals=scope
                ),
                "dict": timeit.Timer("plain.get(name)", globals=scope),
                "define_equal": timeit.Timer("registry.define(name, equal)", globals=scope),
                "define_same": timeit.Timer("registry.define(name, schema)", globals=scope),
            },
            repeat,
        )
    finally:
        registry.reset()
    return Micro(
        guard_access_ns=round(ns["guard"], 1),
        dict_get_ns=round(ns["dict"], 1),
        guard_access_ratio=round(ns["guard"] / ns["dict"], 2),
        define_hit_ns=round(ns["define_equal"]),
        define_hit_identical_ns=round(ns["define_same"]),
    )


def _interleaved(timers: dict[str, timeit.Timer], repeat: int) -> dict[str, float]:
    """Nanoseconds per call of each timer: the fastest of `repeat` interleaved rounds."""
    # autorange() finds a count that takes 0.2 s; many shorter rounds give a busy machine
    # more chances to leave one of them alone.
    numbers = {name: max(1, timer.autorange()[0] // 4) for name, timer in timers.items()}
    best = dict.fromkeys(timers, float("inf"))
    for _ in range(repeat):
        for name, timer in timers.items():
            best[name] = min(best[name], timer.timeit(numbers[name]) / numbers[name])
    return {name: seconds * 1e9 for name, seconds in best.items()}
