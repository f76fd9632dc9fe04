"""The per-file rules: MG001, MG003 and MG004 on model code, MG002 and MG006 on
dynamic loads, and the facts MG005 needs from every file.

MG005 spans files, so a checked file also reports its *helpers* (functions whose
own body runs module code again, however that line is suppressed) and its
*calls* made inside functions, each with the names it may resolve to. The
project pass (`modelguard.lint.project`) joins the two.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from modelguard.lint.findings import Finding
from modelguard.lint.loads import KNOWN, Load, Scope, classify, scope_of, stored_at_startup
from modelguard.lint.names import aliases, dotted, module_of, root_name

_MODEL_FUNCS = {"modelguard.model", "modelguard.registry.model"}
_DOCUMENTS = ("Document", "DynamicDocument", "EmbeddedDocument", "DynamicEmbeddedDocument")
_DOCUMENT_BASES = {f"mongoengine{sub}.{name}" for sub in ("", ".document") for name in _DOCUMENTS}
_KNOWN = _MODEL_FUNCS | KNOWN | _DOCUMENT_BASES | {"modelguard.registry"}

Function = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda


@dataclass(frozen=True)
class Helper:
    """A function whose own body runs module code again: calling it repeats that."""

    qualname: str  # module.function or module.Class.method
    method: str | None  # the method's name, when it is one
    path: str
    load: Load


@dataclass(frozen=True)
class Call:
    """A call made inside a function, and what it may call."""

    node: ast.Call
    targets: tuple[str, ...]  # qualified names it resolves to
    method: str | None  # obj.NAME(...) on an object the lint cannot type
    caller: str  # qualified name of the calling function
    exempt: bool  # made by a start-up function that keeps the result


def _name_arg(call: ast.Call) -> ast.expr | None:
    if call.args and not isinstance(call.args[0], ast.Starred):
        return call.args[0]
    return next((kw.value for kw in call.keywords if kw.arg == "name"), None)


def _has_schema(call: ast.Call) -> bool:
    positional = [arg for arg in call.args if not isinstance(arg, ast.Starred)]
    return len(positional) >= 2 or any(kw.arg == "schema" for kw in call.keywords)


class Checker(ast.NodeVisitor):
    def __init__(self, tree: ast.Module, path: str, lines: list[str]) -> None:
        self.path, self.lines = path, lines
        self.module, package = module_of(path)
        self.aliases = aliases(tree, package, _KNOWN)
        self.top_functions = {
            node.name
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        self.top_classes = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
        self.registries = {  # names bound to a ModelRegistry() anywhere in the file
            target.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Call)
            if self.qualname(node.value.func).rsplit(".", 1)[-1] == "ModelRegistry"
            for target in getattr(node, "targets", [getattr(node, "target", None)])
            if isinstance(target, ast.Name)
        }
        self.documents = set(_DOCUMENT_BASES)  # grows with document classes seen in this file
        self.scopes: list[Scope] = []
        # enclosing classes, innermost last, with how many functions enclose each
        self.classes: list[tuple[str, int]] = []
        self.qualnames: list[str] = []  # of the enclosing functions
        self.owner: list[str] = []  # per enclosing function: its class if a method, else ""
        self.guarded: set[int] = set()  # ids of model calls on the right of a guard
        self.findings: list[Finding] = []
        self.helpers: list[Helper] = []
        self.calls: list[Call] = []

    def qualname(self, node: ast.expr) -> str:
        return dotted(node, self.aliases)

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
                self.report_unguarded(node)
        else:
            self.check_in_function(node, self.scopes[-1])
        self.generic_visit(node)

    def report_unguarded(self, node: ast.Call) -> None:
        name = _name_arg(node)
        shown = ast.unparse(name) if name is not None else "NAME"
        owner = node.func.value if isinstance(node.func, ast.Attribute) else None
        get = f"{ast.unparse(owner)}.models.get" if owner is not None else "models.get"
        self.report(
            node,
            "MG001",
            f"model {shown} registered without the guard; a second run of this module "
            f"raises OverwriteModelError (write `{get}({shown}) or {ast.unparse(node)}`)",
        )

    def check_in_function(self, node: ast.Call, scope: Scope) -> None:
        exempt = stored_at_startup(node, scope)
        load = classify(node, self.aliases, scope)
        if load is not None and not exempt:
            if load.reruns:
                self.report(
                    node,
                    "MG002",
                    f"{load.what}, on every call or retry of {scope.name}(); "
                    "load it once at start-up and reuse it",
                )
                if isinstance(scope.node, ast.FunctionDef | ast.AsyncFunctionDef):
                    method = scope.name if self.owner[-1] else None
                    self.helpers.append(Helper(self.qualnames[-1], method, self.path, load))
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
            targets, method = self.call_targets(node, scope)
            if targets or method:
                self.calls.append(Call(node, targets, method, self.qualnames[-1], exempt))

    def call_targets(self, node: ast.Call, scope: Scope) -> tuple[tuple[str, ...], str | None]:
        func = node.func
        root = root_name(func)
        if root is None or root in scope.local_names and root != scope.self_name:
            # a local object: only its method name is known
            return ((), func.attr) if isinstance(func, ast.Attribute) else ((), None)
        if isinstance(func, ast.Name):
            if func.id in self.top_functions:
                return (f"{self.module}.{func.id}",), None
            if func.id in self.aliases:
                return (self.aliases[func.id],), None
            return (), None
        if not isinstance(func, ast.Attribute):
            return (), None
        base = func.value
        if isinstance(base, ast.Name) and base.id == scope.self_name and self.owner:
            return (f"{self.module}.{self.owner[-1]}.{func.attr}",), None
        if isinstance(base, ast.Name) and base.id in self.top_classes:
            return (f"{self.module}.{base.id}.{func.attr}",), None
        if root in self.aliases:
            return (self.qualname(func),), None
        return (), func.attr

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if any(self.qualname(base) in self.documents for base in node.bases):
            self.documents.add(node.name)
            if self.scopes:
                self.report(
                    node,
                    "MG003",
                    f"document {node.name} defined inside a function is registered again on "
                    f"every call, silently replacing the last one; define it at module level",
                )
        # The class body runs where the class stands (in a function, when it runs);
        # a def directly in it is a method.
        self.classes.append((node.name, len(self.scopes)))
        self.generic_visit(node)
        self.classes.pop()

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
        self.scopes.append(scope)
        self.qualnames.append(qualname)
        self.owner.append(self.classes[-1][0] if is_method else "")
        for child in node.body if isinstance(node.body, list) else [node.body]:
            self.visit(child)
        self.owner.pop()
        self.qualnames.pop()
        self.scopes.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = visit_function
