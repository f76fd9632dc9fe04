"""Databases and brokers are opened, and allocation workers built, in one place:
bootstrap (over db.py and the broker drivers). Everything else in src/ asks it."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "modelguard"
# Where opening a database or a broker is the job: the wiring, and what it wires.
OPENERS = ("bootstrap.py", "db.py", "messaging/drivers/")
BUILT_BY_BOOTSTRAP = {"MemoryBroker", "KafkaBroker", "MongoClient", "AllocationWorker"}


def openings(package: Path) -> list[str]:
    """`file:line what` for each database, broker or worker made outside OPENERS."""
    found = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package).as_posix()
        if relative.startswith(OPENERS):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), relative)
        here = [(node.lineno, what) for node in ast.walk(tree) if (what := _opened(node))]
        found += [f"{relative}:{line} {what}" for line, what in sorted(here)]
    return found


def _opened(node: ast.AST) -> str | None:
    if isinstance(node, ast.ImportFrom) and node.module == "modelguard.messaging.drivers":
        names = {alias.name for alias in node.names} & {"open_broker", "driver"}
        return f"imports {', '.join(sorted(names))} from the drivers" if names else None
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    if name in BUILT_BY_BOOTSTRAP or name == "driver":
        return f"calls {name}()"
    if (
        isinstance(func, ast.Attribute)
        and func.attr == "connect"
        and isinstance(func.value, ast.Name)
        and func.value.id in ("db", "mongoengine")
    ):
        return f"calls {func.value.id}.connect()"
    return None


def test_nothing_outside_bootstrap_opens_a_database_or_a_broker_or_builds_a_worker():
    assert openings(PACKAGE) == []


def test_each_way_of_opening_one_elsewhere_is_found(tmp_path):
    lab = tmp_path / "lab"
    lab.mkdir()
    (lab / "sneaky.py").write_text(
        "from modelguard import db\n"
        "from modelguard.messaging.drivers import open_broker\n"
        "from modelguard.messaging.drivers.memory import MemoryBroker\n"
        "bus = MemoryBroker(clock=None)\n"
        "database = db.connect(db='x')\n"
        "client = pymongo.MongoClient()\n"
        "worker = AllocationWorker('buggy', faults=plan)\n",
        encoding="utf-8",
    )
    (tmp_path / "bootstrap.py").write_text("bus = MemoryBroker()\n", encoding="utf-8")

    assert openings(tmp_path) == [
        "lab/sneaky.py:2 imports open_broker from the drivers",
        "lab/sneaky.py:4 calls MemoryBroker()",
        "lab/sneaky.py:5 calls db.connect()",
        "lab/sneaky.py:6 calls MongoClient()",
        "lab/sneaky.py:7 calls AllocationWorker()",
    ]
