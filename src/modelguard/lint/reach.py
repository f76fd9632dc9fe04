"""Which functions of a set of files nothing calls: no name in the files refers to them.

A finding inside such a function describes code that does not run, so a caller
(notebook 07's check) can say so instead of failing on it. The rule is by name
and deliberately narrow, so that it only ever calls a function unused when it is:

- a function is used when its name appears (read, not defined) anywhere in the
  files outside its own body, in module code, a class body, a method, or a
  function that is itself used; a decorator, a `return inner` and a reference
  passed as a callback all count;
- methods are always taken as used: a worker's methods are called by whoever runs
  it, and an attribute call on an object of unknown type cannot be told apart.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

Function = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass
class _Def:
    node: Function
    file: str
    parent: _Def | None
    method: bool


def uncalled_functions(paths: list[Path]) -> dict[tuple[str, int], str]:
    """(file name, line) -> the function nothing calls, for every line of such a function."""
    defs: list[_Def] = []
    uses: list[tuple[str, _Def | None]] = []  # (name, the function the use stands in)
    for path in paths:
        try:
            tree = ast.parse(Path(path).read_text(), str(path))
        except (OSError, SyntaxError, ValueError):
            continue
        _walk(tree, Path(path).name, None, False, defs, uses)
    used: dict[int, bool] = {}

    def is_used(definition: _Def) -> bool:
        key = id(definition)
        if key not in used:
            used[key] = True  # a function calling itself is not a use of it; assume so first
            used[key] = definition.method or any(
                name == definition.node.name
                and where is not definition
                and not _inside(where, definition)
                and (where is None or is_used(where))
                for name, where in uses
            )
        return used[key]

    lines: dict[tuple[str, int], str] = {}
    for definition in defs:
        if not is_used(definition):
            node = definition.node
            for line in range(node.lineno, (node.end_lineno or node.lineno) + 1):
                lines[(definition.file, line)] = node.name  # the innermost wins
    return lines


def _inside(where: _Def | None, definition: _Def) -> bool:
    while where is not None:
        if where is definition:
            return True
        where = where.parent
    return False


def _walk(node: ast.AST, file: str, parent: _Def | None, in_class: bool, defs, uses) -> None:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            for outer in (*child.decorator_list, *child.args.defaults, *child.args.kw_defaults):
                if outer is not None:
                    _walk(ast.Expression(outer), file, parent, False, defs, uses)
            definition = _Def(child, file, parent, in_class)
            defs.append(definition)
            for statement in child.body:
                _walk(ast.Module([statement], []), file, definition, False, defs, uses)
        elif isinstance(child, ast.ClassDef):
            for base in (*child.bases, *child.decorator_list):
                _walk(ast.Expression(base), file, parent, False, defs, uses)
            for statement in child.body:
                _walk(ast.Module([statement], []), file, parent, True, defs, uses)
        else:
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load):
                uses.append((child.id, parent))
            elif isinstance(child, ast.Attribute):
                uses.append((child.attr, parent))
            _walk(child, file, parent, in_class, defs, uses)
