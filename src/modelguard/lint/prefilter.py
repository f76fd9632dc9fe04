"""Which files need the rules' full walk, decided from their text.

Walking a file's tree is most of the lint's time, and in a large project few
files hold anything a rule looks for. A file is walked when its text has a
word some selected rule starts from (`needs_rules`), or when it calls, by name, a
function from which a load that runs module code again can be reached
(`calls_any`). Both tests are sound, not guesses: every call the lint can
resolve spells the called function's name followed by ``(`` (``Class(`` for
``Class.__init__``), and every load, model registration and document class
spells one of the words below, aliases and star imports included (they name
the imported thing on their import line). Every file is still parsed, so one
that does not parse is an MG000 finding whether or not it is walked.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path

# Loads that may run module code again (MG002, MG005, MG007), and document classes (MG003).
_RERUNS = (
    "reload",
    "exec",
    "eval",
    "exec_module",
    "load_module",
    "load_source",
    "load_package",
    "run_path",
    "run_module",
    "Document",
    "MongoEngine",  # Flask-MongoEngine's instance, whose `db.Document` is a document base
)
# import_module runs code again only after a deletion from sys.modules (else it is MG006).
_IMPORTS = ("import_module", "__import__")
# Model registration and its guard (MG001, MG004): a call spelled `model(`, resolved
# through an import of modelguard, a ModelRegistry, or a relative import inside it.
_MODEL_CALL = re.compile(r"\bmodel\s*\(")


def _spelled(source: str, words: Iterable[str]) -> bool:
    """Any of `words` in the text as a whole word (str.find is much faster than re here)."""
    for word in words:
        at = source.find(word)
        while at != -1:
            end = at + len(word)
            before = source[at - 1] if at else " "
            after = source[end] if end < len(source) else " "
            if not (before.isalnum() or before == "_" or after.isalnum() or after == "_"):
                return True
            at = source.find(word, end)
    return False


def needs_rules(source: str, path: str, codes: Collection[str]) -> bool:
    """The file spells something a per-file rule among `codes` starts from."""
    if _spelled(source, _RERUNS):
        return True
    if _spelled(source, _IMPORTS) and ("MG006" in codes or _spelled(source, ("modules",))):
        return True
    in_modelguard = "modelguard" in Path(path).parts or _spelled(
        source, ("modelguard", "ModelRegistry")
    )
    return in_modelguard and _MODEL_CALL.search(source) is not None


def called_names(loading: Iterable[str], edges: Mapping[str, Iterable[str]]) -> set[str]:
    """The names a caller spells to reach any function in `loading`, directly or not.

    `loading` holds the qualified names of functions whose own body runs module
    code again; `edges` maps a function to what it calls or defines. The names
    are those of every function from which one of them can be reached.
    """
    callers: dict[str, set[str]] = {}
    for caller, callees in edges.items():
        for callee in callees:
            callers.setdefault(callee, set()).add(caller)
    seen = set(loading)
    stack = list(seen)
    while stack:
        for caller in callers.get(stack.pop(), ()):
            if caller not in seen:
                seen.add(caller)
                stack.append(caller)
    names = set()
    for qualname in seen:
        parts = qualname.split(".")
        name = parts[-2] if parts[-1] == "__init__" and len(parts) > 1 else parts[-1]
        if name.isidentifier():  # a lambda has no name to call it by
            names.add(name)
    return names


def calls_any(names: Iterable[str]) -> re.Pattern[str]:
    """A pattern that finds a call to any of `names` in a file's text."""
    alternatives = "|".join(re.escape(name) for name in sorted(names))
    return re.compile(rf"\b(?:{alternatives})\s*\(")
