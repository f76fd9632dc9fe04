"""What the memory figures are, and how they are read.

It decides that memory is the resident set size after a garbage collection,
from the end of the warm-up to the end of the run, reported with the module
copies and the `Document` and service classes still alive, which say why it
grows; and that the second half of a run is reported apart, because a leak
keeps its slope where settling caches and arenas do not.
"""

from __future__ import annotations

import gc
import os
import sys

from modelguard.lab.bench.shapes import Growth, Snapshot


def snapshot() -> Snapshot:
    """The process's resident set size, modules, and model and service classes, after gc."""
    from mongoengine import Document

    gc.collect()
    classes = [o for o in gc.get_objects() if isinstance(o, type)]
    return Snapshot(
        rss_kb=_rss_kb(),
        modules=len(sys.modules),
        model_classes=sum(1 for c in classes if issubclass(c, Document) and c is not Document),
        # One per load of the admin service's build: the copies a per-call worker keeps.
        service_classes=sum(1 for c in classes if c.__name__ == "AllocationService"),
    )


def growth(before: Snapshot, middle: Snapshot, after: Snapshot, second_half_events: int) -> Growth:
    """What grew from `before` to `after`, and over the second half from `middle`."""
    return Growth(
        memory_growth_kb=_diff(after["rss_kb"], before["rss_kb"]),
        # The steady part: a leak keeps its slope, settling caches and arenas do not.
        second_half_growth_kb=_diff(after["rss_kb"], middle["rss_kb"]),
        second_half_events=second_half_events,
        modules_added=after["modules"] - before["modules"],
        model_classes_alive=after["model_classes"],
        service_classes_alive=after["service_classes"],
    )


def _rss_kb() -> int | None:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except (OSError, ValueError, IndexError):
        return None


def _diff(after: int | None, before: int | None) -> int | None:
    return None if after is None or before is None else after - before
