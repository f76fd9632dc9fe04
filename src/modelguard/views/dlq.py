"""`dlq inspect` as text: the summary in the order an operator asks its questions."""

from __future__ import annotations

from datetime import UTC, datetime

from modelguard.ops.dlq import MOST_COMMON, DlqSummary
from modelguard.registry.errors import wrap


def dlq_report(summary: DlqSummary) -> str:
    if not summary.records:
        return f"{summary.topic}: no dead letters"
    lines = [f"{summary.topic}: {summary.records} dead letter(s)", ""]
    lines += ["by error class:"]
    width = max(len(name) for name in summary.error_classes)
    lines += [
        f"  {name:<{width}}  {count:>6}" for name, count in summary.error_classes.most_common()
    ]
    lines += ["", already_processed_line(summary)]
    if summary.first_failure_ms is not None:
        earliest, latest = summary.first_failure_ms
        lines += [
            "",
            f"first failures: {_when(earliest)} .. {_when(latest)} "
            f"(over {_span(latest - earliest)})",
        ]
    if summary.attempts:
        tried = ", ".join(
            f"{count} record(s) after {n}" for n, count in sorted(summary.attempts.items())
        )
        lines += [f"attempts: {tried}"]
    if summary.origins:
        lines += ["", "from:"]
        for (topic, partition), offsets in summary.origins.items():
            lines += [f"  {topic}[{partition}]  offsets {offset_ranges(offsets)}"]
    lines += ["", "most common messages:"]
    for message, count in summary.messages.most_common(MOST_COMMON):
        first_line, *more = message.splitlines() or [""]
        lines += [f"  {count:>6}  {first_line}{' ...' if more else ''}"]
    for runs in summary.double_runs:
        others = len(runs.again_modules)
        lines += [
            "",
            wrap(f"diagnosis ({runs.records} record(s)): {runs.example}", hang="    "),
            f"  file: {runs.file}",
            wrap(
                f"first ran as {runs.first_module!r}; these records' last attempts ran it "
                f"again as {others} other module name(s), e.g. "
                f"{', '.join(repr(m) for m in list(runs.again_modules)[:3])}",
                indent="  ",
            ),
        ]
    return "\n".join(lines)


def already_processed_line(summary: DlqSummary) -> str:
    """How many dead letters are stale: their event succeeded later, so not failures."""
    stale = summary.already_processed
    if stale is None:
        return "already processed: unknown (the processed-events store was not read)"
    if not stale:
        return "already processed: 0"
    shown = ", ".join(stale[:MOST_COMMON]) + (", ..." if len(stale) > MOST_COMMON else "")
    return (
        f"already processed: {len(stale)} ({shown}): dead-lettered, then applied by a "
        "later delivery; not failures, and a replay skips them"
    )


def offset_ranges(offsets: list[int]) -> str:
    """``0-3, 7, 9-10`` for [0, 1, 2, 3, 7, 9, 10]."""
    spans: list[list[int]] = []
    for offset in sorted(set(offsets)):
        if spans and offset == spans[-1][1] + 1:
            spans[-1][1] = offset
        else:
            spans.append([offset, offset])
    return ", ".join(f"{a}-{b}" if a != b else f"{a}" for a, b in spans)


def _span(ms: int) -> str:
    return f"{ms} ms" if ms < 10_000 else f"{ms / 1000:.1f} s"


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"
