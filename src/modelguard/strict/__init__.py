"""Strict mode for plain mongoengine: the lab's diagnosis without rewriting any model.

    import modelguard.strict
    modelguard.strict.enable()          # or enable(action="warn"), at start-up

After it, a `Document` class statement that registers a name again because its
file ran a second time (a reload, a load by path, the same file under two module
names) raises `OverwriteModelError` with the registry's notes, instead of
silently replacing the first class; `enable(across_files=True)` also refuses a
name that a different file registered. `mode` decides what counts, `sites` where
a class statement runs (through any metaclass wrapping mongoengine's);
`overwriting()` is the deliberate escape. Tested on mongoengine 0.27.0, 0.28.2
and 0.29.3, and on django-mongoengine 0.5.6.
"""

from modelguard.strict.mode import (
    ACTIONS,
    RedefinedDocumentWarning,
    action,
    disable,
    enable,
    enabled,
    overwriting,
)

__all__ = [
    "ACTIONS",
    "RedefinedDocumentWarning",
    "action",
    "disable",
    "enable",
    "enabled",
    "overwriting",
]
