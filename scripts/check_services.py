"""Client-level smoke check of the lab's local services.

    .venv/bin/python scripts/check_services.py [kafka] [mongo]

Where probe.py asks "does the server answer", this asks "can the project's own
client libraries do with it what the lab needs": kafka-python produces with
headers, reads back and commits for a consumer group; mongoengine saves, reads
back, has a unique index enforced (error 11000) and sees concurrent $inc
updates add up. It cleans up after itself: the check database is dropped, and
the check topic is reused across runs rather than multiplied.

Run by `services.sh up`/`check` when the project venv exists.
"""

from __future__ import annotations

import sys
import threading
import time
import urllib.parse
import uuid

from modelguard.config import LOCAL_KAFKA, LOCAL_MONGODB_URI, kafka_servers, mongodb_uri

# The scripts that call this name the server they started; run by hand, it checks the
# local ones, which is what it is for.
KAFKA_BOOTSTRAP = kafka_servers() or LOCAL_KAFKA
# Same server as MONGODB_URI, but its own database, so a check never touches
# the lab's data.
CHECK_DB = "modelguard_check"
MONGO_CHECK_URI = (
    urllib.parse.urlsplit(mongodb_uri() or LOCAL_MONGODB_URI)._replace(path="/" + CHECK_DB).geturl()
)
CHECK_TOPIC = "modelguard-selfcheck"
TIMEOUT_S = 30


def check_kafka() -> str:
    from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.admin import NewTopic
    from kafka.errors import TopicAlreadyExistsError

    admin = KafkaAdminClient(bootstrap_servers=KAFKA_BOOTSTRAP, client_id="modelguard-selfcheck")
    try:
        if CHECK_TOPIC not in admin.list_topics():
            try:
                admin.create_topics([NewTopic(CHECK_TOPIC, num_partitions=1, replication_factor=1)])
            except TopicAlreadyExistsError:
                pass
    finally:
        admin.close()

    token = uuid.uuid4().hex.encode()
    producer = KafkaProducer(bootstrap_servers=KAFKA_BOOTSTRAP, acks="all")
    try:
        sent = producer.send(CHECK_TOPIC, value=token, headers=[("x-check", b"1")]).get(
            timeout=TIMEOUT_S
        )
    finally:
        producer.close()

    # A group id makes commit() go through the group coordinator, i.e. the
    # __consumer_offsets topic, which is what a misconfigured single broker
    # (replication factor 3 on one node) gets wrong.
    consumer = KafkaConsumer(
        bootstrap_servers=KAFKA_BOOTSTRAP,
        group_id="modelguard-selfcheck",
        enable_auto_commit=False,
    )
    try:
        tp = TopicPartition(CHECK_TOPIC, sent.partition)
        consumer.assign([tp])
        consumer.seek(tp, sent.offset)
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            for record in consumer.poll(timeout_ms=1000).get(tp, []):
                if record.value == token:
                    if dict(record.headers).get("x-check") != b"1":
                        raise AssertionError(f"headers came back as {record.headers!r}")
                    consumer.commit()
                    committed = consumer.committed(tp)
                    if committed is None or committed <= sent.offset:
                        raise AssertionError(f"group commit not stored (committed={committed})")
                    return (
                        f"produced/consumed offset {sent.offset} of {CHECK_TOPIC}, group commit ok"
                    )
        raise AssertionError(f"record {sent.offset} not read back within {TIMEOUT_S}s")
    finally:
        consumer.close()


def check_mongo() -> str:
    import mongoengine as me
    from mongoengine.errors import NotUniqueError
    from pymongo.errors import DuplicateKeyError

    alias = "modelguard-selfcheck"
    me.connect(alias=alias, host=MONGO_CHECK_URI, serverSelectionTimeoutMS=TIMEOUT_S * 1000)
    try:

        class SelfCheckItem(me.Document):
            key = me.StringField(required=True, unique=True)
            hits = me.IntField(default=0)
            meta = {"db_alias": alias, "collection": "selfcheck_items"}

        client = me.get_connection(alias)
        hello = client.admin.command("isMaster")
        version = client.server_info().get("version")
        SelfCheckItem.drop_collection()
        SelfCheckItem.ensure_indexes()

        SelfCheckItem(key="a").save()
        found = SelfCheckItem.objects(key="a").first()
        if found is None or found.key != "a":
            raise AssertionError("saved document not found by query")

        try:
            SelfCheckItem(key="a").save()
        except NotUniqueError:
            pass
        else:
            raise AssertionError("duplicate key was accepted: unique index not enforced")
        try:
            SelfCheckItem._get_collection().insert_one({"key": "a"})
        except DuplicateKeyError as exc:
            if exc.code != 11000:
                raise AssertionError(
                    f"duplicate key error code {exc.code}, expected 11000"
                ) from exc
        else:
            raise AssertionError("duplicate raw insert was accepted")

        threads, per_thread = 8, 25
        errors: list[BaseException] = []

        def bump() -> None:
            try:
                for _ in range(per_thread):
                    SelfCheckItem.objects(key="a").update_one(inc__hits=1)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        workers = [threading.Thread(target=bump) for _ in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(TIMEOUT_S)
        if errors:
            raise AssertionError(f"concurrent $inc failed: {errors[0]!r}")
        hits = SelfCheckItem.objects(key="a").first().hits
        if hits != threads * per_thread:
            raise AssertionError(f"concurrent $inc lost updates: {hits} != {threads * per_thread}")

        client.drop_database(CHECK_DB)
        return (
            f"server {version}, maxWireVersion {hello.get('maxWireVersion')}; "
            f"save/query, unique index (11000), {threads}x{per_thread} concurrent $inc ok"
        )
    finally:
        me.disconnect(alias)


CHECKS = {"kafka": check_kafka, "mongo": check_mongo}


def main(argv: list[str]) -> int:
    names = argv or list(CHECKS)
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        print(f"usage: check_services.py [{'|'.join(CHECKS)}]...", file=sys.stderr)
        return 2
    failed = 0
    for name in names:
        t0 = time.monotonic()
        try:
            detail = CHECKS[name]()
        except ImportError as exc:
            print(
                f"[{name}] check FAILED: {exc} (run it with the project venv's python)",
                file=sys.stderr,
            )
            failed += 1
        except Exception as exc:  # noqa: BLE001 - any failure is the answer
            print(f"[{name}] check FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
            failed += 1
        else:
            print(f"[{name}] check ok ({time.monotonic() - t0:.1f}s): {detail}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
