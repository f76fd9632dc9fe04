"""Five ways a Python team runs a model file twice, set up on a throwaway plain-mongoengine package.

Notebook 09 reproduces each trigger live and asks four judges about it: plain
mongoengine, `modelguard.strict`, the lint and the pytest plugin. This module
decides what the package looks like and how each judge is asked:

- one model file per trigger, each with one `Document`, so every judge's
  verdict can be read per trigger from one run;
- the code that triggers a second run lives in the package where it can
  (a reload helper, a plugin loader, a settings file that edits `sys.path`),
  so the lint has something to look at; `%autoreload 2` is a magic and
  `python -m` a command line, so they leave nothing in the code;
- `tests/test_triggers.py` does each trigger once inside pytest, so one pytest
  run shows what the plugin sees.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mongoengine.base.common import _document_registry

import modelguard
from modelguard.lint import lint_paths
from modelguard.lint.findings import RULES

# trigger -> (model file, its document class)
TRIGGERS = {
    "%autoreload 2": ("shop/lessons.py", "Lesson"),
    "importlib.reload": ("shop/courses.py", "Course"),
    "python -m shop.app": ("shop/app.py", "Order"),
    "parent folder on sys.path": ("shop/carts.py", "Cart"),
    "load by file path": ("shop/vouchers.py", "Voucher"),
}

_MODEL = (
    "from mongoengine import Document, fields\n\n\n"
    "class {cls}(Document):\n    name = fields.StringField()\n"
)

_CODE = {
    "shop/__init__.py": "",
    "shop/app.py": _MODEL.format(cls="Order")
    + textwrap.dedent(
        """
        if __name__ == "__main__":
            import shop.app  # what uvicorn.run("shop.app:app") does inside app.py
            from mongoengine.base.common import get_document

            print("registry holds the __main__ class:", get_document("Order") is Order)
        """
    ),
    "shop/dev.py": textwrap.dedent(
        """
        import importlib

        import shop.courses


        def refresh():
            \"\"\"Pick up edits to the course model without a restart.\"\"\"
            importlib.reload(shop.courses)
        """
    ),
    "shop/settings.py": textwrap.dedent(
        """
        import os
        import sys

        # lets the apps import each other as top-level modules (cookiecutter-django#175)
        sys.path.append(os.path.dirname(__file__))
        """
    ),
    "shop/plugins.py": textwrap.dedent(
        """
        import importlib.util
        import sys


        def load_copy(path, name):
            \"\"\"Load a file as its own module, as pytest's importlib mode does.\"\"\"
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
            return module
        """
    ),
    "tests/test_triggers.py": textwrap.dedent(
        """
        import os
        import runpy
        from pathlib import Path

        ROOT = Path(__file__).resolve().parents[1]


        def test_autoreload():
            from IPython.extensions.autoreload import ModuleReloader

            reloader = ModuleReloader()
            reloader.enabled = reloader.check_all = True
            import shop.lessons
            from mongoengine.base.common import get_document

            first = get_document("Lesson")
            reloader.check()  # notes the file's time
            with open(shop.lessons.__file__, "a") as file:
                file.write("    level = fields.StringField()\\n")
            stamp = os.stat(shop.lessons.__file__).st_mtime + 2
            os.utime(shop.lessons.__file__, (stamp, stamp))
            reloader.check()  # what runs before every cell under %autoreload 2
            assert get_document("Lesson") is not first


        def test_reload():
            import shop.dev
            shop.dev.refresh()


        def test_run_as_main():
            runpy.run_module("shop.app", run_name="__main__", alter_sys=True)


        def test_parent_folder_on_sys_path():
            import shop.carts
            import shop.settings  # puts shop/ itself on sys.path
            import carts


        def test_load_by_file_path():
            import shop.plugins
            import shop.vouchers
            shop.plugins.load_copy(ROOT / "shop" / "vouchers.py", "vouchers_copy")
        """
    ),
}


def write_project(root: Path) -> Path:
    """Write the package and its tests under `root`; return `root`."""
    files = {path: _MODEL.format(cls=cls) for path, cls in TRIGGERS.values()} | _CODE
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    (root / "pytest.ini").write_text("[pytest]\npythonpath = .\n")
    return root


@contextmanager
def importable(root: Path) -> Iterator[None]:
    """`shop` importable from `root` for the block; afterwards, `forget(root)`."""
    sys.path.insert(0, str(root))
    try:
        yield
    finally:
        forget(root)


def forget(root: Path) -> None:
    """Undo every trace of the package: its sys.path entries, modules and documents."""
    sys.path[:] = [p for p in sys.path if p not in (str(root), str(root / "shop"))]
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", "") or "").startswith(str(root)):
            del sys.modules[name]
    for _, cls in TRIGGERS.values():
        _document_registry.pop(cls, None)


def add_field(path: Path, field: str) -> None:
    """Edit a model file as a developer would: one more field on its (last) document class.

    The modification time moves on too, since autoreload goes by it. A change to the
    class body matters: IPython 9's autoreload patches some edits in place without
    running the module again, and an unchanged file it leaves alone.
    """
    with path.open("a") as file:
        file.write(f"    {field} = fields.StringField()\n")
    stamp = path.stat().st_mtime + 2
    os.utime(path, (stamp, stamp))


@contextmanager
def autoreload_failures() -> Iterator[list[BaseException]]:
    """The errors IPython's autoreload logs (it catches them) while the block runs."""
    caught: list[BaseException] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.exc_info and record.exc_info[1] is not None:
                caught.append(record.exc_info[1])

    logger, handler = logging.getLogger("autoreload"), Keep()
    logger.addHandler(handler)
    try:
        yield caught
    finally:
        logger.removeHandler(handler)


def run_app(root: Path, *, strict: bool) -> subprocess.CompletedProcess[str]:
    """`python -m shop.app` in a fresh process; strict mode switched on at start-up when asked.

    Strict mode comes from a sitecustomize.py (Python imports it at start-up),
    so the package itself stays plain mongoengine.
    """
    boot = root / ("boot-strict" if strict else "boot-plain")
    boot.mkdir(exist_ok=True)
    (boot / "sitecustomize.py").write_text(
        "import modelguard.strict\nmodelguard.strict.enable()\n" if strict else ""
    )
    src = Path(modelguard.__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(boot), str(root), str(src)])}
    return subprocess.run(
        [sys.executable, "-m", "shop.app"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def lint_verdicts(root: Path) -> dict[str, list[str]]:
    """Per trigger, the lint codes found in the code that triggers it (empty: nothing to see).

    Every code is selected, the opt-in ones too: a reload helper or a plugin loader that
    no handler calls is MG007 (a load off any call or retry path), which a default run
    does not fail on, and the notebook says which is which.
    """
    report = lint_paths([str(root / "shop")], select=RULES)
    where = {
        "%autoreload 2": None,
        "importlib.reload": "shop/dev.py",
        "python -m shop.app": "shop/app.py",
        "parent folder on sys.path": "shop/settings.py",
        "load by file path": "shop/plugins.py",
    }
    verdicts: dict[str, list[str]] = {}
    for trigger, path in where.items():
        verdicts[trigger] = sorted(
            {
                f.code
                for f in report.findings
                if path and Path(f.path).resolve() == (root / path).resolve()
            }
        )
    return verdicts


_REPORTED = re.compile(r"^(?P<file>\S+) was imported under \d+ module names: (?P<names>.+?);", re.M)


@dataclass(frozen=True)
class PluginRun:
    """One pytest run of the package's tests under the plugin."""

    returncode: int
    summary: str  # pytest's last line, e.g. "1 failed, 5 passed in 1.2s" style counts
    reported: dict[str, list[str]]  # trigger -> module names reported for its file


def plugin_verdicts(root: Path) -> PluginRun:
    """Run the package's tests under `-p modelguard.pytest_plugin`; per trigger, the module
    names the plugin reported for its model file (empty: not reported)."""
    src = Path(modelguard.__file__).resolve().parents[1]
    # The throwaway project's tests need the one plugin they name; the others installed
    # beside it would only slow the start.
    env = {**os.environ, "PYTHONPATH": str(src), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    command = [sys.executable, "-m", "pytest", "-q", "--color=no", "-p", "modelguard.pytest_plugin"]
    done = subprocess.run(
        [*command, "-p", "no:cacheprovider", "tests"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = {
        m["file"]: re.findall(r"'([^']+)'", m["names"]) for m in _REPORTED.finditer(done.stdout)
    }
    lines = done.stdout.strip().splitlines()
    return PluginRun(
        done.returncode,
        lines[-1] if lines else "",
        {trigger: found.get(path, []) for trigger, (path, _) in TRIGGERS.items()},
    )


JUDGES = ("plain mongoengine", "modelguard.strict", "lint", "pytest plugin")


def markdown_table(table: dict[str, dict[str, str]]) -> str:
    """Triggers down, judges across, as a Markdown table; a verdict not recorded shows as `?`."""
    lines = ["| trigger | " + " | ".join(JUDGES) + " |", "|---" * (len(JUDGES) + 1) + "|"]
    for trigger, verdicts in table.items():
        cells = [f"`{trigger}`", *(verdicts.get(judge, "?") for judge in JUDGES)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
