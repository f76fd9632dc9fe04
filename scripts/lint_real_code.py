"""The lint check on real code nobody here wrote: pinned releases of well-known libraries.

    .venv/bin/python scripts/lint_real_code.py [--cache DIR]

None of these libraries has the incident's bug (a handler that runs module code
again on every event or retry), so every finding a default run makes on them is
a false alarm. The script downloads each pinned wheel once with
``pip download --no-deps`` into ``~/.cache/modelguard/lint-corpus``, unpacks it,
runs ``python -m modelguard lint`` on the tree as a user would (default rules,
a fresh process, timed by the wall clock), and prints per tree the files, lines,
findings by code and seconds. On the largest tree it also times
``ruff check --select F`` (pyflakes' checks, no cache), and prints lines per
second for both.

Exit status: 0 when no tree has a finding, 1 when any has, 2 when a download or
a run fails.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from modelguard.lint import iter_python_files

# Pinned so that a table stays comparable between runs. The last one is built
# on Django's models and management commands throughout.
RELEASES = (
    ("mongoengine", "0.29.1"),
    ("celery", "5.4.0"),
    ("Django", "5.1.4"),
    ("SQLAlchemy", "2.0.36"),
    ("django-extensions", "3.2.3"),
)
CACHE = Path.home() / ".cache" / "modelguard" / "lint-corpus"


@dataclass
class Result:
    tree: str
    files: int
    lines: int
    findings: Counter[str]
    seconds: float


def _wheel(name: str, version: str, downloads: Path) -> Path:
    """The release's wheel in the cache, downloaded with pip the first time."""
    prefix = f"{name.replace('-', '_').lower()}-{version}-"
    cached = [p for p in downloads.glob("*.whl") if p.name.lower().startswith(prefix)]
    if not cached:
        downloads.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        command += ["--only-binary", ":all:", "--dest", str(downloads), f"{name}=={version}"]
        subprocess.run(command, check=True)
        cached = [p for p in downloads.glob("*.whl") if p.name.lower().startswith(prefix)]
    if not cached:
        raise RuntimeError(f"pip saved no wheel for {name}=={version} in {downloads}")
    return sorted(cached)[0]


def _unpacked(wheel: Path, trees: Path, tree: str) -> Path:
    """The wheel unpacked once; a marker file says the unpacking finished."""
    target = trees / tree
    done = target / ".unpacked"
    if not done.exists():
        shutil.rmtree(target, ignore_errors=True)
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(target)
        done.touch()
    return target


def _lines(files: list[str]) -> int:
    total = 0
    for file in files:
        with open(file, "rb") as handle:
            total += handle.read().count(b"\n")
    return total


def _lint(tree: str, root: Path) -> Result:
    files = list(iter_python_files([str(root)]))
    command = [sys.executable, "-m", "modelguard", "lint", "--format", "json", str(root)]
    started = time.perf_counter()
    run = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if run.returncode not in (0, 1):
        raise RuntimeError(f"modelguard lint failed on {tree} ({run.returncode}): {run.stderr}")
    findings = json.loads(run.stdout)
    for finding in findings:  # a false alarm is shown, not only counted
        print(f"  {finding['path']}:{finding['line']}: {finding['code']} {finding['message']}")
    return Result(tree, len(files), _lines(files), Counter(f["code"] for f in findings), seconds)


def _ruff_seconds(root: Path) -> float:
    beside = Path(sys.executable).parent / "ruff"  # the venv's own, before any on PATH
    ruff = str(beside) if beside.is_file() else shutil.which("ruff")
    if ruff is None:
        raise RuntimeError("ruff is not installed (it comes with the dev extra)")
    command = [ruff, "check", "--select", "F", "--isolated", "--no-cache", "--exit-zero"]
    command += ["--quiet", str(root)]
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def _table(results: list[Result]) -> str:
    rows = ["| tree | files | lines | findings | seconds |", "|---|---:|---:|---|---:|"]
    for r in results:
        found = ", ".join(f"{n} {code}" for code, n in sorted(r.findings.items())) or "0"
        rows.append(f"| {r.tree} | {r.files} | {r.lines:,} | {found} | {r.seconds:.1f} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=CACHE, help=f"default: {CACHE}")
    args = parser.parse_args(argv)
    results: list[Result] = []
    roots: dict[str, Path] = {}
    try:
        for name, version in RELEASES:
            tree = f"{name} {version}"
            wheel = _wheel(name, version, args.cache / "downloads")
            roots[tree] = _unpacked(wheel, args.cache / "trees", f"{name}-{version}")
            results.append(_lint(tree, roots[tree]))
        largest = max(results, key=lambda r: r.lines)
        ruff = _ruff_seconds(roots[largest.tree])
    except (OSError, RuntimeError, subprocess.CalledProcessError) as error:
        print(f"lint_real_code: {error}", file=sys.stderr)
        return 2
    print(_table(results))
    print()
    print(f"largest tree, {largest.tree}, {largest.lines:,} lines:")
    for tool, seconds in (("modelguard lint", largest.seconds), ("ruff check --select F", ruff)):
        print(f"  {tool:<22} {seconds:6.1f} s  {largest.lines / seconds:>9,.0f} lines/s")
    return 1 if any(r.findings for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
