"""The scenarios: defined once (`spec`), run by one runner (`runner`) through an executor
port (`executor`) with two implementations: threads on the memory broker (`threads`) and
OS processes on Kafka (`processes`); `recovery` is the flood-and-replay drill."""

from modelguard.lab.scenarios.recovery import (
    Flood,
    Recovery,
    RecoveryPlan,
    flood_and_replay,
    flood_dead_letters,
)
from modelguard.lab.scenarios.runner import (
    create_topics,
    publish_events,
    run_scenario,
    run_variant,
)
from modelguard.lab.scenarios.spec import SCENARIO_NAMES, Scenario, scenarios

__all__ = [
    "SCENARIO_NAMES",
    "Flood",
    "Recovery",
    "RecoveryPlan",
    "Scenario",
    "create_topics",
    "flood_and_replay",
    "flood_dead_letters",
    "publish_events",
    "run_scenario",
    "run_variant",
    "scenarios",
]
