"""Statement guards for MG001: model calls that run only when the model is not compiled yet.

The checker recognises `models.get(NAME) or model(NAME, schema)` itself, as an
expression. These are the other correct guards, decided by where the call stands:

- `if NAME in <r>.models: ... else: model(NAME, schema)`, and the call in the body of
  `if NAME not in <r>.models:`, `if <r>.models.get(NAME) is None:` or
  `if not <r>.models.get(NAME):`; the same as a conditional expression;
- `try: model(NAME)` with the schema-less look-up, and the compilation in a handler of
  `except MissingSchemaError:`, which the registry raises when the name is unknown;
- `try: <r>.models[NAME]`, and the compilation in a handler of `except KeyError:` (or
  `LookupError`), which the mapping raises when the name is unknown;
- `try: model(NAME, schema)` with a handler of `except OverwriteModelError:` that looks the
  model up: the error a second run raises is the one caught, and the handler answers it;
- a test that binds the look-up as it makes it: `if (P := <r>.models.get(NAME)) is None:`.

A call anywhere under the guarded branch counts. Whether the names agree is MG004's
business, not this module's.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

IsModels = Callable[[ast.expr], bool]  # is this expression a registry's `models` mapping?


def guarded_calls(tree: ast.Module, is_models: IsModels) -> set[int]:
    """Ids of the `ast.Call` nodes that stand where only a missing model lets them run."""
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If | ast.IfExp):
            branch = _missing_branch(node.test, is_models)
            if branch == "body":
                parts = node.body if isinstance(node.body, list) else [node.body]
            elif branch == "orelse":
                parts = node.orelse if isinstance(node.orelse, list) else [node.orelse]
            else:
                continue
            guarded |= _calls_in(parts)
        elif isinstance(node, ast.Try | ast.TryStar):
            looks_up = _subscripts_models(node.body, is_models)
            for handler in node.handlers:
                if _catches(handler.type, ("MissingSchemaError",)) or (
                    looks_up and _catches(handler.type, ("KeyError", "LookupError"))
                ):
                    guarded |= _calls_in(handler.body)
                elif _catches(handler.type, ("OverwriteModelError",)) and _calls_in(handler.body):
                    guarded |= _calls_in(node.body)
    return guarded


def _missing_branch(test: ast.expr, is_models: IsModels) -> str:
    """Which branch of a test runs when the model is missing: "body", "orelse" or ""."""
    if isinstance(test, ast.NamedExpr):  # `(P := models.get(NAME))` tests what it binds
        return _missing_branch(test.value, is_models)
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        op, right = test.ops[0], test.comparators[0]
        if isinstance(op, ast.In | ast.NotIn) and is_models(right):
            return "body" if isinstance(op, ast.NotIn) else "orelse"
        left = test.left.value if isinstance(test.left, ast.NamedExpr) else test.left
        if isinstance(op, ast.Is | ast.IsNot) and _is_get(left, is_models):
            if isinstance(right, ast.Constant) and right.value is None:
                return "body" if isinstance(op, ast.Is) else "orelse"
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _missing_branch(test.operand, is_models)
        if inner:
            return {"body": "orelse", "orelse": "body"}[inner]
        if _is_get(test.operand, is_models):
            return "body"
    if _is_get(test, is_models):
        return "orelse"
    return ""


def _is_get(node: ast.expr, is_models: IsModels) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and is_models(node.func.value)
    )


def _catches(kind: ast.expr | None, names: tuple[str, ...]) -> bool:
    if isinstance(kind, ast.Tuple):
        return any(_catches(item, names) for item in kind.elts)
    if isinstance(kind, ast.Name):
        return kind.id in names
    return isinstance(kind, ast.Attribute) and kind.attr in names


def _subscripts_models(statements: list, is_models: IsModels) -> bool:
    """Does this code read `<r>.models[...]`, which raises KeyError for a missing model?"""
    return any(
        isinstance(node, ast.Subscript) and is_models(node.value)
        for part in statements
        for node in ast.walk(part)
    )


def _calls_in(statements: list) -> set[int]:
    return {
        id(node) for part in statements for node in ast.walk(part) if isinstance(node, ast.Call)
    }
