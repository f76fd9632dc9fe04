"""The tools on real code nobody here wrote: the lint, strict mode and the pytest plugin.

    .venv/bin/python scripts/real_code_gate.py [--cache DIR]

Pinned releases are fetched once with pip (uv for the environments) into
``~/.cache/modelguard/real-code``; later runs reuse them. None of these projects
has the incident's bug, so everything a tool reports on them is a false alarm.
Each tool is also handed the bug on purpose, in the project's own terms, and
must report it: a true positive. Three checks:

- **lint**: ``python -m modelguard lint`` with its default rules on each tree,
  library and test code (mongoengine's sdist with its tests, udata's wheel,
  which ships its tests, django-mongoengine's sdist, the sdists of
  flask-mongoengine, mongoengine-goodjson and mixer, and the lint's earlier
  trees), together with one file written beside it: a handler that reloads a
  module of the project and, for a mongoengine project, defines a document on
  the project's own base. Findings in the tree are false alarms; that file's
  findings are the true positives (MG002, and MG003).
- **strict mode**: in the project's own environment, `modelguard.strict` on,
  every module of udata and of django-mongoengine is imported (0 raises), then
  one of its model files runs a second time by path (it must raise, naming the
  file). `scripts/real_code/import_models.py` does it.
- **plugin and strict mode on a test suite**: mongoengine's own tests from its
  sdist, on mongomock with no socket allowed, run with and without
  ``-p modelguard.pytest_plugin`` and strict mode; the pass counts must be equal.
  A planted test imports one of mongoengine's files under a second module name,
  which the plugin must report (its true positive); any other file it reports is
  a false alarm. The runs alternate, three each; the overhead printed compares
  the medians of pytest's CPU time (user and system), which the machine's other
  load disturbs less than the wall clock, also printed (a figure, not a limit).

It prints one table, tree by tool, and the details under it. Exit status: 0
when there is no false alarm, every true positive is found and the pass counts
match; 1 otherwise; 2 when a download, an install or a run fails.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from lint_real_code import RELEASES as WHEELS_LINTED_BEFORE
from lint_real_code import _unpacked, _wheel

SCRIPTS = Path(__file__).resolve().parent
SRC = SCRIPTS.parent / "src"
CACHE = Path.home() / ".cache" / "modelguard" / "real-code"
UV = Path(sys.executable).with_name("uv")


@dataclass(frozen=True)
class Tree:
    name: str
    version: str
    sdist: bool  # an sdist carries tests a wheel leaves out
    reload: str  # a module of the project the true-positive handler reloads
    document: str = ""  # how the project's code imports its document base, if it has one
    base: str = "Document"  # how a class statement then names that base

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}" + (" sdist" if self.sdist else "")


# mongoengine's 0.29.3 sdist is its first since 0.29.1 with tests in it; udata's
# wheel ships its tests; django-mongoengine publishes only an sdist.
TREES = (
    Tree("mongoengine", "0.29.3", True, "mongoengine.document", "from mongoengine import Document"),
    Tree(
        "udata",
        "17.18.0",
        False,
        "udata.core.dataset.models",
        "from udata.mongo.document import UDataDocument as Document",
    ),  # fmt: skip
    Tree(
        "django-mongoengine",
        "0.5.6",
        True,
        "django_mongoengine.mongo_auth.models",
        "from django_mongoengine import Document",
    ),  # fmt: skip
    Tree(
        "graphene-mongo", "0.4.5", False, "graphene_mongo.types", "from mongoengine import Document"
    ),  # fmt: skip
    # Flask-MongoEngine's documented way: a module-level `db = MongoEngine()`, then `db.Document`
    Tree(
        "flask-mongoengine",
        "1.0.0",
        True,
        "flask_mongoengine.sessions",
        "from flask_mongoengine import MongoEngine\n\ndb = MongoEngine()",
        "db.Document",
    ),  # fmt: skip
    # its own base, and tests that define documents in their functions
    Tree(
        "mongoengine-goodjson",
        "1.1.8",
        True,
        "mongoengine_goodjson.document",
        "import mongoengine_goodjson as gj",
        "gj.Document",
    ),  # fmt: skip
    Tree(
        "mixer", "7.2.2", True, "mixer.backend.mongoengine", "from mongoengine import Document"
    ),  # fmt: skip
    *(
        Tree(name, version, False, name.lower().replace("-", "_"))
        for name, version in WHEELS_LINTED_BEFORE
        if name != "mongoengine"  # its sdist above holds the same library and its tests
    ),
)
UDATA_ENV = ("udata==17.18.0", "pytest==8.3.4", "mock==5.1.0", "pytest-mock==3.14.0",
             "feedparser==6.0.11", "requests-mock==1.12.1")  # fmt: skip
DJANGO_MONGOENGINE = ("django-mongoengine==0.5.6", "Django==4.2.17", "asgiref==3.8.1",
                      "sqlparse==0.5.3")  # fmt: skip
# mongoengine's sdist lacks tests/__init__.py and tests/utils.py, which half its test
# files import; of the rest, these need no server (test_connection and
# test_replicaset_connection want one, test_ci and the changelog check want the repository).
SUITE = ("test_common.py", "test_connection_mongomock.py", "test_datastructures.py",
         "test_dereference.py", "test_signals.py", "test_utils.py")  # fmt: skip
ROUNDS = 3


@dataclass
class Row:
    tree: str
    cells: dict[str, str] = field(default_factory=dict)
    ok: bool = True


def _run(command: list[str | Path], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in command], capture_output=True, text=True, **kwargs)


def _sdist(tree: Tree, cache: Path) -> Path:
    """The release's sdist unpacked once; its setup.py may import pkg_resources, which
    setuptools 70 and later no longer give a build, so pip's metadata step gets an older one."""
    target = cache / "trees" / f"{tree.name}-{tree.version}"
    if (target / ".unpacked").exists():
        return next(p for p in target.iterdir() if p.is_dir())
    downloads = cache / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    constraint = cache / "build-setuptools-below-70.txt"
    constraint.write_text("setuptools<70\n")
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
    command += ["--no-binary", ":all:", "--dest", downloads, f"{tree.name}=={tree.version}"]
    done = _run(command, env={**os.environ, "PIP_CONSTRAINT": str(constraint)})
    if done.returncode != 0:
        raise RuntimeError(f"pip download {tree.name}=={tree.version}: {done.stderr}")
    stem = f"{tree.name}-{tree.version}".lower().replace("_", "-")
    archive = next(
        p for p in downloads.glob("*.tar.gz") if p.name.lower().replace("_", "-").startswith(stem)
    )
    shutil.rmtree(target, ignore_errors=True)
    with tarfile.open(archive) as unpacking:
        unpacking.extractall(target, filter="data")
    (target / ".unpacked").touch()
    return next(p for p in target.iterdir() if p.is_dir())


def fetch(tree: Tree, cache: Path) -> Path:
    if tree.sdist:
        return _sdist(tree, cache)
    wheel = _wheel(tree.name, tree.version, cache / "downloads")
    return _unpacked(wheel, cache / "trees", f"{tree.name}-{tree.version}")


def true_positive_file(tree: Tree, folder: Path) -> tuple[Path, set[tuple[str, int]]]:
    """A handler with the incident's bugs in the project's terms, and the findings it must get."""
    lines = ['"""The incident\'s bugs, beside a real tree, for the lint to find."""', "",
             "import importlib", "", f"import {tree.reload}"]  # fmt: skip
    if tree.document:
        lines += tree.document.splitlines()
    lines += ["", "", "def handle(event):", f"    importlib.reload({tree.reload})"]
    expected = {("MG002", len(lines))}
    if tree.document:
        lines += ["", f"    class Throwaway({tree.base}):", "        pass"]
        expected.add(("MG003", len(lines) - 1))
    path = folder / "gate_true_positives.py"
    path.write_text("\n".join(lines) + "\n")
    return path, expected


def lint(tree: Tree, root: Path, row: Row) -> float:
    with tempfile.TemporaryDirectory() as folder:
        planted, expected = true_positive_file(tree, Path(folder))
        command = [sys.executable, "-m", "modelguard", "lint", "--format", "json", root, planted]
        started = time.perf_counter()
        done = _run(command)
        seconds = time.perf_counter() - started
        if done.returncode not in (0, 1):
            raise RuntimeError(f"modelguard lint on {tree.label}: {done.stderr}")
        findings = json.loads(done.stdout)
        found = {(f["code"], f["line"]) for f in findings if f["path"] == str(planted)}
        alarms = [f for f in findings if f["path"] != str(planted)]
    for f in alarms:  # a false alarm is shown, not only counted
        print(f"  false alarm: {f['path']}:{f['line']}: {f['code']} {f['message']}")
    for code, line in sorted(found - expected):
        print(f"  {tree.label}: unexpected {code} at line {line} of the planted handler")
    hits = len(found & expected)
    row.ok &= not alarms and found == expected
    row.cells["lint"] = f"{len(alarms)} false alarms, {hits} of {len(expected)} true positives"
    return seconds


def udata_python(cache: Path) -> Path:
    env = cache / "envs" / "udata-17.18.0"
    python = env / "bin" / "python"
    if not (env / ".installed").exists():
        shutil.rmtree(env, ignore_errors=True)
        for command in (
            [UV, "venv", "--quiet", "--python", sys.executable, env],
            [UV, "pip", "install", "--quiet", "--python", python, *UDATA_ENV],
        ):
            done = _run(command)
            if done.returncode != 0:
                raise RuntimeError(f"{' '.join(map(str, command))}: {done.stderr}")
        (env / ".installed").touch()
    return python


def django_mongoengine_target(cache: Path) -> Path:
    """The release and its Django, where tests/unit/test_strict_django_mongoengine.py has them."""
    target = cache.parent / "django-mongoengine-0.5.6"
    if not (target / "django_mongoengine-0.5.6.dist-info").is_dir():
        shutil.rmtree(target, ignore_errors=True)
        constraint = cache / "build-setuptools-below-70.txt"
        constraint.write_text("setuptools<70\n")
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target"]
        done = _run([*command, target, *DJANGO_MONGOENGINE],
                    env={**os.environ, "PIP_CONSTRAINT": str(constraint)})  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"pip install {' '.join(DJANGO_MONGOENGINE)}: {done.stderr}")
    return target


def strict_imports(
    label: str, python: Path, path: list[Path], package: str, model: str, row: Row, *extra: str
) -> float:
    tree = path[0]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, [SRC, *path]))}
    command = [python, SCRIPTS / "real_code" / "import_models.py", tree, package, tree / model]
    started = time.perf_counter()
    done = _run([*command, *extra], env=env, cwd=tempfile.gettempdir())
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"strict mode on {label}: {done.stderr}")
    result = json.loads(done.stdout.splitlines()[-1])
    for raised in result["raised"]:
        print(f"  false alarm: {raised}")
    second = result["second_run"] or {}
    hit = bool(second.get("names_the_file"))
    print(f"  {label}: {len(result['imported'])} modules imported, {result['documents']} "
          f"documents registered; not importable for other reasons: "
          f"{len(result['failed'])}")  # fmt: skip
    for name, why in result["failed"].items():
        print(f"    {name}: {why}")
    print(f"  {label}: second run of {model}: {second.get('message') or second}")
    if hit:
        print(f"    again in {second['again']}")
    row.ok &= not result["raised"] and hit
    row.cells["strict mode"] = (
        f"{len(result['raised'])} false alarms in {len(result['imported'])} modules, "
        f"{int(hit)} of 1 true positives"
    )
    return seconds


PLANTED_TEST = """
import importlib
import os
import sys

import mongoengine.common


def test_imports_mongoengines_common_under_a_second_name():
    folder = os.path.dirname(mongoengine.common.__file__)
    sys.path.insert(0, folder)
    try:
        second = importlib.import_module("common")
    finally:
        sys.path.remove(folder)
    assert second is not mongoengine.common
"""
# The true positive the plugin must report: the planted test imports this file twice.
PLANTED_FILE = os.path.join("mongoengine", "common.py")
_REPORTED = re.compile(r"^(\S+) was imported under \d+ module names", re.MULTILINE)


@dataclass
class SuiteRun:
    counts: dict[str, int]
    seconds: float  # wall clock
    cpu: float  # user and system time of pytest's process: what the tools add, less the noise
    reported: list[str]  # files the plugin reported as imported under two names


def _pytest(root: Path, planted: Path, plugins: list[str]) -> SuiteRun:
    command: list[str | Path] = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    for plugin in ["mongomock_only", *plugins]:
        command += ["-p", plugin]
    command += ["--rootdir", root, *(Path("tests") / name for name in SUITE), planted]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SCRIPTS / "real_code"), str(SRC)])}
    before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    done = _run(command, cwd=root, env=env)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    counts = {kind: int(n) for n, kind in re.findall(r"(\d+) (passed|failed|errors?)", summary)}
    if "passed" not in counts:
        raise RuntimeError(f"mongoengine's tests did not run: {summary or done.stderr}")
    return SuiteRun(counts, seconds, cpu, _REPORTED.findall(done.stdout))


def suite(root: Path, row: Row) -> None:
    runs: dict[str, list[SuiteRun]] = {"without": [], "with": []}
    with tempfile.TemporaryDirectory() as folder:
        planted = Path(folder) / "test_gate_double_import.py"
        planted.write_text(PLANTED_TEST)
        for _ in range(ROUNDS):
            runs["without"].append(_pytest(root, planted, []))
            runs["with"].append(_pytest(root, planted, ["strict_on", "modelguard.pytest_plugin"]))
    counts = {kind: {str(r.counts) for r in each} for kind, each in runs.items()}
    reported = {file for run in runs["with"] for file in run.reported}
    alarms = sorted(reported - {PLANTED_FILE})
    hit = all(PLANTED_FILE in run.reported for run in runs["with"])
    same = len(counts["without"] | counts["with"]) == 1
    row.ok &= same and hit and not alarms
    without = statistics.median(r.seconds for r in runs["without"])
    with_ = statistics.median(r.seconds for r in runs["with"])
    cpu_without = statistics.median(r.cpu for r in runs["without"])
    cpu_with = statistics.median(r.cpu for r in runs["with"])
    overhead = 100 * (cpu_with - cpu_without) / cpu_without
    passed = runs["with"][0].counts.get("passed", 0)
    for file in alarms:
        print(f"  false alarm: the plugin reported {file}")
    print(f"  mongoengine's tests (and the planted double import) without the tools: "
          f"{', '.join(sorted(counts['without']))}; median {without:.2f} s wall, "
          f"{cpu_without:.2f} s CPU")  # fmt: skip
    print(f"  with -p modelguard.pytest_plugin and strict mode: "
          f"{', '.join(sorted(counts['with']))}; median {with_:.2f} s wall, {cpu_with:.2f} s "
          f"CPU; overhead {overhead:+.1f}% of CPU time ({ROUNDS} runs each, alternating); "
          f"the plugin reported {sorted(reported) or 'nothing'}")  # fmt: skip
    row.cells["plugin and strict mode on its tests"] = (
        f"{passed} passed with them and {runs['without'][0].counts.get('passed', 0)} without"
        f"{'' if same else ' (DIFFERENT)'}; {len(alarms)} false alarms, {int(hit)} of 1 true "
        f"positives; CPU time {overhead:+.0f}%"
    )


COLUMNS = ("lint", "strict mode", "plugin and strict mode on its tests")


def table(rows: list[Row]) -> str:
    lines = ["| tree | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for row in rows:
        cells = [row.cells.get(column, "-") for column in COLUMNS]
        lines.append(f"| {row.tree} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=CACHE, help=f"default: {CACHE}")
    args = parser.parse_args(argv)
    rows: dict[str, Row] = {}
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    try:
        roots = {tree.name: fetch(tree, args.cache) for tree in TREES}
        seconds["downloads"] = time.perf_counter() - started
        for tree in TREES:
            rows[tree.name] = Row(tree.label)
            seconds[f"lint {tree.label}"] = lint(tree, roots[tree.name], rows[tree.name])
        begun = time.perf_counter()
        python, target = udata_python(args.cache), django_mongoengine_target(args.cache)
        seconds["environments of udata and django-mongoengine"] = time.perf_counter() - begun
        seconds["strict mode, udata"] = strict_imports(
            "udata", python, [roots["udata"]], "udata",
            "udata/core/dataset/models.py", rows["udata"],
        )  # fmt: skip
        seconds["strict mode, django-mongoengine"] = strict_imports(
            "django-mongoengine", Path(sys.executable), [target], "django_mongoengine",
            "django_mongoengine/mongo_auth/models.py", rows["django-mongoengine"], "--django",
        )  # fmt: skip
        begun = time.perf_counter()
        suite(roots["mongoengine"], rows["mongoengine"])
        seconds[f"mongoengine's tests, {2 * ROUNDS} runs"] = time.perf_counter() - begun
    except (OSError, RuntimeError, StopIteration, subprocess.CalledProcessError) as error:
        print(f"real_code_gate: {error}", file=sys.stderr)
        return 2
    print()
    print(table(list(rows.values())))
    print()
    for what, spent in seconds.items():
        print(f"  {what:<45} {spent:6.1f} s")
    print(f"  {'total':<45} {time.perf_counter() - started:6.1f} s")
    return 0 if all(row.ok for row in rows.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
