"""Which functions are test code, and so never start a call or retry path.

A test suite defines throwaway documents and reloads modules in its tests and
fixtures on purpose, and a fixture takes pytest's ``request``: by the name
alone it would look like a handler. Test code runs when the test runner
decides, once per test, not once per event or retry, so it is not an entry of
a path (`modelguard.lint.paths`). What counts:

- every function in a test file: ``test_*.py``, ``*_test.py``, ``tests.py``
  (Django's) and ``conftest.py``, as pytest and unittest discover them, and
  in any module of a package named ``tests`` or ``test`` (a folder with an
  ``__init__.py``): the suite's helpers and factories, which a fixture calls
  with its ``request``;
- anywhere, a function named ``test_...``, a function decorated as a fixture
  (a decorator whose last name is ``fixture``: ``pytest.fixture``,
  ``pytest_asyncio.fixture``), and a method of a test class (a class named
  ``Test...`` or ``...Test``/``...Tests``, or with a base whose name ends in
  ``TestCase``).

A helper that only tests call is reached from no entry, so it is off every path
too; a helper a handler also calls is on the handler's path as before.
"""

from __future__ import annotations

import ast
import re
from pathlib import PurePath

from modelguard.lint.names import dotted

_TEST_FILE = re.compile(r"(test_.*|.*_test|tests|conftest)\.py")
_TEST_CLASS = re.compile(r"Test.*|.*Tests?")
_TEST_PACKAGES = frozenset({"tests", "test"})


def is_test_file(path: str, module: str = "") -> bool:
    """A file test runners collect, or any module of a test package (`module`'s dotted
    name has a package ``tests`` or ``test``): its helpers and factories, which fixtures
    call with pytest's ``request``."""
    if _TEST_FILE.fullmatch(PurePath(path).name) is not None:
        return True
    return not _TEST_PACKAGES.isdisjoint(module.split(".")[:-1])


def is_test_class(node: ast.ClassDef, imported: dict[str, str]) -> bool:
    if _TEST_CLASS.fullmatch(node.name):
        return True
    return any(dotted(base, imported).endswith("TestCase") for base in node.bases)


def is_test_function(node: ast.AST, imported: dict[str, str]) -> bool:
    """A test or a fixture, by its own name or decorators."""
    if isinstance(node, ast.Lambda):
        return False
    name = getattr(node, "name", "")
    if name == "test" or name.startswith("test_"):
        return True
    for decorator in getattr(node, "decorator_list", []):
        called = decorator.func if isinstance(decorator, ast.Call) else decorator
        if dotted(called, imported).rsplit(".", 1)[-1] == "fixture":
            return True
    return False
