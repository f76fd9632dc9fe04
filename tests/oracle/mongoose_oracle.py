"""Real Mongoose and the registry, asked the same questions in the same words.

`MongooseOracle` runs tests/oracle/mongoose/oracle.js (one long-lived Node process
over real Mongoose, installed by scripts/mongoose.sh) and `RegistryWorld` answers
the same JSON operations with `modelguard.ModelRegistry`. Both answer
`{value, error, state}` in one shape (oracle.js documents the operations), models
as identities numbered in order of first sight, so two answers compare with `==`
once `expected_from()` has applied the documented differences (docs/registry.md).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from mongoengine import fields

from modelguard import ModelRegistry, Schema

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
ORACLE_JS = HERE / "mongoose" / "oracle.js"
INSTALL_SCRIPT = REPO / "scripts" / "mongoose.sh"
REQUIRE_VARIABLE = "MODELGUARD_REQUIRE_SERVICES"


def required() -> bool:
    """CI sets MODELGUARD_REQUIRE_SERVICES=1: a missing oracle then fails instead of skipping."""
    return os.environ.get(REQUIRE_VARIABLE) == "1"


def install_dir() -> tuple[Path | None, str]:
    """Where scripts/mongoose.sh installed the pinned Mongoose, or None and why not."""
    if shutil.which("node") is None:
        return None, "node is not on PATH (the differential test runs real Mongoose on Node.js)"
    done = subprocess.run(
        ["bash", str(INSTALL_SCRIPT), "path"], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        return None, (
            "the pinned Mongoose is not installed: run `bash scripts/mongoose.sh install` "
            f"({done.stderr.strip()})"
        )
    return Path(done.stdout.strip()), ""


class MongooseOracle:
    """One Node process running oracle.js; `ask()` sends an operation, returns its answer."""

    def __init__(self, root: Path) -> None:
        self._process = subprocess.Popen(
            ["node", str(ORACLE_JS), str(root)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        self.version = self.ask({"op": "version"})["value"]

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        self.send(request)
        return self.receive()

    def send(self, request: dict[str, Any]) -> None:
        """Send one operation; `receive()` reads its answer. In between, the caller may
        work while Node does (the differential test runs the registry's side there)."""
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()

    def receive(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the Mongoose oracle exited ({self._process.wait()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()


def field_set(paths: list[str]) -> dict[str, fields.BaseField]:
    """Mongoose's `{path: String, ...}`."""
    return {path: fields.StringField() for path in paths}


class RegistryWorld:
    """The registry's answers to oracle.js's operations (`kinds` may name only "mongoose":
    a registry is a Mongoose object; connections differ, see docs/registry.md)."""

    def __init__(self) -> None:
        self.registries: list[ModelRegistry] = []
        self.schemas: dict[int, Schema] = {}
        self._ids: dict[type, int] = {}
        self._by_id: list[type] = []

    def close(self) -> None:
        for registry in self.registries:
            registry.reset()

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        value: Any = None
        error = None
        try:
            value = self._describe(self._run(request))
        except Exception as e:  # every error is an answer to compare
            error = {"class": type(e).__name__, "message": str(e)}
        return {"value": value, "error": error, "state": self._state()}

    def _identity(self, cls: type) -> int:
        if cls not in self._ids:
            self._ids[cls] = len(self._by_id)
            self._by_id.append(cls)
        return self._ids[cls]

    def _describe(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, ModelRegistry):
            return {"registry": self.registries.index(value)}
        if isinstance(value, type):
            return {
                "model": self._identity(value),
                "name": value.__name__,
                "collection": value._meta["collection"],  # type: ignore[attr-defined]
            }
        return {"other": type(value).__name__, "text": str(value)[:60]}

    def _state(self) -> list[dict[str, Any]]:
        # Described in JavaScript's key order, so identities are handed out in the order
        # oracle.js hands them out; `names` keeps the registry's own order.
        return [
            {
                "names": r.model_names(),
                "models": [[n, self._describe(r.models[n])] for n in js_key_order(list(r.models))],
            }
            for r in self.registries
        ]

    def _schema(self, spec: dict[str, Any]) -> Any:
        if "ref" in spec:
            return self.schemas[spec["ref"]]
        if "pojo" in spec:
            return field_set(spec["pojo"])
        if "of" in spec:
            return self._by_id[spec["of"]].schema  # type: ignore[attr-defined]
        if "value" in spec:
            return spec["value"]
        return spec.get("string")

    def _run(self, request: dict[str, Any]) -> Any:
        op = request["op"]
        registry = self.registries[request.get("reg", 0)] if self.registries else None
        if op == "reset":
            if set(request["kinds"]) != {"mongoose"}:
                raise ValueError("a registry stands for a Mongoose object, not a connection")
            if request.get("options"):
                raise ValueError("a registry takes no Mongoose options")
            self.close()
            self.registries = [ModelRegistry() for _ in request["kinds"]]
            self.schemas, self._ids, self._by_id = {}, {}, []
            return None
        if op == "schema":
            self.schemas[request["id"]] = Schema(
                field_set(request["fields"]), collection=request["collection"]
            )
            return None
        assert registry is not None
        name = request.get("name")
        if op == "model":
            keys = {"schema", "collection", "overwrite"} & request.keys()
            if not keys:
                return registry.model(name)
            schema = self._schema(request["schema"]) if "schema" in request else None
            return registry.model(
                name, schema, request.get("collection"), overwrite=request.get("overwrite")
            )
        if op == "get":
            return registry.models.get(name)
        if op == "guard":
            return registry.models.get(name) or registry.model(
                name, self._schema(request["schema"])
            )
        if op == "del":
            del registry.models[name]
            return None
        if op == "delete_model":
            if "pattern" in request:
                flags = re.IGNORECASE if "i" in request["pattern"]["flags"] else 0
                return registry.delete_model(re.compile(request["pattern"]["source"], flags))
            return registry.delete_model(name)
        if op == "set":
            registry.overwrite_models = request["value"]
            return None
        if op == "schema_path":
            return registry.model(name, Schema(field_set([request["path"]])))
        raise ValueError(f"unknown operation {op!r}")


_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")


def is_array_index(key: str) -> bool:
    """A key JavaScript's objects list first, in numeric order: a canonical integer
    below 2**32 - 1."""
    return _ARRAY_INDEX.fullmatch(key) is not None and int(key) < 2**32 - 1


def js_key_order(names: list[str]) -> list[str]:
    """`names` (in insertion order) as `Object.keys()` would list them."""
    indexes = sorted((n for n in names if is_array_index(n)), key=int)
    return indexes + [n for n in names if not is_array_index(n)]


def expected_from(request: dict[str, Any], mongoose: dict[str, Any]) -> dict[str, Any]:
    """What the registry should answer, given Mongoose's answer: Mongoose's, with the
    differences docs/registry.md lists applied. Nothing else is forgiven."""
    expected = json.loads(json.dumps(mongoose))
    error = expected["error"]
    if error and error["class"] == "MissingSchemaError":
        # The hint names the Python call.
        error["message"] = error["message"].replace("mongoose.model(", "modelguard.model(")
    return expected


def compare(request: dict[str, Any], mongoose: dict[str, Any], registry: dict[str, Any]) -> None:
    """Assert that the registry answered `request` as Mongoose did, up to the documented
    differences."""
    expected = expected_from(request, mongoose)
    actual = json.loads(json.dumps(registry))
    for state in actual["state"]:
        # modelNames() lists integer-like names first in JavaScript (object key order).
        state["names"] = js_key_order(state["names"])
    if request["op"] == "del" and actual["error"] and actual["error"]["class"] == "KeyError":
        # `delete obj[key]` of a missing key is silent in JavaScript; Python's `del` raises.
        if expected["error"] is None:
            actual["error"] = None
    assert actual == expected, (
        f"the registry and Mongoose {mongoose_version_hint()} differ on {json.dumps(request)}:\n"
        f"  Mongoose: {json.dumps(expected)}\n  registry: {json.dumps(actual)}"
    )


def mongoose_version_hint() -> str:
    lock = json.loads((HERE / "mongoose" / "package-lock.json").read_text(encoding="utf-8"))
    return str(lock["packages"]["node_modules/mongoose"]["version"])
