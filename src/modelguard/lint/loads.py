"""Which calls load a module dynamically, whether the load runs code again, and
whether it is the initialize-once fix.

`import` and `importlib.import_module` run a module once and then hand back the
object cached in ``sys.modules``. A load runs a file's code again only when it
goes around that cache:

- ``importlib.reload(m)`` runs ``m``'s code again in the same module object;
- ``<loader>.exec_module(m)`` (after ``spec_from_file_location``, or any other
  spec) and the old ``load_module``/``imp.load_source`` run the source as a new
  module;
- ``runpy.run_path`` and ``runpy.run_module`` run it in a fresh namespace and
  cache nothing;
- ``exec``/``eval`` of compiled source (``compile(...)``, or text read from a
  file; text read from ``sys.stdin`` is the user's input, not a module) runs
  that code;
- ``import_module``/``__import__`` in a function that also deletes from
  ``sys.modules`` imports afresh each time.

Those are *re-runs*. Any other ``import_module``/``__import__`` inside a function
is *cached*: nothing runs again, but the dependency is hidden from the file's
imports and the first call pays for the import.

The fix the incident shipped is neither: a start-up function (``initialize``,
``setup``, ``start``, ``__init__`` ...) loads once and keeps the result in
instance or module state. Such a load is not reported.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from modelguard.lint.names import dotted, root_name

STARTUP_FUNCTIONS = frozenset(
    {
        "__init__",
        "__post_init__",
        "__enter__",
        "__aenter__",
        "init",
        "initialize",
        "initialise",
        "setup",
        "set_up",
        "start",
        "startup",
        "start_up",
        "on_startup",
        "bootstrap",
    }
)
_RELOADS = {"importlib.reload", "imp.reload"}
_IMPORTS = {"importlib.import_module", "importlib.__import__", "__import__", "builtins.__import__"}
_EXECS = {"exec", "eval", "builtins.exec", "builtins.eval"}
_COMPILES = {"compile", "builtins.compile"}
_SOURCE_LOADERS = {"imp.load_source", "imp.load_module", "imp.load_package"}
_READS = {"read", "read_text", "read_bytes"}
# Names the rules resolve; a star import is assumed to bring these in.
KNOWN = _RELOADS | _IMPORTS | _SOURCE_LOADERS | {"runpy.run_path", "runpy.run_module"}
_CLASSIFIED = KNOWN | _EXECS


@dataclass(frozen=True)
class Load:
    """One dynamic load: does it run code again, and what exactly happens."""

    call: ast.Call
    reruns: bool
    what: str  # e.g. "runpy.run_path(path) runs the file path again in a fresh namespace"


@dataclass
class Scope:
    """What the rules need to know about one function body (nested ones excluded)."""

    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
    name: str
    self_name: str | None  # the first parameter of a method: self or cls
    parents: dict[int, ast.AST] = field(default_factory=dict)  # start-up functions only
    local_names: set[str] = field(default_factory=set)
    declared_state: set[str] = field(default_factory=set)  # global / nonlocal names
    compiled: dict[str, str] = field(default_factory=dict)  # local name -> where its code came from
    spec_paths: list[str] = field(default_factory=list)  # spec_from_file_location(_, PATH)
    deletions: list[tuple[ast.expr | None, str]] = field(default_factory=list)
    assignments: list[ast.Assign | ast.AnnAssign | ast.AugAssign] = field(default_factory=list)

    @property
    def is_startup(self) -> bool:
        return self.name in STARTUP_FUNCTIONS


def own_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """Every node of a function's body that runs when it runs, without nested scopes."""
    body = node.body if isinstance(node.body, list) else [node.body]  # type: ignore[attr-defined]
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            # only what runs at definition: decorators and defaults
            stack.extend(getattr(current, "decorator_list", []))
            stack.extend(current.args.defaults + [d for d in current.args.kw_defaults if d])
            continue
        if isinstance(current, ast.ClassDef):
            stack.extend(current.decorator_list + current.bases)
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(current))))


def scope_of(
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda,
    imported: dict[str, str],
    in_class: bool,
) -> Scope:
    name = getattr(node, "name", "<lambda>")
    params = [*node.args.posonlyargs, *node.args.args]
    self_name = params[0].arg if in_class and params else None
    scope = Scope(node, name, self_name)
    all_args = [*params, *node.args.kwonlyargs, node.args.vararg, node.args.kwarg]
    scope.local_names = {arg.arg for arg in all_args if arg is not None}
    keep_parents = scope.is_startup  # only the initialize-once test climbs to a statement
    for child in own_nodes(node):
        if keep_parents:
            for sub in ast.iter_child_nodes(child):
                scope.parents[id(sub)] = child
        if isinstance(child, ast.Global | ast.Nonlocal):
            scope.declared_state.update(child.names)
        elif isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
            scope.local_names.add(child.id)
        elif isinstance(child, ast.Assign | ast.AnnAssign | ast.AugAssign):
            scope.assignments.append(child)
            origin = _code_origin(child.value, imported, scope) if child.value else None
            targets = child.targets if isinstance(child, ast.Assign) else [child.target]
            for target in targets:
                if origin and isinstance(target, ast.Name):
                    scope.compiled[target.id] = origin
        elif isinstance(child, ast.Call):
            func = dotted(child.func, imported)
            if func.endswith("spec_from_file_location") and len(child.args) >= 2:
                scope.spec_paths.append(ast.unparse(child.args[1]))
            deletion = _sys_modules_deletion(child, imported)
            if deletion is not None:
                scope.deletions.append(deletion)
        elif isinstance(child, ast.Delete):
            for target in child.targets:
                if isinstance(target, ast.Subscript) and _is_sys_modules(target.value, imported):
                    scope.deletions.append(
                        (target.slice, f"`del sys.modules[{ast.unparse(target.slice)}]`")
                    )
    scope.local_names -= scope.declared_state
    return scope


def classify(call: ast.Call, imported: dict[str, str], scope: Scope) -> Load | None:
    """The dynamic load this call is, if it is one."""
    func = dotted(call.func, imported)
    method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
    if func not in _CLASSIFIED and method not in ("exec_module", "load_module"):
        return None  # most calls: decided before any text is made for a message
    first = _shown(call.args[0]) if call.args else "..."
    called = f"`{func}({first[1:-1] if call.args else ''})`"
    if func in _RELOADS:
        return Load(
            call, True, f"{func}() runs the code of {first} again, in the same module object"
        )
    if func == "runpy.run_path":
        return Load(
            call, True, f"runpy.run_path() runs the file {first} again, in a fresh namespace"
        )
    if func == "runpy.run_module":
        return Load(
            call,
            True,
            f"runpy.run_module() runs the code of {first} again, in a fresh "
            "namespace, and caches nothing",
        )
    if func in _SOURCE_LOADERS or method in ("exec_module", "load_module"):
        source = f"the file `{scope.spec_paths[0]}`" if scope.spec_paths else "the module's source"
        shown = func if func in _SOURCE_LOADERS else method
        return Load(
            call,
            True,
            f"{shown}() runs {source} again as a new module, outside the sys.modules cache",
        )
    if func in _EXECS and call.args:
        origin = _code_origin(call.args[0], imported, scope)
        if origin:
            return Load(call, True, f"{func}() runs the code {origin} again")
        return None
    if func in _IMPORTS:
        for key, how in scope.deletions:
            if _may_be_same(key, call.args[0] if call.args else None):
                return Load(
                    call,
                    True,
                    f"{called} after {how} in the same function "
                    "imports it afresh, so its code runs again",
                )
        return Load(
            call,
            False,
            f"{called} returns the module cached in sys.modules "
            "after the first call, so no code runs again",
        )
    return None


def stored_at_startup(call: ast.Call, scope: Scope) -> bool:
    """The initialize-once fix: a start-up function keeps what this call produced in state."""
    if not scope.is_startup:
        return False
    # What the call produces: names it is assigned to, and what it fills in (exec_module(m)).
    if any(_is_state(arg, scope) for arg in call.args):
        return True
    products = {arg.id for arg in call.args if isinstance(arg, ast.Name)}
    statement: ast.AST | None = call
    while statement is not None and not isinstance(statement, ast.stmt):
        statement = scope.parents.get(id(statement))
    if isinstance(statement, ast.Assign | ast.AnnAssign | ast.AugAssign):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        if any(_is_state(target, scope) for target in targets):
            return True
        products |= {t.id for t in targets if isinstance(t, ast.Name)}
    for _ in range(len(scope.assignments)):  # follow locals into state, one assignment a round
        grew = False
        for assignment in scope.assignments:
            if assignment.value is None or not _mentions(assignment.value, products):
                continue
            targets = (
                assignment.targets if isinstance(assignment, ast.Assign) else [assignment.target]
            )
            if any(_is_state(target, scope) for target in targets):
                return True
            new = {t.id for t in targets if isinstance(t, ast.Name)} - products
            products |= new
            grew = grew or bool(new)
        if not grew:
            break
    return False


def _is_state(target: ast.expr, scope: Scope) -> bool:
    """Instance, class or module state: self.x, cls.x, a global name, or an item of one."""
    if isinstance(target, ast.Tuple | ast.List):
        return any(_is_state(element, scope) for element in target.elts)
    if isinstance(target, ast.Name):
        return target.id in scope.declared_state
    if not isinstance(target, ast.Attribute | ast.Subscript):
        return False
    root = root_name(target)
    if root is None:
        return False
    return (
        root == scope.self_name or root in scope.declared_state or (root not in scope.local_names)
    )


def _mentions(node: ast.AST, names: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))


def _code_origin(node: ast.expr, imported: dict[str, str], scope: Scope) -> str | None:
    """Where the code an exec() would run came from, if it is a file's compiled source."""
    if isinstance(node, ast.Call):
        func = dotted(node.func, imported)
        if func in _COMPILES:
            where = _shown(node.args[1]) if len(node.args) >= 2 else "its source"
            return f"compiled from {where}"
        if isinstance(node.func, ast.Attribute) and node.func.attr in _READS:
            if dotted(node.func.value, imported) == "sys.stdin":
                return None  # typed or piped in by the user: input, not a module's code
            return f"read by `{ast.unparse(node.func)}()`"
    if isinstance(node, ast.Name):
        return scope.compiled.get(node.id)
    return None


def _is_sys_modules(node: ast.expr, imported: dict[str, str]) -> bool:
    return dotted(node, imported) == "sys.modules"


def _sys_modules_deletion(
    call: ast.Call, imported: dict[str, str]
) -> tuple[ast.expr | None, str] | None:
    if not isinstance(call.func, ast.Attribute) or not _is_sys_modules(call.func.value, imported):
        return None
    if call.func.attr == "pop" and call.args:
        return call.args[0], f"`sys.modules.pop({ast.unparse(call.args[0])})`"
    if call.func.attr in ("clear", "popitem"):
        return None, f"`sys.modules.{call.func.attr}()`"
    return None


def _may_be_same(deleted: ast.expr | None, imported: ast.expr | None) -> bool:
    """Two constants must be equal; anything the lint cannot evaluate may match."""
    if isinstance(deleted, ast.Constant) and isinstance(imported, ast.Constant):
        return bool(deleted.value == imported.value)
    return True


def _shown(node: ast.expr) -> str:
    text = ast.unparse(node)
    return f"`{text}`" if len(text) <= 60 else f"`{text[:57]}...`"
