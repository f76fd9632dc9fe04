"""Checking files together: the per-file rules, then the call graph across every
file given, which decides MG002, MG005 and MG007.

A load that runs module code again is MG002 when its function is on a call or
retry path (the rule is in `modelguard.lint.paths`), else the opt-in MG007.
MG005 is a call, made on such a path, to a function (anywhere in the checked
paths) whose own body makes such a load. The helper's load is found whatever
its own line says: a ``noqa`` there excuses that line, not the callers, so a
call site is judged on its own line. Only calls the lint can tell are
followed; a method called on an object of unknown type is not matched by name.
"""

from __future__ import annotations

import ast
import contextlib
import gc
import os
import re
import tokenize
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from modelguard.lint.checker import Checker, FunctionInfo, PendingLoad
from modelguard.lint.documents import canonical, documents, is_document
from modelguard.lint.findings import DEFAULT, EXCUSED_ALSO, Finding, Suppressed, suppressions
from modelguard.lint.paths import reached
from modelguard.lint.prefilter import called_names, calls_any, needs_rules

_SKIP_DIRS = {"build", "dist", "venv", "__pycache__", "node_modules"}


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    suppressed: list[Suppressed] = field(default_factory=list)


@dataclass
class _Parsed:
    path: str
    source: str
    checker: Checker | None  # None when the file did not parse, or was not walked
    findings: list[Finding]
    walked: bool = True  # False: it parses, and its text holds nothing a rule needs (yet)


def iter_python_files(paths: Iterable[str]) -> Iterator[str]:
    """Files named outright, and *.py under directories minus hidden and build folders."""
    for path in paths:
        if not os.path.isdir(path):
            yield path
            continue
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
            yield from (os.path.join(root, name) for name in sorted(files) if name.endswith(".py"))


def _parse(source: str, path: str, walk: bool = True) -> _Parsed:
    """The file parsed, and walked by the per-file rules unless `walk` is False."""
    try:
        tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError) as error:  # ValueError: null bytes in the source
        line, col = getattr(error, "lineno", None) or 1, getattr(error, "offset", None) or 1
        message = getattr(error, "msg", None) or str(error)
        return _Parsed(
            path, source, None, [Finding(path, line, col, "MG000", f"cannot parse: {message}")]
        )
    if not walk:
        return _Parsed(path, source, None, [], walked=False)
    # Split only where Python ends lines; str.splitlines also splits on form feeds.
    checker = Checker(tree, path, re.split(r"\r\n?|\n", source))
    checker.visit(tree)
    return _Parsed(path, source, checker, list(checker.findings))


def _graph(parsed: list[_Parsed]) -> tuple[dict[str, FunctionInfo], dict[str, list[str]]]:
    """Every function checked, and function -> what it calls or defines (not at start-up)."""
    functions: dict[str, FunctionInfo] = {}
    edges: dict[str, list[str]] = {}
    for each in parsed:
        if each.checker is None:
            continue
        for function in each.checker.functions:
            functions.setdefault(function.qualname, function)
            if function.parent:
                edges.setdefault(function.parent, []).append(function.qualname)
        for call in each.checker.calls:
            if not call.exempt:  # the initialize-once fix does not extend a path
                edges.setdefault(call.caller, []).extend(call.targets)
    return functions, edges


def _judge_loads(parsed: list[_Parsed]) -> None:
    """MG002 for loads on a call or retry path, MG007 for the others; MG005 at the calls."""
    functions, edges = _graph(parsed)
    entries = {name: f.entry for name, f in functions.items() if f.entry}
    on_path = reached(entries, edges)
    helpers: dict[str, PendingLoad] = {}
    for each in parsed:
        for pending in each.checker.loads if each.checker else []:
            helpers.setdefault(pending.function, pending)
    for each in parsed:
        checker = each.checker
        if checker is None:
            continue
        for pending in checker.loads:
            node, what = pending.load.call, pending.load.what
            if pending.function in on_path:
                entry, why = on_path[pending.function]
                path = _path_text(pending.function, entry, why, functions)
                message = f"{what}, on every call or retry of {pending.scope_name}() ({path}); "
                each.findings.append(
                    checker.finding(
                        node, "MG002", message + "load it once at start-up and reuse it"
                    )
                )
            else:
                each.findings.append(
                    checker.finding(
                        node,
                        "MG007",
                        f"{what}, in {pending.scope_name}(), which no call or retry path "
                        "in the checked files reaches; it runs when its caller decides",
                    )
                )
        for call in checker.calls:
            if call.exempt or call.caller not in on_path:
                continue
            target = next((t for t in call.targets if t in helpers and t != call.caller), None)
            if target is None:
                continue
            helper, function = helpers[target], functions[target]
            entry, why = on_path[call.caller]
            where = f"{function.path}:{helper.load.call.lineno}"
            each.findings.append(
                checker.finding(
                    call.node,
                    "MG005",
                    f"calls {function.shown}(), which runs module code again ({helper.load.what}, "
                    f"at {where}), on every call or retry of this function "
                    f"({_path_text(call.caller, entry, why, functions)}); "
                    "call it once at start-up and reuse the result",
                )
            )


def _path_text(function: str, entry: str, why: str, functions: dict[str, FunctionInfo]) -> str:
    if function == entry:
        return why
    return f"reached from {functions[entry].shown}(), {why}"


def _split(parsed: Iterable[_Parsed], select: Collection[str] | None) -> Report:
    """Findings of the selected codes (the default ones when None), and what noqa excused.

    MG000 is always kept: a file that was not read or parsed was not checked.
    """
    codes = DEFAULT if select is None else select
    report = Report()
    for each in parsed:
        kept = sorted(f for f in each.findings if f.code in codes or f.code == "MG000")
        # tokenizing is slow: only a file with something to excuse, and the word, needs it
        excused = suppressions(each.source) if kept and "noqa" in each.source else {}
        for finding in kept:
            reasons = excused.get(finding.line, {})
            code = next(
                (c for c in (finding.code, EXCUSED_ALSO.get(finding.code)) if c in reasons), None
            )
            if code is not None and finding.code != "MG000":
                report.suppressed.append(Suppressed(finding, reasons[code]))
            else:
                report.findings.append(finding)
    return report


def _join(parsed: list[_Parsed]) -> list[_Parsed]:
    _walk_document_users(parsed)
    _walk_callers(parsed)
    _judge_loads(parsed)
    _judge_documents(parsed)
    return parsed


def _document_names(parsed: list[_Parsed]) -> tuple[frozenset[str], dict[str, dict[str, str]]]:
    """Every document class of the checked files (`modelguard.lint.documents`), and each
    walked module's imports, through which a base class is followed."""
    exports = {each.checker.module: each.checker.exports for each in parsed if each.checker}
    classes = [c for each in parsed if each.checker for c in each.checker.top_classes]
    return documents(classes, exports), exports


def _walk_document_users(parsed: list[_Parsed]) -> None:
    """Walk the files left aside that spell the name of a document class of the checked
    files (a project's own base, say), or of an alias of one, since they may derive from
    it; until none is left."""
    spelled: set[str] = set()
    while True:
        known, exports = _document_names(parsed)
        names = {name.rsplit(".", 1)[-1] for name in known}
        # and a module-level alias of one (`Base = ProjectDocument`), which another file imports
        names |= {
            local
            for module, bound in exports.items()
            for local in bound
            if canonical(f"{module}.{local}", exports) in known
        }
        names -= spelled
        waiting = [i for i, each in enumerate(parsed) if not each.walked]
        if not names or not waiting:
            return
        spelled |= names
        pattern = re.compile(rf"\b(?:{'|'.join(map(re.escape, sorted(names)))})\b")
        found = [i for i in waiting if pattern.search(parsed[i].source)]
        if not found:
            return
        for i in found:
            parsed[i] = _parse(parsed[i].source, parsed[i].path)


def _judge_documents(parsed: list[_Parsed]) -> None:
    """MG003 for a document class defined in a function on a call or retry path, MG008
    (opt-in) for one defined in a function no path reaches: a test, a fixture, a helper."""
    known, exports = _document_names(parsed)
    functions, edges = _graph(parsed)
    on_path = reached({n: f.entry for n, f in functions.items() if f.entry}, edges)
    for each in parsed:
        checker = each.checker
        for pending in checker.pending_classes if checker else []:
            if checker is None or not is_document(pending, known, exports):
                continue
            name = pending.node.name
            if pending.function in on_path:
                entry, why = on_path[pending.function]
                path = _path_text(pending.function, entry, why, functions)
                each.findings.append(
                    checker.finding(
                        pending.node,
                        "MG003",
                        f"document {name} defined inside {pending.scope_name}() is registered "
                        f"again on every call or retry ({path}), silently replacing the last "
                        "one; define it at module level",
                    )
                )
            else:
                each.findings.append(
                    checker.finding(
                        pending.node,
                        "MG008",
                        f"document {name} defined inside {pending.scope_name}(), which no call "
                        "or retry path in the checked files reaches; each call registers it "
                        "again, replacing the last one",
                    )
                )


def _walk_callers(parsed: list[_Parsed]) -> None:
    """Walk the files left aside that call, by name, toward a load; until none is left."""
    while True:
        functions, edges = _graph(parsed)
        loading = {p.function for each in parsed if each.checker for p in each.checker.loads}
        waiting = [i for i, each in enumerate(parsed) if not each.walked]
        if not loading or not waiting:
            return
        calls = calls_any(called_names(loading, edges))
        found = [i for i in waiting if calls.search(parsed[i].source)]
        if not found:
            return
        for i in found:
            parsed[i] = _parse(parsed[i].source, parsed[i].path)


def lint_source(
    source: str, path: str = "<string>", select: Collection[str] | None = None
) -> Report:
    return _split(_join([_parse(source, path)]), select)


def lint_paths(
    paths: Iterable[str],
    sources: Mapping[str, str] | None = None,
    select: Collection[str] | None = None,
) -> Report:
    """Every finding in the files under `paths`, and every finding a noqa excused.

    `sources` maps a file's path to text checked in place of what is on disk (an
    editor's unsaved buffer, or a file as it was before a fix), so the file is
    still judged among the others. `select` names the codes to report; None
    means the default ones (`modelguard.lint.findings.DEFAULT`). A path that
    does not exist is an MG000 finding, and the other paths are still checked.
    """
    with _collector_paused():
        return _lint_paths(paths, sources or {}, select)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Parsing makes objects by the million and frees almost none, so the cycle
    collector's passes (over every tree still held) find nothing and cost up to
    a third of the run; reference counting still frees what is dropped."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _lint_paths(
    paths: Iterable[str], sources: Mapping[str, str], select: Collection[str] | None
) -> Report:
    instead = {os.path.realpath(path): text for path, text in sources.items()}
    codes = DEFAULT if select is None else select
    parsed: list[_Parsed] = []
    for path in iter_python_files(paths):
        if os.path.realpath(path) in instead:
            parsed.append(_parse(instead[os.path.realpath(path)], path))
            continue
        if not os.path.lexists(path):
            missing = Finding(path, 1, 1, "MG000", "no such file or directory; nothing was checked")
            parsed.append(_Parsed(path, "", None, [missing]))
            continue
        try:
            with tokenize.open(path) as handle:  # honours PEP 263 encoding cookies
                source = handle.read()
        except (OSError, SyntaxError, UnicodeDecodeError) as error:
            parsed.append(
                _Parsed(path, "", None, [Finding(path, 1, 1, "MG000", f"cannot read: {error}")])
            )
            continue
        parsed.append(_parse(source, path, walk=needs_rules(source, path, codes)))
    return _split(_join(parsed), select)


def check_source(
    source: str, path: str = "<string>", select: Collection[str] | None = None
) -> list[Finding]:
    """Every unsuppressed finding in one module's source, in order of position."""
    return lint_source(source, path, select).findings


def check_paths(paths: Iterable[str], select: Collection[str] | None = None) -> list[Finding]:
    """Every unsuppressed finding in the files under `paths`, file by file."""
    return lint_paths(paths, select=select).findings
