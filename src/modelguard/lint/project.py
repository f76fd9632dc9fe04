"""Checking files together: the per-file rules, then MG005 across every file given.

MG005 looks one hop: a call inside a function to a function (anywhere in the
checked paths) whose own body runs module code again. The helper's load is
found whatever its own line says: a ``noqa`` there excuses that line, not the
callers, so a call site is judged on its own line. Calls are resolved through
the caller's imports (``from pkg.loading import load_build``, ``loading.load``),
``self.method()`` within a class, and, for a method called on an object the
lint cannot type, by the method's name.
"""

from __future__ import annotations

import ast
import os
import re
import tokenize
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from modelguard.lint.checker import Call, Checker, Helper
from modelguard.lint.findings import Finding, Suppressed, suppressions

_SKIP_DIRS = {"build", "dist", "venv", "__pycache__", "node_modules"}


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    suppressed: list[Suppressed] = field(default_factory=list)


@dataclass
class _Parsed:
    path: str
    source: str
    checker: Checker | None  # None when the file did not parse
    findings: list[Finding]


def iter_python_files(paths: Iterable[str]) -> Iterator[str]:
    """Files named outright, and *.py under directories minus hidden and build folders."""
    for path in paths:
        if not os.path.isdir(path):
            yield path
            continue
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
            yield from (os.path.join(root, name) for name in sorted(files) if name.endswith(".py"))


def _parse(source: str, path: str) -> _Parsed:
    try:
        tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError) as error:  # ValueError: null bytes in the source
        line, col = getattr(error, "lineno", None) or 1, getattr(error, "offset", None) or 1
        message = getattr(error, "msg", None) or str(error)
        return _Parsed(
            path, source, None, [Finding(path, line, col, "MG000", f"cannot parse: {message}")]
        )
    # Split only where Python ends lines; str.splitlines also splits on form feeds.
    checker = Checker(tree, path, re.split(r"\r\n?|\n", source))
    checker.visit(tree)
    return _Parsed(path, source, checker, list(checker.findings))


def _helper_calls(
    parsed: _Parsed, by_name: dict[str, Helper], by_method: dict[str, list[Helper]]
) -> None:
    checker = parsed.checker
    if checker is None:
        return
    for call in checker.calls:
        helper = _resolve(call, by_name, by_method)
        if helper is None or call.exempt:
            continue
        where = f"{helper.path}:{helper.load.call.lineno}"
        name = helper.qualname.rsplit(".", 2 if helper.method else 1)[1:]
        shown = ".".join(name)
        matched = " (matched by method name)" if call.method and not call.targets else ""
        finding = checker.finding(
            call.node,
            "MG005",
            f"calls {shown}(){matched}, which runs module code again ({helper.load.what}, at "
            f"{where}): every call or retry of this function repeats it; call it once at "
            "start-up and reuse the result",
        )
        parsed.findings.append(finding)


def _resolve(
    call: Call, by_name: dict[str, Helper], by_method: dict[str, list[Helper]]
) -> Helper | None:
    for target in call.targets:
        if target in by_name and target != call.caller:
            return by_name[target]
    if call.method:
        candidates = [h for h in by_method.get(call.method, []) if h.qualname != call.caller]
        if candidates:
            return candidates[0]
    return None


def _split(parsed: Iterable[_Parsed], report: Report) -> Report:
    for each in parsed:
        excused = suppressions(each.source)
        for finding in sorted(each.findings):
            reasons = excused.get(finding.line, {})
            if finding.code in reasons and finding.code != "MG000":
                report.suppressed.append(Suppressed(finding, reasons[finding.code]))
            else:
                report.findings.append(finding)
    return report


def _join(parsed: list[_Parsed]) -> list[_Parsed]:
    helpers = [h for p in parsed if p.checker for h in p.checker.helpers]
    by_name: dict[str, Helper] = {}
    by_method: dict[str, list[Helper]] = {}
    for helper in helpers:
        by_name.setdefault(helper.qualname, helper)
        if helper.method:
            by_method.setdefault(helper.method, []).append(helper)
    for each in parsed:
        _helper_calls(each, by_name, by_method)
    return parsed


def lint_source(source: str, path: str = "<string>") -> Report:
    return _split(_join([_parse(source, path)]), Report())


def lint_paths(paths: Iterable[str], sources: Mapping[str, str] | None = None) -> Report:
    """Every finding in the files under `paths`, and every finding a noqa excused.

    `sources` maps a file's path to text checked in place of what is on disk (an
    editor's unsaved buffer, or a file as it was before a fix), so the file is
    still judged among the others.
    """
    instead = {os.path.realpath(path): text for path, text in (sources or {}).items()}
    parsed: list[_Parsed] = []
    for path in iter_python_files(paths):
        if os.path.realpath(path) in instead:
            parsed.append(_parse(instead[os.path.realpath(path)], path))
            continue
        try:
            with tokenize.open(path) as handle:  # honours PEP 263 encoding cookies
                source = handle.read()
        except (OSError, SyntaxError, UnicodeDecodeError) as error:
            parsed.append(
                _Parsed(path, "", None, [Finding(path, 1, 1, "MG000", f"cannot read: {error}")])
            )
            continue
        parsed.append(_parse(source, path))
    return _split(_join(parsed), Report())


def check_source(source: str, path: str = "<string>") -> list[Finding]:
    """Every unsuppressed finding in one module's source, in order of position."""
    return lint_source(source, path).findings


def check_paths(paths: Iterable[str]) -> list[Finding]:
    """Every unsuppressed finding in the files under `paths`, file by file."""
    return lint_paths(paths).findings
