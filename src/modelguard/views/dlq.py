"""`dlq inspect` and `replay-dlq` as text: the summary in the order an operator asks its
questions, and what a replay did or would do, with the reason for every record left out."""

from __future__ import annotations

from datetime import UTC, datetime

from modelguard.config import dlq_topic
from modelguard.messaging.replay import ALREADY_PROCESSED, NOT_SELECTED, POISON, WHY, ReplayPlan
from modelguard.ops.dlq import MOST_COMMON, DlqSummary
from modelguard.registry.errors import wrap


def dlq_report(summary: DlqSummary) -> str:
    if not summary.records:
        return f"{summary.topic}: no dead letters"
    lines = [records_line(summary), ""]
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
        lines += ["", "from: the topic[partition] and offsets each record was first published at"]
        for (topic, partition), offsets in summary.origins.items():
            distinct = len(set(offsets))
            noun = "offset" if distinct == 1 else "offsets"
            lines += [f"  {topic}[{partition}]  {noun} {offset_ranges(offsets)}  "
                      f"({distinct} event(s), {len(offsets)} record(s))"]  # fmt: skip
    lines += repeats_lines(summary)
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


def records_line(summary: DlqSummary) -> str:
    """Records and distinct events: one event dead-lettered twice is two records."""
    line = f"{summary.topic}: {summary.records} dead letter(s) for {summary.events} event(s)"
    extra = summary.records - summary.events
    if extra:
        line += f"; {extra} record(s) repeat an event (listed below)"
    return wrap(line)


def repeats_lines(summary: DlqSummary) -> list[str]:
    """Each event dead-lettered more than once, where its copies are, and why. Events
    with the same why are listed under it once: a crash usually repeats a whole batch,
    and the same sentence eight times over hides the events it is about."""
    if not summary.repeats:
        return []
    lines = [
        "",
        f"events dead-lettered more than once ({len(summary.repeats)}), each with its "
        "copies' [partition]@offset in the DLQ:",
    ]
    by_why: dict[str, list] = {}
    for repeat in summary.repeats:
        by_why.setdefault(repeat.why, []).append(repeat)
    for why, repeats in by_why.items():
        lines += [wrap(why, indent="  ", hang="  ")]
        for repeat in repeats:
            topic, partition, offset = repeat.origin
            name = repeat.event_id or "(no event id)"
            where = ", ".join(f"[{p}]@{o}" for p, o, _, _ in repeat.copies)
            lines += [f"    {topic}[{partition}]@{offset} {name}: "
                      f"{len(repeat.copies)} records ({where})"]  # fmt: skip
    return lines


def already_processed_line(summary: DlqSummary) -> str:
    """How many dead letters are stale: their event succeeded later, so not failures."""
    stale = summary.already_processed
    store = "" if summary.store is None else summary.store.line() + "\n"
    if stale is None:
        return store + "already processed: unknown (the processed-events store was not read)"
    if not stale:
        return store + "already processed: 0"
    shown = ", ".join(stale[:MOST_COMMON]) + (", ..." if len(stale) > MOST_COMMON else "")
    return store + wrap(
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


def replay_report(plan: ReplayPlan, *, dry_run: bool) -> str:
    """What a replay did, or would do (`dry_run`): where it started, records and distinct
    events read, what went back where, and what it left out and why."""
    dlq = dlq_topic(plan.topic)
    verb, skip_verb = ("would replay", "would skip") if dry_run else ("replayed", "skipped")
    lines = [f"{'dry run' if dry_run else 'replay'} of {dlq}" + (
        f" in group {plan.group!r}" if plan.group else " (no group: from the start)")]
    if plan.group is not None:
        if plan.start:
            at = ", ".join(f"partition {p} at offset {o}" for p, o in sorted(plan.start.items()))
            lines += [f"  the group has committed {plan.before_start} record(s) ({at}); "
                      "a replay in it resumes there"]  # fmt: skip
        else:
            lines += ["  the group has committed nothing here: a replay in it reads from the start"]
    lines += [f"  read {plan.records} record(s) for {len(plan.events)} event(s)"]
    lines += [f"  {verb} {plan.replayed} record(s) for {len(plan.replay_events)} event(s)"]
    for (topic, error), count in sorted(plan.replay.items()):
        lines += [f"    {count:>6}  {error} -> {topic}"]
    skipped = [
        (count, error, POISON) for error, count in plan.poison.most_common()
    ] + [(count, error, NOT_SELECTED) for error, count in plan.skip.most_common()]
    already = plan.already_processed or []
    total = sum(count for count, _, _ in skipped) + len(already)
    lines += [f"  {skip_verb} {total} record(s)" + (
        ", committed for the group" if total and not dry_run else "")]
    for reason in (POISON, NOT_SELECTED):
        rows = [(count, error) for count, error, why in skipped if why == reason]
        if rows:
            lines += [f"    {reason}: {WHY[reason]}"]
            lines += [f"    {count:>6}  {error}" for count, error in rows]
    if already:
        shown = ", ".join(already[:MOST_COMMON]) + (", ..." if len(already) > MOST_COMMON else "")
        lines += [f"    {ALREADY_PROCESSED}: {WHY[ALREADY_PROCESSED]}",
                  f"    {len(already):>6}  {shown}"]  # fmt: skip
    elif plan.already_processed is None:
        lines += ["    already processed: unknown (the processed-events store was not read)"]
    if dry_run:
        lines += ["  nothing was published or committed"]
    return "\n".join(lines)
