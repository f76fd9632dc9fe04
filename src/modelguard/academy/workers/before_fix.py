"""Reproduction only: the platform's model files as they were before the fix.

Before the fix every model file registered with a bare
`registry.model(NAME, Schema)`. Rather than keep a second copy of sixteen
files, `strip_guard` removes the guard from the real files' syntax tree as
they are loaded, so "before" and "after" differ by exactly the guard and
nothing else. Do not copy this pattern into services.
"""

from __future__ import annotations

import ast


class _GuardRemover(ast.NodeTransformer):
    """`models.get(N) or model(N, S)` becomes `model(N, S)`."""

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.op, ast.Or) and len(node.values) == 2 and _is_models_get(node.values[0]):
            return node.values[1]
        return node


def _is_models_get(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and isinstance(node.func.value, ast.Attribute | ast.Name)
        and (getattr(node.func.value, "attr", None) or getattr(node.func.value, "id", ""))
        == "models"
    )


def strip_guard(tree: ast.Module) -> ast.Module:
    """The module as it was written before the fix: every guarded registration made bare."""
    return _GuardRemover().visit(tree)
