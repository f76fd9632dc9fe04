"""The broker port over kafka-python (3.0).

It decides:

- the client settings behind the port's promises: ``acks="all"``, so ``publish``
  returns once every in-sync replica has the record; manual, synchronous commits; a
  group without commits starts at the earliest offset, as on the memory broker; session
  and heartbeat timeouts short enough that a join or a leave rebalances within seconds;
- translation: kafka-python's records, metadata and errors become the port's Record,
  RecordMetadata, CommitFailedError and BrokerError;
- configuration: bootstrap servers, security settings and the members' session
  timeout come from arguments or from ``KAFKA_*`` variables (``from_env``); without
  ``KAFKA_BOOTSTRAP_SERVERS`` there is no broker to use, never a default address;
  passwords never appear in logs or repr;
- laziness: nothing connects at import or construction; the first ``create_topic``
  creates the admin client, ``producer()`` and ``consumer()`` create theirs;
- scans: a consumer without a group, assigned every partition of the topic and sought
  to the beginning, reads up to the end offsets it saw when it started.

One difference from the memory broker is left as Kafka has it: subscribing to a missing
topic creates it with the broker's defaults when the broker auto-creates topics
(kafka-python 3.0.12 asks for that whatever ``allow_auto_create_topics`` says), while
the memory broker creates a topic on its first publish. Create topics before use.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import kafka
import kafka.errors
from kafka.structs import OffsetAndMetadata, TopicPartition

from modelguard.config import ServiceNotNamed
from modelguard.messaging.drivers.kafka_logins import watching_logins
from modelguard.messaging.port import (
    AuthenticationFailedError,
    Broker,
    BrokerError,
    CommitFailedError,
    Consumer,
    Producer,
    Record,
    RecordMetadata,
)

log = logging.getLogger(__name__)

PRODUCER_SETTINGS: Mapping[str, Any] = {"acks": "all", "linger_ms": 5}

CONSUMER_SETTINGS: Mapping[str, Any] = {
    "enable_auto_commit": False,
    "auto_offset_reset": "earliest",
    # 6 s is the broker's smallest allowed session (group.min.session.timeout.ms): a
    # member that vanishes without leaving is replaced within seconds.
    "session_timeout_ms": 6_000,
    "heartbeat_interval_ms": 1_000,
    # poll() returns soon after records arrive, and new topics or partitions are
    # noticed within seconds rather than the default five minutes.
    "fetch_max_wait_ms": 100,
    "metadata_max_age_ms": 5_000,
}

# Environment variable -> kafka-python setting, for from_env().
ENVIRONMENT: Mapping[str, str] = {
    "KAFKA_SECURITY_PROTOCOL": "security_protocol",
    "KAFKA_SASL_MECHANISM": "sasl_mechanism",
    "KAFKA_SASL_USERNAME": "sasl_plain_username",
    "KAFKA_SASL_PASSWORD": "sasl_plain_password",
    "KAFKA_SSL_CAFILE": "ssl_cafile",
    "KAFKA_SESSION_TIMEOUT_MS": "session_timeout_ms",
}

# Errors meaning this member lost its place in the group: its partitions belong to
# someone else now, exactly the port's CommitFailedError.
_LOST_MEMBERSHIP = (
    kafka.errors.CommitFailedError,
    kafka.errors.RebalanceInProgressError,
    kafka.errors.IllegalGenerationError,
    kafka.errors.UnknownMemberIdError,
)


class KafkaBroker(Broker):
    """A Kafka cluster reached at ``bootstrap_servers`` ("host:port[,host:port]").

    ``security`` holds kafka-python's ``security_protocol``, ``sasl_*`` and ``ssl_*``
    settings. Topics are created with ``replication_factor`` (-1: the broker's default).
    """

    name = "kafka"

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        timeout_s: float = 30.0,
        replication_factor: int = -1,
        session_timeout_ms: int | str | None = None,
        **security: Any,
    ) -> None:
        super().__init__()
        unknown = sorted(k for k in security if not _is_security_setting(k))
        if unknown:
            raise TypeError(f"not Kafka security settings: {unknown}")
        servers = [s.strip() for s in bootstrap_servers.split(",") if s.strip()]
        if not servers:
            raise ValueError(f"no bootstrap servers in {bootstrap_servers!r}")
        self.bootstrap_servers = ",".join(servers)
        self.timeout_s = timeout_s
        self.replication_factor = replication_factor
        self._security = dict(security)
        self._group_settings = _group_settings(session_timeout_ms)
        self._admin: kafka.KafkaAdminClient | None = None
        self._admin_lock = threading.Lock()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **options: Any) -> KafkaBroker:
        """A broker from KAFKA_BOOTSTRAP_SERVERS and the security variables that are set;
        ServiceNotNamed when KAFKA_BOOTSTRAP_SERVERS is not."""
        env = os.environ if environ is None else environ
        settings = {setting: env[var] for var, setting in ENVIRONMENT.items() if env.get(var)}
        servers = (env.get("KAFKA_BOOTSTRAP_SERVERS") or "").strip()
        if not servers:
            raise ServiceNotNamed("KAFKA_BOOTSTRAP_SERVERS")
        merged: dict[str, Any] = {**settings, **options}
        return cls(servers, **merged)

    def __repr__(self) -> str:
        shown = [repr(self.bootstrap_servers)]
        shown += [f"{key}={value!r}" for key, value in sorted(_masked(self._security).items())]
        return f"KafkaBroker({', '.join(shown)})"

    def _settings(self) -> dict[str, Any]:
        return {
            "bootstrap_servers": self.bootstrap_servers.split(","),
            "bootstrap_timeout_ms": int(self.timeout_s * 1000),
            **self._security,
        }

    def _create_topic(self, name: str, partitions: int) -> None:
        admin = self._admin_client()
        spec = {"num_partitions": partitions, "replication_factor": self.replication_factor}
        with _translated(f"create topic {name!r}"):
            try:
                admin.create_topics({name: spec}, timeout_ms=int(self.timeout_s * 1000))
            except kafka.errors.TopicAlreadyExistsError:
                pass
            # A created topic is usable only once every partition has a leader.
            admin.wait_for_topics([name], timeout_ms=int(self.timeout_s * 1000))

    def _admin_client(self) -> kafka.KafkaAdminClient:
        with self._admin_lock:
            if self._admin is None:
                log.info("connecting an admin client to %r", self)
                # kafka-python's admin client logs its settings, password included.
                logging.getLogger("kafka.admin.client").addFilter(_MASK_SECRETS)
                with _connecting("connect the admin client", self._settings()):
                    self._admin = kafka.KafkaAdminClient(**self._settings())
            return self._admin

    def _producer(self) -> Producer:
        return KafkaBrokerProducer(self._settings(), self.timeout_s)

    def _consumer(self, group: str, topics: tuple[str, ...], client_id: str | None) -> Consumer:
        settings = {**self._settings(), **self._group_settings}
        return KafkaBrokerConsumer(settings, group, topics, client_id)

    def _scan(self, topic: str, timeout_s: float) -> Iterator[Record]:
        with _translated(f"scan {topic!r}"):
            # No group_id: no group is joined, nothing can be committed.
            reader = kafka.KafkaConsumer(
                **self._settings(), group_id=None, enable_auto_commit=False
            )
        try:
            yield from _read_to_end(reader, topic, timeout_s)
        finally:
            reader.close(autocommit=False)

    def _group_members(self, group: str) -> int:
        admin = self._admin_client()
        try:
            described = admin.describe_groups([group]).get(group, {})
        except kafka.errors.KafkaError:  # no coordinator until the first member joins
            return 0
        if described.get("group_state") != "Stable":
            return 0
        return len(described.get("members", ()))

    def _lag(self, group: str, topics: tuple[str, ...]) -> int:
        # A consumer that never subscribes only reads offsets: it does not join the group.
        with _translated(f"read the offsets of group {group!r}"):
            reader = kafka.KafkaConsumer(
                **self._settings(), group_id=group, enable_auto_commit=False
            )
            try:
                partitions = [
                    TopicPartition(topic, p)
                    for topic in topics
                    for p in sorted(reader.partitions_for_topic(topic) or ())
                ]
                ends = reader.end_offsets(partitions)
                return sum(max(0, ends[tp] - (reader.committed(tp) or 0)) for tp in partitions)
            finally:
                reader.close(autocommit=False)

    def _committed_offsets(self, group: str, topic: str) -> dict[int, int]:
        # As in _lag: a consumer that never subscribes reads offsets without joining.
        with _translated(f"read the offsets of group {group!r}"):
            reader = kafka.KafkaConsumer(
                **self._settings(), group_id=group, enable_auto_commit=False
            )
            try:
                offsets = {}
                for p in sorted(reader.partitions_for_topic(topic) or ()):
                    committed = reader.committed(TopicPartition(topic, p))
                    if committed is not None:
                        offsets[p] = committed
                return offsets
            finally:
                reader.close(autocommit=False)

    def _release(self) -> None:
        with self._admin_lock:
            admin, self._admin = self._admin, None
        if admin is not None:
            with _translated("close the admin client"):
                admin.close()


class KafkaBrokerProducer(Producer):
    def __init__(self, settings: dict[str, Any], timeout_s: float) -> None:
        super().__init__()
        self._timeout_s = timeout_s
        self._pending: list[Any] = []  # futures of records sent since the last flush
        with _connecting("connect a producer", settings):
            self._producer = kafka.KafkaProducer(
                **settings, **PRODUCER_SETTINGS, max_block_ms=int(timeout_s * 1000)
            )

    def _publish(
        self, topic: str, value: bytes, key: bytes | None, headers: tuple[tuple[str, bytes], ...]
    ) -> RecordMetadata:
        with _translated(f"publish to {topic!r}"):
            sent = self._producer.send(topic, value=value, key=key, headers=list(headers))
            stored = sent.get(timeout=self._timeout_s)
        return RecordMetadata(stored.topic, stored.partition, stored.offset)

    def _send(
        self, topic: str, value: bytes, key: bytes | None, headers: tuple[tuple[str, bytes], ...]
    ) -> None:
        with _translated(f"send to {topic!r}"):
            self._pending.append(
                self._producer.send(topic, value=value, key=key, headers=list(headers))
            )

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        if not pending:
            return
        with _translated("flush the producer"):
            self._producer.flush(timeout=self._timeout_s)
        failed = [f.exception for f in pending if not f.succeeded()]
        if failed:
            raise BrokerError(
                f"{len(failed)} of {len(pending)} sent records not stored: {failed[0]!r}"
            )

    def _close(self) -> None:
        with _translated("close the producer"):
            self._producer.close(timeout=self._timeout_s)


class KafkaBrokerConsumer(Consumer):
    """A KafkaConsumer in ``group``; like it, not to be shared between threads."""

    def __init__(
        self, settings: dict[str, Any], group: str, topics: tuple[str, ...], client_id: str | None
    ) -> None:
        super().__init__(group, topics, client_id)
        options = {**CONSUMER_SETTINGS, **settings, "group_id": group}
        if client_id:
            options["client_id"] = client_id
        with _connecting(f"join group {group!r}", settings):
            self._consumer = kafka.KafkaConsumer(**options)
            try:
                # Partitions known before the first join: a leader that assigned without
                # them rejoins when they arrive, and if a short poll() times out during
                # that rejoin, kafka-python 3.0.12 never finishes it (the member stops
                # heartbeating and drops out of the group for good). Subscribed first, so
                # that this metadata also fills the group's snapshot of the topics.
                self._consumer.subscribe(list(topics))
                for topic in topics:
                    self._consumer.partitions_for_topic(topic)
            except BaseException:
                self._consumer.close(autocommit=False)
                raise

    def _poll(self, timeout_s: float, max_records: int) -> list[Record]:
        with _translated("poll"):
            batches = self._consumer.poll(timeout_ms=int(timeout_s * 1000), max_records=max_records)
        return [_record(r) for partition in sorted(batches) for r in batches[partition]]

    def _commit(self, offsets: Mapping[tuple[str, int], int]) -> None:
        owned = self._consumer.assignment()
        request = {}
        for (topic, number), offset in offsets.items():
            partition = TopicPartition(topic, number)
            # Kafka takes a commit for any partition from a current member of the group;
            # the port refuses it, as the memory broker does, so that a member that lost
            # a partition cannot move its new owner's offset.
            if partition not in owned:
                raise CommitFailedError(
                    f"this member of group {self.group!r} does not own "
                    f"{topic}[{number}]: it was reassigned or never assigned"
                )
            request[partition] = OffsetAndMetadata(offset, "", -1)
        try:
            self._consumer.commit(request)  # one OffsetCommit request for the whole batch
        except _LOST_MEMBERSHIP as exc:
            raise CommitFailedError(f"group {self.group!r} rebalanced: {exc!r}") from exc
        except kafka.errors.KafkaError as exc:
            raise BrokerError(f"could not commit {sorted(request)}: {exc!r}") from exc

    def _assignment(self) -> set[tuple[str, int]]:
        return {(tp.topic, tp.partition) for tp in self._consumer.assignment()}

    def _pause(self, partitions: set[tuple[str, int]]) -> None:
        self._consumer.pause(*(TopicPartition(t, p) for t, p in partitions))

    def _resume(self, partitions: set[tuple[str, int]]) -> None:
        self._consumer.resume(*(TopicPartition(t, p) for t, p in partitions))

    def _paused(self) -> set[tuple[str, int]]:
        return {(tp.topic, tp.partition) for tp in self._consumer.paused()}

    def _seek(self, topic: str, partition: int, offset: int) -> None:
        # Records of this partition already fetched past the offset are dropped.
        self._consumer.seek(TopicPartition(topic, partition), offset)

    def _close(self) -> None:
        # Leaving the group, not committing: what was not committed is redelivered.
        with _translated(f"leave group {self.group!r}"):
            self._consumer.close(autocommit=False)


def _read_to_end(reader: Any, topic: str, timeout_s: float) -> Iterator[Record]:
    deadline = time.monotonic() + timeout_s
    with _translated(f"scan {topic!r}"):
        # topics() lists what exists; asking for a missing topic's partitions would
        # create it on a broker that auto-creates topics.
        if topic not in reader.topics():
            return
        partitions = [TopicPartition(topic, p) for p in sorted(reader.partitions_for_topic(topic))]
        reader.assign(partitions)
        reader.seek_to_beginning(*partitions)
        end = reader.end_offsets(partitions)
        left = {tp for tp in partitions if reader.position(tp) < end[tp]}
    while left:
        if time.monotonic() > deadline:
            raise BrokerError(f"scan of {topic!r} did not reach the end within {timeout_s} s")
        with _translated(f"scan {topic!r}"):
            batches = reader.poll(timeout_ms=200, max_records=500)
        for tp in sorted(batches):
            for r in batches[tp]:
                if r.offset < end[tp]:
                    yield _record(r)
        with _translated(f"scan {topic!r}"):
            done = {tp for tp in left if reader.position(tp) >= end[tp]}
            reader.pause(*done)  # what arrives there now is not the scan's
            left -= done


def _record(r: Any) -> Record:
    # Kafka allows null values (tombstones) and null header values; the port has bytes.
    headers = tuple((name, value or b"") for name, value in r.headers or ())
    return Record(r.topic, r.partition, r.offset, r.key, r.value or b"", headers, r.timestamp)


@contextmanager
def _translated(action: str) -> Iterator[None]:
    try:
        yield
    except kafka.errors.KafkaError as exc:
        raise BrokerError(f"could not {action}: {exc!r}") from exc


def _group_settings(session_timeout_ms: int | str | None) -> dict[str, int]:
    """A member's session (KAFKA_SESSION_TIMEOUT_MS), and heartbeats a third of it apart
    at most, so that one lost heartbeat never ends a live member's session."""
    if session_timeout_ms is None:
        return {}
    session = int(session_timeout_ms)
    if session < 1:
        raise ValueError(f"session_timeout_ms must be >= 1, not {session}")
    heartbeat = min(CONSUMER_SETTINGS["heartbeat_interval_ms"], session // 3)
    return {"session_timeout_ms": session, "heartbeat_interval_ms": max(1, heartbeat)}


@contextmanager
def _connecting(action: str, settings: Mapping[str, Any]) -> Iterator[None]:
    """Like _translated, and a refused login becomes AuthenticationFailedError."""
    with watching_logins() as refused:
        try:
            yield
        except kafka.errors.KafkaError as exc:
            if not refused:
                raise BrokerError(f"could not {action}: {exc!r}") from exc
            reason = str(refused[-1].args[0] if refused[-1].args else refused[-1])
            reason = reason.removeprefix("SaslAuthenticationFailedError: ")
            raise AuthenticationFailedError(
                f"Kafka at {','.join(settings['bootstrap_servers'])} refused the login of "
                f"user {settings.get('sasl_plain_username')!r} "
                f"({settings.get('sasl_mechanism')} over {settings.get('security_protocol')}): "
                f"{reason}; check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"
            ) from exc


def _masked(settings: Mapping[str, Any]) -> dict[str, Any]:
    return {key: "***" if _is_secret(key) else value for key, value in settings.items()}


class _MaskSecrets(logging.Filter):
    """Masks the secrets in settings dicts passed as log arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        # LogRecord unwraps a lone dict argument, so args is the dict itself.
        if isinstance(record.args, dict):
            record.args = _masked(record.args)
        elif isinstance(record.args, tuple):
            record.args = tuple(_masked(a) if isinstance(a, dict) else a for a in record.args)
        return True


_MASK_SECRETS = _MaskSecrets()


def _is_security_setting(key: str) -> bool:
    return key == "security_protocol" or key.startswith(("sasl_", "ssl_"))


def _is_secret(key: str) -> bool:
    return "password" in key or key in ("ssl_context", "sasl_oauth_token_provider")
