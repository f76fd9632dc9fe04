"""The per-file rules: MG001, MG003 and MG004 on model code, MG006 on cached
dynamic loads, and the facts the call-path rules need from every file.

Whether a load that runs module code again is MG002 (on a call or retry path)
or the opt-in MG007 depends on who calls its function, possibly from another
file. So a checked file reports its *functions* (with the reason one starts a
path, if it does), its *loads*, and its *calls* made inside functions, each
with the names the lint can tell it calls; the project pass
(`modelguard.lint.project`) joins them.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from modelguard.lint.calls import Resolver, Site
from modelguard.lint.documents import MONGOENGINE, ClassInfo, PendingClass, module_bindings
from modelguard.lint.findings import Finding
from modelguard.lint.guards import guarded_calls
from modelguard.lint.loads import KNOWN, Load, Scope, classify, scope_of, stored_at_startup
from modelguard.lint.names import aliases, dotted, module_of
from modelguard.lint.paths import entry_reason
from modelguard.lint.testcode import is_test_class, is_test_file, is_test_function

_MODEL_FUNCS = {"modelguard.model", "modelguard.registry.model"}
_DOCUMENT_BASES = set(MONGOENGINE)
_KNOWN = _MODEL_FUNCS | KNOWN | _DOCUMENT_BASES | {"modelguard.registry"}

Function = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda


@dataclass(frozen=True)
class FunctionInfo:
    """A function or method, and whether it starts a call or retry path."""

    qualname: str  # module.function or module.Class.method
    shown: str  # function or Class.method, as messages name it
    path: str
    entry: str | None  # why it starts a path (`modelguard.lint.paths`), if it does
    parent: str | None  # qualname of the function it is defined in


@dataclass(frozen=True)
class PendingLoad:
    """A load that runs module code again; its code waits for the call graph."""

    function: str  # qualname of the function whose own body makes it
    scope_name: str
    load: Load


@dataclass(frozen=True)
class Call:
    """A call made inside a function, and what the lint can tell it calls."""

    node: ast.Call
    targets: tuple[str, ...]  # qualified names it resolves to
    caller: str  # qualified name of the calling function
    exempt: bool  # made by a start-up function that keeps the result


def _name_arg(call: ast.Call) -> ast.expr | None:
    if call.args and not isinstance(call.args[0], ast.Starred):
        return call.args[0]
    return next((kw.value for kw in call.keywords if kw.arg == "name"), None)


def _has_schema(call: ast.Call) -> bool:
    positional = [arg for arg in call.args if not isinstance(arg, ast.Starred)]
    return len(positional) >= 2 or any(kw.arg == "schema" for kw in call.keywords)


def _overwrites(call: ast.Call) -> bool:
    return any(
        kw.arg == "overwrite" and isinstance(kw.value, ast.Constant) and kw.value.value is True
        for kw in call.keywords
    )


def _without_overwrite(call: ast.Call) -> str:
    """The call as the guard should write it: an overwrite would defeat the guard's point."""
    keywords = [kw for kw in call.keywords if kw.arg != "overwrite"]
    return ast.unparse(ast.Call(func=call.func, args=call.args, keywords=keywords))


class Checker(ast.NodeVisitor):
    def __init__(self, tree: ast.Module, path: str, lines: list[str]) -> None:
        self.path, self.lines = path, lines
        self.module, package = module_of(path)
        self.aliases = aliases(tree, package, _KNOWN)
        self.resolver = Resolver(tree, self.module, self.aliases)
        # what a base class or another file's import may go through: imports, and
        # module-level aliases (`Base = ProjectDocument`); only classes are judged by it
        self.exports = {**self.aliases, **module_bindings(tree, self.module, self.aliases)}
        self.tree = tree
        self._registries: set[str] | None = None  # a walk of its own, made on first use
        self.documents = set(_DOCUMENT_BASES)  # grows with document classes seen in this file
        self.top_classes: list[ClassInfo] = []  # module-level classes, for `lint.documents`
        self.pending_classes: list[PendingClass] = []  # classes in functions: MG003 or MG008
        self.test_file = is_test_file(path, self.module)
        self.test_classes: list[bool] = []  # per enclosing class: is it a test class
        self.scopes: list[Scope] = []
        # enclosing classes, innermost last, with how many functions enclose each
        self.classes: list[tuple[str, int]] = []
        self.qualnames: list[str] = []  # of the enclosing functions
        self.owner: list[str] = []  # per enclosing function: its class if a method, else ""
        self.guarded: set[int] = set()  # ids of model calls on the right of a guard
        self._behind_guards: set[int] | None = None  # guards.guarded_calls, on first use
        self.findings: list[Finding] = []
        self.functions: list[FunctionInfo] = []
        self.loads: list[PendingLoad] = []
        self.calls: list[Call] = []
        self.nested: list[set[str]] = []  # per enclosing function: names of defs in its body

    def qualname(self, node: ast.expr) -> str:
        return dotted(node, self.aliases)

    @property
    def registries(self) -> set[str]:
        """Names bound to a ModelRegistry() anywhere in the file."""
        if self._registries is None:
            self._registries = {
                target.id
                for node in ast.walk(self.tree)
                if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Call)
                if self.qualname(node.value.func).rsplit(".", 1)[-1] == "ModelRegistry"
                for target in getattr(node, "targets", [getattr(node, "target", None)])
                if isinstance(target, ast.Name)
            }
        return self._registries

    @property
    def behind_guards(self) -> set[int]:
        """Model calls inside an if/else or try/except that runs only for a missing model."""
        if self._behind_guards is None:
            self._behind_guards = guarded_calls(
                self.tree, lambda node: self.qualname(node).rsplit(".", 1)[-1] == "models"
            )
        return self._behind_guards

    def is_model_call(self, node: ast.expr) -> bool:
        if not isinstance(node, ast.Call):
            return False
        func = node.func
        if self.qualname(func) in _MODEL_FUNCS:
            return True
        return (
            isinstance(func, ast.Attribute)
            and func.attr == "model"
            and isinstance(func.value, ast.Name)
            and func.value.id in self.registries
        )

    def is_models_get(self, node: ast.expr) -> bool:
        return (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and self.qualname(node.func.value).rsplit(".", 1)[-1] == "models"
            and len(node.args) == 1
        )

    def finding(self, node: ast.expr | ast.stmt, code: str, message: str) -> Finding:
        # ast counts columns in UTF-8 bytes; editors and ruff count characters.
        line = self.lines[node.lineno - 1] if node.lineno <= len(self.lines) else ""
        col = len(line.encode()[: node.col_offset].decode(errors="replace")) + 1
        return Finding(self.path, node.lineno, col, code, message)

    def report(self, node: ast.expr | ast.stmt, code: str, message: str) -> None:
        self.findings.append(self.finding(node, code, message))

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        if isinstance(node.op, ast.Or):
            last_get: ast.Call | None = None
            for value in node.values:
                if self.is_models_get(value):
                    last_get = value  # type: ignore[assignment]
                elif last_get is not None and self.is_model_call(value):
                    self.guarded.add(id(value))
                    self.check_guard_names(last_get.args[0], _name_arg(value), value)  # type: ignore[arg-type]
        self.generic_visit(node)

    def check_guard_names(self, checked: ast.expr, compiled: ast.expr | None, at: ast.expr) -> None:
        if isinstance(checked, ast.Constant) and isinstance(compiled, ast.Constant):
            differ = checked.value != compiled.value
        else:
            differ = type(checked) is type(compiled) and ast.dump(checked) != ast.dump(compiled)
        if differ and compiled is not None:
            shown = f"checks {ast.unparse(checked)} but compiles {ast.unparse(compiled)}"
            self.report(at, "MG004", f"guard {shown}, so it never finds the model it compiles")

    def visit_Call(self, node: ast.Call) -> None:
        if not self.scopes:
            if self.is_model_call(node) and _has_schema(node) and id(node) not in self.guarded:
                if id(node) not in self.behind_guards:
                    self.report_unguarded(node)
        else:
            self.check_in_function(node, self.scopes[-1])
        self.generic_visit(node)

    def report_unguarded(self, node: ast.Call) -> None:
        name = _name_arg(node)
        shown = ast.unparse(name) if name is not None else "NAME"
        owner = node.func.value if isinstance(node.func, ast.Attribute) else None
        get = f"{ast.unparse(owner)}.models.get" if owner is not None else "models.get"
        guarded = f"`{get}({shown}) or {_without_overwrite(node)}`"
        if _overwrites(node):
            # overwrite=True trades the error for a silent replacement; say that, not the error
            consequence = (
                "with overwrite=True a second run of this module raises nothing: it compiles "
                "the model again and replaces it, and code holding the old one keeps a stale model"
            )
        else:
            consequence = "a second run of this module raises OverwriteModelError"
        self.report(
            node,
            "MG001",
            f"model {shown} registered without the guard; {consequence} (write {guarded})",
        )

    def check_in_function(self, node: ast.Call, scope: Scope) -> None:
        exempt = stored_at_startup(node, scope)
        load = classify(node, self.aliases, scope)
        if load is not None and not exempt:
            if load.reruns:  # MG002 or MG007, once the project knows who calls this function
                self.loads.append(PendingLoad(self.qualnames[-1], scope.name, load))
            else:
                where = (
                    f"start-up function {scope.name}() does not keep its result in state"
                    if scope.is_startup
                    else f"inside {scope.name}() it hides a dependency from the file's imports"
                )
                self.report(
                    node,
                    "MG006",
                    f"{load.what}; but {where}, and the first call pays for the import: "
                    "import at module level, or once in a start-up function that keeps the result",
                )
        if load is None:
            owner = self.owner[-1] if self.owner else ""
            here = Site(self.qualnames[-1], owner, self.nested[-1])
            targets = self.resolver.targets(node, scope, here)
            if targets:
                self.calls.append(Call(node, targets, self.qualnames[-1], exempt))

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        bases = tuple(name for base in node.bases for name in self.base_names(base))
        local = any(dotted(base, self.exports) in self.documents for base in node.bases)
        if local:
            self.documents.add(node.name)
        if self.scopes:  # a document or not, once every file's classes are known
            scope = self.scopes[-1]
            self.pending_classes.append(
                PendingClass(node, self.qualnames[-1], scope.name, bases, local)
            )
        elif not self.classes:
            self.top_classes.append(ClassInfo(f"{self.module}.{node.name}", bases))
        # The class body runs where the class stands (in a function, when it runs);
        # a def directly in it is a method.
        self.classes.append((node.name, len(self.scopes)))
        self.test_classes.append(is_test_class(node, self.aliases))
        self.generic_visit(node)
        self.test_classes.pop()
        self.classes.pop()

    def base_names(self, base: ast.expr) -> list[str]:
        """A base class's dotted name; a name this file neither imports nor qualifies is its
        own. A base made by a call (``six.with_metaclass(Meta, Base)``, django-mongoengine's
        ``django_meta(Meta, Flavor, me.Document)``) is a class built from its arguments."""
        if isinstance(base, ast.Call):
            return [n for arg in base.args for n in self.base_names(arg) if n]
        name = dotted(base, self.exports)
        if name and "." not in name and name not in self.exports:
            return [f"{self.module}.{name}"]
        return [name]

    def visit_function(self, node: Function) -> None:
        # Decorators, defaults and annotations run where the function is defined;
        # only the body waits for a call.
        for decorator in getattr(node, "decorator_list", []):
            self.visit(decorator)
        self.visit(node.args)
        returns = getattr(node, "returns", None)
        if returns is not None:
            self.visit(returns)
        is_method = bool(self.classes) and self.classes[-1][1] == len(self.scopes)
        is_method = is_method and not isinstance(node, ast.Lambda)
        scope = scope_of(node, self.aliases, is_method)
        if is_method:
            owner = self.classes[-1][0]
            qualname = f"{self.qualnames[-1] if self.qualnames else self.module}.{owner}"
            qualname = f"{qualname}.{scope.name}"
        else:
            qualname = f"{self.qualnames[-1] if self.qualnames else self.module}.{scope.name}"
        owner = self.classes[-1][0] if is_method else ""
        shown = f"{owner}.{scope.name}" if owner else scope.name
        parent = self.qualnames[-1] if self.qualnames else None
        tests = self.test_file or is_test_function(node, self.aliases)
        tests = tests or (is_method and self.test_classes[-1])
        entry = None if tests else entry_reason(node, is_method, self.aliases)
        self.functions.append(FunctionInfo(qualname, shown, self.path, entry, parent))
        body = node.body if isinstance(node.body, list) else [node.body]
        self.scopes.append(scope)
        self.qualnames.append(qualname)
        self.owner.append(owner)
        self.nested.append(
            {c.name for c in body if isinstance(c, ast.FunctionDef | ast.AsyncFunctionDef)}
        )
        for child in body:
            self.visit(child)
        self.nested.pop()
        self.owner.pop()
        self.qualnames.pop()
        self.scopes.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = visit_function

    # ast.NodeVisitor's own walk is most of the time on a large file; this one
    # dispatches from a table and skips leaves no rule visits (names, constants,
    # load/store markers).
    def visit(self, node: ast.AST) -> None:
        visitor = _VISITORS.get(type(node))
        if visitor is None:
            self.generic_visit(node)
        else:
            visitor(self, node)

    def generic_visit(self, node: ast.AST) -> None:
        for name in node._fields:
            value = getattr(node, name, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, ast.AST) and type(item) not in _LEAVES:
                        self.visit(item)
            elif isinstance(value, ast.AST) and type(value) not in _LEAVES:
                self.visit(value)


_LEAVES = {ast.Name, ast.Constant, ast.Load, ast.Store, ast.Del, *ast.operator.__subclasses__()}
_VISITORS: dict[type[ast.AST], Callable[[Checker, Any], None]] = {
    ast.BoolOp: Checker.visit_BoolOp,
    ast.Call: Checker.visit_Call,
    ast.ClassDef: Checker.visit_ClassDef,
    ast.FunctionDef: Checker.visit_function,
    ast.AsyncFunctionDef: Checker.visit_function,
    ast.Lambda: Checker.visit_function,
}
