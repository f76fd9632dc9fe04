"""Running a source file again: what the module cache normally prevents.

`import` runs a module once and caches it in `sys.modules`. Loading a file by
path (`spec_from_file_location` + `exec_module`) skips that cache and builds a
new module object every time, so every class and schema in the file is built
again. This is the Python form of the allocation worker's dynamic import, and
the notebooks and the worker's reproduction both go through `execute_file`.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

SourceTransform = Callable[[ast.Module], ast.Module]


def execute_file(
    path: str | Path,
    module_name: str,
    *,
    transform: SourceTransform | None = None,
) -> ModuleType:
    """Run `path` as a new module named `module_name`, bypassing the import cache.

    Like the recipe in the importlib docs, the new module is put in sys.modules
    under its new name (dataclasses and pickling look it up there); the file's
    usual entry, if it has one, is never consulted.

    `transform`, when given, rewrites the parsed source before it runs; the
    code keeps the file's name and line numbers, so tracebacks and compile
    sites still point at the real file.
    """
    path = Path(path).resolve()
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path} as a module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    if transform is None:
        spec.loader.exec_module(module)  # noqa: MG002 -- running a file again is this module's job
    else:
        tree = transform(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        code = compile(ast.fix_missing_locations(tree), str(path), "exec")
        exec(code, module.__dict__)  # noqa: MG002 -- running a file again is this module's job
    return module
