"""Which parts of the drill a soak runs, their defaults, and what each broker can do.

The parts are chosen by flags, with one set of defaults for both brokers:

- bad records (on): malformed and unusable records mixed into the stream, each of
  which must end in the DLQ with its reason;
- kills (5): worker process deaths at random points, each followed by a new process;
- broker restart (off): the broker goes down and comes back mid-stream;
- database outage (off): the database goes away until attempts fail into the DLQ;
- replay (on): once the cause is gone, the DLQ is replayed, and every event it holds
  must then succeed.

The embedded broker and mongomock live inside this process: they cannot be restarted
or taken away, so those parts are refused there, with the reason. A database outage
dead-letters good events, so it needs the replay that brings them back.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import cast

from modelguard.config import SOAK_DEFAULTS
from modelguard.lab.soak.shapes import PartsJson

DEFAULT_RECORDS = int(SOAK_DEFAULTS["records"])
DEFAULT_SEED = int(SOAK_DEFAULTS["seed"])
DEFAULT_KILLS = int(SOAK_DEFAULTS["kills"])
DEFAULT_TIMEOUT_S = float(SOAK_DEFAULTS["timeout_s"])


class SoakRefused(ValueError):
    """The soak was asked for a part that the broker, or the other parts, cannot give."""


@dataclass(frozen=True)
class Parts:
    bad_records: bool = True
    kills: int = DEFAULT_KILLS
    restart_broker: bool = False
    database_outage: bool = False
    replay: bool = True

    def to_json(self) -> PartsJson:
        return cast(PartsJson, asdict(self))


DEFAULT_PARTS = Parts()


def refusals(broker: str, parts: Parts) -> list[str]:
    """Why `broker` cannot run `parts`, one reason per part; empty when it can."""
    reasons = []
    if parts.kills < 0:
        reasons.append(f"--kills must be 0 or more, not {parts.kills}")
    if broker == "memory":
        if parts.restart_broker:
            reasons.append(
                "--restart-broker needs --broker kafka: the embedded broker lives in this "
                "process, and restarting it would lose every record"
            )
        if parts.database_outage:
            reasons.append(
                "--database-outage needs --broker kafka and MONGODB_URI: the embedded "
                "database (mongomock) lives in this process and cannot go away"
            )
    elif broker != "kafka":
        reasons.append(f"unknown broker {broker!r}; choose from memory, kafka")
    if parts.database_outage and not parts.replay:
        reasons.append(
            "--database-outage needs --replay: the events the outage dead-letters are "
            "applied only by replaying the DLQ once the database is back"
        )
    return reasons


def check(broker: str, parts: Parts) -> None:
    """Raise SoakRefused, naming every part `broker` cannot run."""
    reasons = refusals(broker, parts)
    if reasons:
        raise SoakRefused("; ".join(reasons))
