"""What a call inside a function calls, when the lint can tell (rule 3 of
`modelguard.lint.paths`).

A call is followed only when its target is certain from the file alone: a
function of the module or one imported (by name or through its module),
``self.method()`` in its class, ``Class.method()`` and ``Class().method()`` on a
class the file defines or imports, ``self.attr.method()`` when the class only
ever sets ``self.attr = Class(...)`` of one class, ``Class()`` (its
``__init__``), and a function defined in the caller. A method called on an
object of unknown type is not matched by its name.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from modelguard.lint.loads import Scope
from modelguard.lint.names import dotted, root_name


@dataclass(frozen=True)
class Site:
    """Where a call is made: the calling function, its class, the defs in its body."""

    caller: str  # qualified name
    owner: str  # the class, when the caller is a method; else ""
    nested: set[str]


class Resolver:
    """Resolves the calls of one file to qualified names."""

    def __init__(self, tree: ast.Module, module: str, imported: dict[str, str]) -> None:
        self.module, self.aliases = module, imported
        self.functions = {
            node.name
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        self.class_nodes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
        # A walk of each class's methods, which most files never need: made on first use.
        self._attributes: dict[str, dict[str, str]] = {}

    def targets(self, node: ast.Call, scope: Scope, site: Site) -> tuple[str, ...]:
        """What this call calls, when the lint can tell; () when it cannot."""
        func = node.func
        if isinstance(func, ast.Name):
            return self._named(func.id, scope, site)
        if not isinstance(func, ast.Attribute):
            return ()
        base = func.value
        if isinstance(base, ast.Name) and base.id == scope.self_name and site.owner:
            return (f"{self.module}.{site.owner}.{func.attr}",)
        if (
            isinstance(base, ast.Attribute)
            and isinstance(base.value, ast.Name)
            and base.value.id == scope.self_name
            and (held := self.attribute_classes(site.owner).get(base.attr))
        ):
            return (f"{held}.{func.attr}",)
        if isinstance(base, ast.Call) and (cls := self.class_named(base.func, scope)):
            return (f"{cls}.{func.attr}",)
        if isinstance(base, ast.Name) and base.id in self.class_nodes:
            return (f"{self.module}.{base.id}.{func.attr}",)
        root = root_name(func)
        if root is not None and root in self.aliases and root not in scope.local_names:
            return (dotted(func, self.aliases),)  # module.function, through the file's imports
        return ()

    def _named(self, name: str, scope: Scope, site: Site) -> tuple[str, ...]:
        if name in site.nested:
            return (f"{site.caller}.{name}",)
        if name in scope.local_names:
            return ()
        if name in self.functions:
            return (f"{self.module}.{name}",)
        if name in self.class_nodes:
            return (f"{self.module}.{name}.__init__",)
        if name in self.aliases:  # a function, or a class whose __init__ runs
            target = self.aliases[name]
            return (target, f"{target}.__init__")
        return ()

    def class_named(self, node: ast.expr, scope: Scope) -> str | None:
        """The qualified class a name stands for, if the file defines or imports it."""
        if not isinstance(node, ast.Name) or node.id in scope.local_names:
            return None
        if node.id in self.class_nodes:
            return f"{self.module}.{node.id}"
        return self.aliases.get(node.id)

    def attribute_classes(self, owner: str) -> dict[str, str]:
        """self.attr -> the class it holds, for a top-level class of this file."""
        if owner not in self._attributes:
            node = self.class_nodes.get(owner)
            known = {**self.aliases, **{c: f"{self.module}.{c}" for c in self.class_nodes}}
            self._attributes[owner] = _attribute_classes(node, known) if node else {}
        return self._attributes[owner]


def _attribute_classes(cls: ast.ClassDef, resolve: dict[str, str]) -> dict[str, str]:
    """self.attr -> the class it holds, for attributes a class only sets from one class.

    `resolve` maps a name the file can call to the class it is (top-level
    classes of the file, and imported names). An attribute set from anything
    else, or from two classes, is left out: the lint cannot tell its type.
    """
    seen: dict[str, set[str | None]] = {}
    for method in cls.body:
        if not isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef) or not method.args.args:
            continue
        self_name = method.args.args[0].arg
        for node in ast.walk(method):
            if not isinstance(node, ast.Assign | ast.AnnAssign) or node.value is None:
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if not (
                    isinstance(target, ast.Attribute)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == self_name
                ):
                    continue
                value = node.value
                holds = None
                if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
                    holds = resolve.get(value.func.id)
                seen.setdefault(target.attr, set()).add(holds)
    known: dict[str, str] = {}
    for attr, classes in seen.items():
        only = next(iter(classes))
        if len(classes) == 1 and only is not None:
            known[attr] = only
    return known
