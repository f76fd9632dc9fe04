"""`run_soak`: one soak command for both brokers, with the drill's parts chosen by flags.

It decides which drill runs (the embedded one, in rounds with simulated kills, or
the one with worker processes on Kafka), refuses the parts a broker cannot run
before anything starts, and gives the result its one verdict, `ok`.
"""

from __future__ import annotations

from typing import Any

from modelguard.lab.soak.parts import (
    DEFAULT_PARTS,
    DEFAULT_RECORDS,
    DEFAULT_SEED,
    DEFAULT_TIMEOUT_S,
    Parts,
    check,
)
from modelguard.lab.soak.shapes import EmbeddedSoakReport, ProcessSoakReport, SoakReport
from modelguard.lab.soak.verdict import verdict


def run_soak(
    records: int = DEFAULT_RECORDS,
    seed: int = DEFAULT_SEED,
    broker: str = "memory",
    *,
    parts: Parts = DEFAULT_PARTS,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    **options: Any,
) -> SoakReport:
    """Run the soak on `broker`; `options` go to that broker's drill. Raises SoakRefused
    for parts the broker cannot run."""
    check(broker, parts)
    if records < 1:
        raise ValueError(f"a soak needs at least one record, not {records}")
    if broker == "memory":
        from modelguard.lab.soak.embedded import run_embedded_soak

        embedded = run_embedded_soak(records, seed, parts, timeout_s=timeout_s, **options)
        return EmbeddedSoakReport(**embedded, ok=verdict(embedded))
    from modelguard.lab.soak.processes import run_process_soak

    processes = run_process_soak(records, seed, parts, timeout_s=timeout_s, **options)
    return ProcessSoakReport(**processes, ok=verdict(processes))
