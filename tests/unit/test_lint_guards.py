"""MG001 accepts every correct guard, whichever way it is written, and still reports a
compilation that a second run of the file reaches."""

from __future__ import annotations

import pytest

from modelguard.lint import check_source

HEAD = (
    "from modelguard import registry\n"
    "from modelguard.registry.errors import MissingSchemaError, OverwriteModelError\n"
    "S = None\n"
)
GUARDED = {
    "models.get or model": 'P = registry.models.get("P") or registry.model("P", S)\n',
    "if in models, else": (
        'if "P" in registry.models:\n    P = registry.models["P"]\n'
        'else:\n    P = registry.model("P", S)\n'
    ),
    "if not in models": 'if "P" not in registry.models:\n    P = registry.model("P", S)\n',
    "if models.get is None": (
        'if registry.models.get("P") is None:\n    P = registry.model("P", S)\n'
    ),
    "conditional expression": (
        'P = registry.models["P"] if "P" in registry.models else registry.model("P", S)\n'
    ),
    "try model, except MissingSchemaError": (
        'try:\n    P = registry.model("P")\nexcept MissingSchemaError:\n'
        '    P = registry.model("P", S)\n'
    ),
    "define": 'P = registry.define("P", S)\n',
    "try models[name], except KeyError": (
        'try:\n    P = registry.models["P"]\nexcept KeyError:\n    P = registry.model("P", S)\n'
    ),
    "try compile, except OverwriteModelError looks it up": (
        'try:\n    P = registry.model("P", S)\nexcept OverwriteModelError:\n'
        '    P = registry.model("P")\n'
    ),
    "if (walrus models.get) is None": (
        'if (P := registry.models.get("P")) is None:\n    P = registry.model("P", S)\n'
    ),
}
UNGUARDED = {
    "plain": 'P = registry.model("P", S)\n',
    "in the branch that runs when the model exists": (
        'if "P" in registry.models:\n    P = registry.model("P", S)\n'
    ),
    "except OverwriteModelError, nothing looked up": (
        'try:\n    P = registry.model("P", S)\nexcept OverwriteModelError:\n    pass\n'
    ),
    "except KeyError of a look-up that is not the models mapping": (
        'try:\n    P = {}["P"]\nexcept KeyError:\n    P = registry.model("P", S)\n'
    ),
    "except of another error": (
        'try:\n    P = registry.model("P")\nexcept KeyError:\n    P = registry.model("P", S)\n'
    ),
}


def codes(source: str) -> list[str]:
    return [f.code for f in check_source(HEAD + source, "models.py")]


@pytest.mark.parametrize("source", GUARDED.values(), ids=GUARDED.keys())
def test_a_correct_guard_is_not_reported(source):
    assert "MG001" not in codes(source)


@pytest.mark.parametrize("source", UNGUARDED.values(), ids=UNGUARDED.keys())
def test_a_compilation_a_second_run_reaches_is_reported(source):
    assert "MG001" in codes(source)
