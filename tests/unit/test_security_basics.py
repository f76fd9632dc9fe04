"""Security basics: payloads are data, sizes are bounded, secrets stay out of logs and git."""

from __future__ import annotations

import ast
import json
import re
import subprocess
from pathlib import Path

import pytest

from modelguard import db
from modelguard.messaging.events import MAX_PAYLOAD_BYTES, MalformedEvent, parse_event

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "modelguard"
# Code that handles records from the broker, and the platform code the worker runs.
UNTRUSTED_INPUT_CODE = ("messaging", "academy")
FORBIDDEN_CALLS = {"eval", "exec"}
FORBIDDEN_MODULES = {"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill", "cloudpickle"}


def _python_files():
    return sorted(p for part in UNTRUSTED_INPUT_CODE for p in (PACKAGE / part).rglob("*.py"))


def _dangerous_uses(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in FORBIDDEN_CALLS:
            found.append(f"{path.name}:{node.lineno} calls {node.func.id}()")
        elif isinstance(node, ast.Import):
            found += [
                f"{path.name}:{node.lineno} imports {alias.name}"
                for alias in node.names
                if alias.name.split(".")[0] in FORBIDDEN_MODULES
            ]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] in FORBIDDEN_MODULES:
                found.append(f"{path.name}:{node.lineno} imports from {node.module}")
    return found


def test_the_scan_covers_the_messaging_and_academy_code():
    names = {p.name for p in _python_files()}
    assert {"consumer.py", "events.py", "allocation.py"} <= names


def test_the_scan_finds_eval_and_pickle(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("# eval( in a comment is fine\nimport pickle\nvalue = eval('1')\n")
    assert _dangerous_uses(sample) == ["sample.py:2 imports pickle", "sample.py:3 calls eval()"]


@pytest.mark.parametrize("path", _python_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_code_that_sees_records_never_evaluates_or_unpickles(path):
    assert _dangerous_uses(path) == []


def _event_of_size(size: int) -> bytes:
    data = {
        "type": "PURCHASE_CREATED",
        "event_id": "evt-1",
        "purchase_id": "pur-1",
        "user_id": "student-1",
        "course_id": "course-1",
        "padding": "",
    }
    filler = size - len(json.dumps(data, separators=(",", ":")))
    data["padding"] = "x" * filler
    payload = json.dumps(data, separators=(",", ":")).encode()
    assert len(payload) == size
    return payload


def test_a_payload_at_the_size_limit_is_parsed():
    assert parse_event(_event_of_size(MAX_PAYLOAD_BYTES)).event_id == "evt-1"


def test_a_payload_over_the_size_limit_is_refused_before_it_is_parsed():
    with pytest.raises(MalformedEvent, match="over the 65536-byte limit"):
        parse_event(_event_of_size(MAX_PAYLOAD_BYTES + 1))
    with pytest.raises(MalformedEvent, match="limit"):
        parse_event(b"\xff" * (MAX_PAYLOAD_BYTES + 1))  # not even decoded


def test_deeply_nested_json_is_malformed_not_a_crash():
    with pytest.raises(MalformedEvent, match="nested"):
        parse_event(b"[" * 20_000 + b"]" * 20_000)


@pytest.mark.parametrize(
    "uri",
    [
        "mongodb://app:s3cret@db.internal:27017/modelguard",
        "mongodb+srv://app:s3cret@cluster0.example.net/modelguard?retryWrites=true",
        "mongodb://app:s3cret@h1:27017,h2:27017/modelguard?replicaSet=rs0",
        "mongodb://app:" + "s3cret%40x" + "@db.internal/modelguard",  # split: see the scan below
    ],
)
def test_redact_hides_the_password(uri):
    shown = db.redact(uri)
    assert "s3cret" not in shown
    assert "app:***@" in shown


# -- no credentials in the repository ------------------------------------------------------

# "modelguard-lab" is the lab broker's SASL password, published on purpose (scripts/kafka.sh,
# the README): a credential for trying SASL locally, not a secret.
_PLACEHOLDERS = {
    "s3cret", "secret", "password", "changeme", "example", "test", "p", "x", "modelguard-lab",
}  # fmt: skip
_SECRET_PATTERNS = [
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),  # AWS access key id
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b"),  # GitHub token
    re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),  # Slack token
]
# A password, secret, API key or token assigned a quoted value, in code, JSON or YAML.
_ASSIGNED_SECRET = re.compile(
    r"(?i)(?:password|passwd|secret|api_?key|token)[\"']?\s*[:=]\s*[\"']([^\"'\s]+)[\"']"
)
_URI_PASSWORD = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@\"']+:([^\s@/\"']+)@")
# A value that names a secret rather than holding one: "sasl_plain_password", "KAFKA_SASL_PASSWORD".
_NAMES_A_SECRET = re.compile(r"(?i)[a-z_.]*(?:password|passwd|secret|token|key)[a-z_.]*")


def _is_placeholder(value: str) -> bool:
    return (
        value.lower() in _PLACEHOLDERS
        or set(value) <= {"*", "x", "X"}
        or value.startswith(("$", "<", "{", "%("))
        or _NAMES_A_SECRET.fullmatch(value) is not None
    )


def credentials_in(text: str) -> list[str]:
    found = [m.group(0) for pattern in _SECRET_PATTERNS for m in pattern.finditer(text)]
    for pattern in (_ASSIGNED_SECRET, _URI_PASSWORD):
        found += [m.group(0) for m in pattern.finditer(text) if not _is_placeholder(m.group(1))]
    return found


def test_the_credential_scan_finds_real_looking_secrets():
    # Built from pieces, so that this file does not trip the scan of the repository.
    assert credentials_in('KAFKA_SASL_PASSWORD = "' + "Tr0ub4dor&3" + '"')
    assert credentials_in("MONGODB_URI=mongodb://admin:" + "hunter2@10.0.0.5/prod")
    assert credentials_in("-----BEGIN RSA " + "PRIVATE KEY-----")
    assert not credentials_in('sasl_plain_password="s3cret"')
    assert not credentials_in("mongodb://app:***@db.internal/x")
    assert not credentials_in('password = os.environ["KAFKA_SASL_PASSWORD"]')
    assert not credentials_in('{"KAFKA_SASL_PASSWORD": "sasl_plain_password"}')


def test_no_file_in_git_holds_a_credential():
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    leaks = {}
    for name in filter(None, (n.decode() for n in listed)):
        path = ROOT / name
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        text = path.read_bytes().decode("utf-8", "replace")
        if found := credentials_in(text):
            leaks[name] = found
    assert leaks == {}
