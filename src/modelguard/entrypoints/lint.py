"""Static check that model code runs once per process (``modelguard lint``).

The incident behind this lab had two causes; each rule catches one before it ships.

MG000  The file cannot be read or parsed, so nothing else in it was checked.
MG001  A model compiled at import time without the guard. A second run of the
       module (reload, load by path, double import) builds a new schema object,
       and ``model(name, schema)`` raises OverwriteModelError. Accepted forms:
       ``<r>.models.get(NAME) or <r>.model(NAME, schema)``, ``define(...)``,
       and the one-argument lookup ``model(NAME)``. Module level includes
       if/try/with blocks, class bodies and comprehensions; calls inside a
       function are not judged, since whether they re-run depends on the caller.
MG002  A module loaded dynamically inside a function (def, async def, lambda):
       ``importlib.import_module``, ``importlib.reload``, ``__import__``,
       ``runpy.run_path``/``run_module`` and ``<loader>.exec_module(...)``.
       For a load by path the ``exec_module`` call is reported, not the
       ``spec_from_file_location`` call: it is the one that re-runs the code,
       however the spec was made. Inside a handler every call or retry pays
       again; at module level the load runs once and is fine.
MG003  A mongoengine document class (``Document``, ``DynamicDocument``, the
       embedded variants, or a class this file derives from one) defined inside
       a function. mongoengine silently replaces the registered class on each
       call, and objects of the old class stop matching ``isinstance``.
MG004  A guard whose two names differ, so it never finds what it compiles.
       Two constants are compared by value. Other expressions are flagged only
       when both have the same node type and differ (``ast.dump``); a constant
       against a variable is not judged, as the lint cannot know its value.

Names are resolved through the file's imports (``import modelguard as mg``,
``from modelguard import model as m``, relative imports inside the package).
A registry instance is any name assigned from a ``ModelRegistry()`` call.

``# noqa: MG001`` (or ``# noqa: MG001,MG002``; a reason may follow) on the line
a finding is reported on suppresses those codes only. A bare ``# noqa``
suppresses nothing, so every exception names what it excuses.
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import os
import re
import sys
import tokenize
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

RULES = {
    "MG000": "file cannot be read or parsed",
    "MG001": "model registered at import time without the guard",
    "MG002": "module loaded dynamically inside a function",
    "MG003": "mongoengine document defined inside a function",
    "MG004": "guard checks one name and registers another",
}

_MODEL_FUNCS = {"modelguard.model", "modelguard.registry.model"}
_DYNAMIC_LOADS = {
    *("importlib.import_module", "importlib.reload", "importlib.__import__", "imp.reload"),
    *("__import__", "builtins.__import__", "runpy.run_path", "runpy.run_module"),
}
_DOCUMENTS = ("Document", "DynamicDocument", "EmbeddedDocument", "DynamicEmbeddedDocument")
_DOCUMENT_BASES = {f"mongoengine{sub}.{name}" for sub in ("", ".document") for name in _DOCUMENTS}
# What a star import can bring in that the rules care about.
_KNOWN = _MODEL_FUNCS | _DYNAMIC_LOADS | _DOCUMENT_BASES | {"modelguard.registry"}
_SKIP_DIRS = {"build", "dist", "venv", "__pycache__", "node_modules"}
_NOQA = re.compile(r"#\s*noqa\s*:\s*([A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*)", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    col: int  # 1-based, in characters, like ruff and flake8
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.code} {self.message}"


def _package_of(path: str) -> list[str]:
    """The package a file lives in, from the innermost ``modelguard`` folder down."""
    folders = Path(path).parts[:-1]
    if "modelguard" not in folders:
        return []
    return list(folders[len(folders) - 1 - folders[::-1].index("modelguard") :])


def _aliases(tree: ast.Module, path: str) -> dict[str, str]:
    """Local name -> the dotted name it was imported as, for every import in the file."""
    aliases: dict[str, str] = {}
    package = _package_of(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:  # `import a.b` binds `a`; `import a.b as c` binds a.b
                local = alias.asname or alias.name.split(".")[0]
                aliases[local] = alias.name if alias.asname else local
        elif isinstance(node, ast.ImportFrom):
            base = node.module.split(".") if node.module else []
            if node.level:
                base = package[: max(0, len(package) - node.level + 1)] + base
            module = ".".join(base)
            for alias in node.names:
                if alias.name == "*":
                    known = (name.rpartition(".") for name in _KNOWN)
                    aliases.update(
                        {last: f"{mod}.{last}" for mod, _, last in known if mod == module}
                    )
                else:
                    aliases[alias.asname or alias.name] = f"{module}.{alias.name}"
    return aliases


def _name_arg(call: ast.Call) -> ast.expr | None:
    if call.args and not isinstance(call.args[0], ast.Starred):
        return call.args[0]
    return next((kw.value for kw in call.keywords if kw.arg == "name"), None)


def _has_schema(call: ast.Call) -> bool:
    positional = [arg for arg in call.args if not isinstance(arg, ast.Starred)]
    return len(positional) >= 2 or any(kw.arg == "schema" for kw in call.keywords)


class _Checker(ast.NodeVisitor):
    def __init__(self, tree: ast.Module, path: str, lines: list[str]) -> None:
        self.path, self.lines = path, lines
        self.aliases = _aliases(tree, path)
        self.registries = {  # names bound to a ModelRegistry() anywhere in the file
            target.id
            for node in ast.walk(tree)
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Call)
            if self.qualname(node.value.func).rsplit(".", 1)[-1] == "ModelRegistry"
            for target in getattr(node, "targets", [getattr(node, "target", None)])
            if isinstance(target, ast.Name)
        }
        self.documents = set(_DOCUMENT_BASES)  # grows with document classes seen in this file
        self.function_depth = 0
        self.guarded: set[int] = set()  # ids of model calls on the right of a guard
        self.findings: list[Finding] = []

    def qualname(self, node: ast.expr) -> str:
        """``mg.registry.model`` -> ``modelguard.registry.model``; "" if not a dotted name."""
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return ""
        return ".".join([self.aliases.get(node.id, node.id), *reversed(parts)])

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

    def report(self, node: ast.AST, code: str, message: str) -> None:
        # ast counts columns in UTF-8 bytes; editors and ruff count characters.
        line = self.lines[node.lineno - 1] if node.lineno <= len(self.lines) else ""
        col = len(line.encode()[: node.col_offset].decode(errors="replace")) + 1
        self.findings.append(Finding(self.path, node.lineno, col, code, message))

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        if isinstance(node.op, ast.Or):
            last_get = None
            for value in node.values:
                if self.is_models_get(value):
                    last_get = value
                elif last_get is not None and self.is_model_call(value):
                    self.guarded.add(id(value))
                    self.check_guard_names(last_get.args[0], _name_arg(value), value)
        self.generic_visit(node)

    def check_guard_names(self, checked: ast.expr, compiled: ast.expr | None, at: ast.AST) -> None:
        if isinstance(checked, ast.Constant) and isinstance(compiled, ast.Constant):
            differ = checked.value != compiled.value
        else:
            differ = type(checked) is type(compiled) and ast.dump(checked) != ast.dump(compiled)
        if differ:
            shown = f"checks {ast.unparse(checked)} but compiles {ast.unparse(compiled)}"
            self.report(at, "MG004", f"guard {shown}, so it never finds the model it compiles")

    def visit_Call(self, node: ast.Call) -> None:
        if self.function_depth == 0:
            if self.is_model_call(node) and _has_schema(node) and id(node) not in self.guarded:
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
        else:
            func = self.qualname(node.func)
            if func in _DYNAMIC_LOADS or (
                isinstance(node.func, ast.Attribute) and node.func.attr == "exec_module"
            ):
                self.report(
                    node,
                    "MG002",
                    f"{func or ast.unparse(node.func)}() inside a function re-runs module code on "
                    f"every call or retry; load it once at start-up and reuse it",
                )
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if any(self.qualname(base) in self.documents for base in node.bases):
            self.documents.add(node.name)
            if self.function_depth:
                self.report(
                    node,
                    "MG003",
                    f"document {node.name} defined inside a function is registered again on "
                    f"every call, silently replacing the last one; define it at module level",
                )
        self.generic_visit(node)

    def visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        # Decorators, defaults and annotations run where the function is defined;
        # only the body waits for a call.
        for decorator in getattr(node, "decorator_list", []):
            self.visit(decorator)
        self.visit(node.args)
        if getattr(node, "returns", None):
            self.visit(node.returns)
        self.function_depth += 1
        for child in node.body if isinstance(node.body, list) else [node.body]:
            self.visit(child)
        self.function_depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = visit_function


def _suppressions(source: str) -> dict[int, set[str]]:
    """Line -> the codes a ``# noqa: CODE`` comment on that line names."""
    codes: dict[int, set[str]] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT and (match := _NOQA.search(token.string)):
                named = re.split(r"[\s,]+", match.group(1).upper())
                codes.setdefault(token.start[0], set()).update(named)
    except (tokenize.TokenError, SyntaxError):
        pass  # ast accepted the file; a tokenizer quirk only costs the suppressions
    return codes


def check_source(source: str, path: str = "<string>") -> list[Finding]:
    """Every unsuppressed finding in one module's source, in order of position."""
    try:
        tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError) as error:  # ValueError: null bytes in the source
        line, col = getattr(error, "lineno", None) or 1, getattr(error, "offset", None) or 1
        message = getattr(error, "msg", None) or str(error)
        return [Finding(path, line, col, "MG000", f"cannot parse: {message}")]
    # Split only where Python ends lines; str.splitlines also splits on form feeds.
    checker = _Checker(tree, path, re.split(r"\r\n?|\n", source))
    checker.visit(tree)
    suppressed = _suppressions(source)
    return sorted(f for f in checker.findings if f.code not in suppressed.get(f.line, ()))


def iter_python_files(paths: Iterable[str]) -> Iterator[str]:
    """Files named outright, and *.py under directories minus hidden and build folders."""
    for path in paths:
        if not os.path.isdir(path):
            yield path
            continue
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
            yield from (os.path.join(root, name) for name in sorted(files) if name.endswith(".py"))


def check_paths(paths: Iterable[str]) -> list[Finding]:
    findings: list[Finding] = []
    for path in iter_python_files(paths):
        try:
            with tokenize.open(path) as handle:  # honours PEP 263 encoding cookies
                source = handle.read()
        except (OSError, SyntaxError, UnicodeDecodeError) as error:
            findings.append(Finding(path, 1, 1, "MG000", f"cannot read: {error}"))
            continue
        findings.extend(check_source(source, path))
    return findings


def _codes(text: str) -> set[str]:
    codes = {code.strip().upper() for code in text.split(",") if code.strip()}
    if unknown := codes - RULES.keys():
        raise argparse.ArgumentTypeError(f"unknown code(s): {', '.join(sorted(unknown))}")
    return codes


def main(argv: list[str] | None = None) -> int:
    """Print findings; return 0 when clean, 1 when anything is found, 2 on a usage error."""
    parser = argparse.ArgumentParser(
        prog="modelguard lint",
        description="Check that model code runs once per process.",
        epilog="\n".join(f"{code}  {summary}" for code, summary in RULES.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or directories")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--select", type=_codes, metavar="CODES", help="e.g. MG001,MG003")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse exits 2 on bad usage and 0 after --help
        return int(exit_.code or 0)
    if missing := [path for path in args.paths if not os.path.exists(path)]:
        print(f"modelguard lint: no such file or directory: {', '.join(missing)}", file=sys.stderr)
        return 2
    findings = check_paths(args.paths)
    if args.select:  # MG000 always shows: an unparsed file was not checked at all
        findings = [f for f in findings if f.code in args.select or f.code == "MG000"]
    if args.format == "json":
        print(json.dumps([asdict(finding) for finding in findings], indent=2))
    else:
        for finding in findings:
            print(finding)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
