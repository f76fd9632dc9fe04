"""What the lab relies on the MongoDB-wire server itself to do right.

The worker's guarantees rest on the server: concurrent `$inc`s must all count, a
unique index must let exactly one of several racing inserts through, a sort must
come back in order (the least-loaded trainer is the first of a sort), and a
restart of the database, as in the outage drill, must keep the data and its
indexes. These are asked with PyMongo of the server MONGODB_URI names
(mongo-java-server locally); the restart is done on a server of the test's own,
started by scripts/mongo.sh on a free port, so the shared one is never touched.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import threading
import uuid
from pathlib import Path

import pytest
from mongoengine import Document, IntField, StringField
from mongoengine.errors import NotUniqueError
from pymongo import ASCENDING, DESCENDING, MongoClient, ReturnDocument
from pymongo.errors import DuplicateKeyError

from modelguard import db

pytestmark = [pytest.mark.integration, pytest.mark.mongodb]

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
THREADS = 8


@pytest.fixture
def collection(mongodb_uri):
    """A collection in a database of this test's own, dropped afterwards."""
    client = MongoClient(mongodb_uri, serverSelectionTimeoutMS=10_000)
    name = f"mg_server_{uuid.uuid4().hex[:10]}"
    yield client[name]["items"]
    client.drop_database(name)
    client.close()


def run_threads(target, n: int = THREADS) -> list[BaseException]:
    """Run `target(i)` in n threads released together; the exceptions they raised."""
    start = threading.Barrier(n)
    errors: list[BaseException] = []

    def body(i: int) -> None:
        start.wait()
        try:
            target(i)
        except BaseException as error:  # noqa: BLE001 - the test inspects them
            errors.append(error)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads), "a thread hung on the server"
    return errors


def test_concurrent_find_one_and_update_incs_all_count(collection):
    collection.insert_one({"_id": "counter", "n": 0})
    seen: list[int] = []

    def bump(_: int) -> None:
        for _ in range(25):
            after = collection.find_one_and_update(
                {"_id": "counter"}, {"$inc": {"n": 1}}, return_document=ReturnDocument.AFTER
            )
            seen.append(after["n"])

    assert run_threads(bump) == []
    assert collection.find_one({"_id": "counter"})["n"] == THREADS * 25 == 200
    # The document handed back is read after the update, not with it: under
    # concurrency two callers can be shown the same later value (a real MongoDB
    # shows each its own). The lab never reads it; it only needs the sum.
    assert len(seen) == 200 and max(seen) == 200


def test_concurrent_inserts_of_one_unique_key_let_exactly_one_through(collection):
    collection.create_index("key", unique=True)
    won: list[int] = []

    def insert(i: int) -> None:
        try:
            collection.insert_one({"key": "purchase-1", "writer": i})
        except DuplicateKeyError as error:
            assert error.code == 11000
        else:
            won.append(i)

    assert run_threads(insert) == []
    assert len(won) == 1
    assert [d["writer"] for d in collection.find({"key": "purchase-1"})] == won


def test_a_sort_on_two_keys_comes_back_in_order(collection):
    rng = random.Random(7)
    docs = [{"name": f"t{i:02d}", "load": rng.randrange(4)} for i in range(40)]
    collection.insert_many([dict(d) for d in docs])

    by_load_then_name = [
        (d["load"], d["name"])
        for d in collection.find({}, {"_id": 0}).sort([("load", ASCENDING), ("name", ASCENDING)])
    ]
    assert by_load_then_name == sorted((d["load"], d["name"]) for d in docs)

    by_load_desc = [d["load"] for d in collection.find().sort("load", DESCENDING)]
    assert by_load_desc == sorted((d["load"] for d in docs), reverse=True)

    least = collection.find({"load": {"$gte": 1}}).sort([("load", 1), ("name", 1)]).limit(1)
    expected = min((d["load"], d["name"]) for d in docs if d["load"] >= 1)
    assert [(d["load"], d["name"]) for d in least] == [expected]


def test_mongoengine_saves_queries_and_has_the_server_enforce_a_unique_index(mongodb_uri):
    name = f"mg_server_{uuid.uuid4().hex[:10]}"
    handle = db.connect(db.with_database(mongodb_uri, name))
    try:

        class ServerItem(Document):
            key = StringField(required=True, unique=True)
            hits = IntField(default=0)
            meta = {"collection": "server_items"}

        ServerItem(key="a", hits=2).save()
        ServerItem(key="b").save()
        assert ServerItem.objects.get(key="a").hits == 2
        assert [i.key for i in ServerItem.objects(hits__gte=0).order_by("-key")] == ["b", "a"]
        with pytest.raises(NotUniqueError):
            ServerItem(key="a").save()
        assert handle["server_items"].count_documents({"key": "a"}) == 1
    finally:
        handle.client.drop_database(name)
        db.disconnect()


# --- restart -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def own_server(mongodb_uri, tmp_path):
    """A second server, started by scripts/mongo.sh on a free port with its state in
    tmp_path; yields (env, uri), stops it afterwards."""
    missing = [tool for tool in ("java", "javac") if shutil.which(tool) is None]
    if missing:
        reason = f"scripts/mongo.sh needs {' and '.join(missing)}"
        if os.environ.get("MODELGUARD_REQUIRE_SERVICES") == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    port = free_port()
    env = {**os.environ, "MODELGUARD_MONGO_PORT": str(port), "MODELGUARD_RUN_DIR": str(tmp_path)}
    yield env, f"mongodb://127.0.0.1:{port}/modelguard"
    subprocess.run(["bash", str(SCRIPTS / "mongo.sh"), "stop"], env=env, capture_output=True)


def mongo_sh(env: dict, action: str) -> None:
    done = subprocess.run(
        ["bash", str(SCRIPTS / "mongo.sh"), action],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"mongo.sh {action}:\n{done.stdout}\n{done.stderr}"


def test_data_and_a_unique_index_survive_a_restart(own_server):
    env, uri = own_server
    mongo_sh(env, "start")
    with MongoClient(uri, serverSelectionTimeoutMS=10_000) as client:
        items = client.modelguard.items
        items.create_index("key", unique=True)
        items.insert_many([{"key": f"k{i}", "n": i} for i in range(50)])
        items.update_one({"key": "k7"}, {"$inc": {"n": 100}})

    mongo_sh(env, "restart")

    with MongoClient(uri, serverSelectionTimeoutMS=10_000) as client:
        items = client.modelguard.items
        assert items.count_documents({}) == 50
        assert items.find_one({"key": "k7"})["n"] == 107
        unique = [i for i in items.list_indexes() if i.get("unique")]
        assert [list(i["key"]) for i in unique] == [["key"]]
        with pytest.raises(DuplicateKeyError):
            items.insert_one({"key": "k3"})
        assert items.count_documents({"key": "k3"}) == 1
