"""Static check that model code runs once per process (``modelguard lint``).

The incident behind this lab had two causes: model files registered without a
guard, and a handler that loaded its service's build again on every retry. Each
rule catches one of them before it ships.

MG000  The file cannot be read or parsed, or the path does not exist, so nothing
       in it was checked. The other paths are still checked.
MG001  A model compiled at import time without the guard. A second run of the
       module (reload, load by path, double import) builds a new schema object,
       and ``model(name, schema)`` raises OverwriteModelError; with
       ``overwrite=True`` it raises nothing and silently replaces the model, so
       code holding the old one keeps a stale model. The suggested guard drops
       the ``overwrite``. Accepted forms:
       ``<r>.models.get(NAME) or <r>.model(NAME, schema)``, ``define(...)``,
       the one-argument lookup ``model(NAME)``, the call in the branch of
       ``if NAME in <r>.models`` (or ``not in``, or ``models.get(NAME) is None``)
       that runs only for a missing model, and the call in a handler of
       ``except MissingSchemaError`` (`modelguard.lint.guards`). Module level includes
       if/try/with blocks, class bodies and comprehensions; calls inside a
       function are not judged, since whether they re-run depends on the caller.
MG002  Module code run again in a function on a call or retry path:
       ``importlib.reload``; ``exec_module`` (the call reported, however the
       spec was made, e.g. by ``spec_from_file_location``), ``load_module`` and
       ``imp.load_source``; ``runpy.run_path``/``run_module``; ``exec``/``eval``
       of compiled source (``compile(...)`` or text read from a file); and
       ``import_module``/``__import__`` in a function that also deletes from
       ``sys.modules``. A function is on a call or retry path when it takes a
       unit of work (a parameter named ``event``, ``message``, ``request``,
       ``attempt`` ...), is decorated as retried, or is reached from such a
       function by calls the lint can tell; `modelguard.lint.paths` has the
       rule in full. The message says what runs again and why the function is
       on the path.
MG003  A mongoengine document class defined inside a function on a call or
       retry path: mongoengine silently replaces the registered class on each
       call, and objects of the old class stop matching ``isinstance``. A
       document is a class derived, through the checked files' imports and
       re-exports, from mongoengine's ``Document``, ``DynamicDocument`` or the
       embedded variants, or from a project's own base built on them
       (`modelguard.lint.documents`).
MG004  A guard whose two names differ, so it never finds what it compiles.
       Two constants are compared by value. Other expressions are flagged only
       when both have the same node type and differ (``ast.dump``); a constant
       against a variable is not judged, as the lint cannot know its value.
MG005  A call, in a function on a call or retry path, to a function in any of
       the files checked whose own body runs module code again (an MG002
       load, reported or excused). Only calls the lint can tell are followed;
       a method called on an object of unknown type is not matched by its
       name. Excusing the helper's line does not excuse its callers.
MG006  (opt-in) ``import_module``/``__import__`` inside a function that only
       reads the ``sys.modules`` cache: nothing runs again, but the dependency
       is hidden and the first call pays for the import.
MG007  (opt-in) An MG002 load in a function no call or retry path reaches: it
       runs when its caller decides, usually once. A ``noqa: MG002`` excuses it.
MG008  (opt-in) An MG003 document class in a function no call or retry path
       reaches: a test, a fixture, or a helper only they call. Test code never
       starts a path (`modelguard.lint.testcode`). A ``noqa: MG003`` excuses it.

A default run reports every code but the opt-in ones (``DEFAULT``); ``--select``
names others, or ``ALL``.

Not reported: loads at module level (they run once, with the module), and the
initialize-once fix: a load in a start-up function (``__init__``,
``initialize``, ``setup``, ``start`` and the like; see ``loads.STARTUP_FUNCTIONS``)
whose result ends up in instance, class or module state.

Names are resolved through the file's imports (``import modelguard as mg``,
``from modelguard import model as m``, relative imports inside a package).
A registry instance is any name assigned from a ``ModelRegistry()`` call.
"""

from modelguard.lint.findings import DEFAULT, OPT_IN, RULES, Finding, Suppressed
from modelguard.lint.project import (
    Report,
    check_paths,
    check_source,
    iter_python_files,
    lint_paths,
    lint_source,
)

__all__ = [
    "DEFAULT",
    "OPT_IN",
    "RULES",
    "Finding",
    "Report",
    "Suppressed",
    "check_paths",
    "check_source",
    "iter_python_files",
    "lint_paths",
    "lint_source",
]
