"""The outcome figures: attempts per event by outcome, and every attempt of a scenario.

`retry_outcomes` draws one panel per variant (a stacked bar per scenario);
`attempt_timeline` puts every attempt of one scenario on an event-by-attempt grid.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

import matplotlib
import matplotlib.ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.transforms import ScaledTranslation

from modelguard.messaging.outcome import Outcome
from modelguard.views.plots.style import (
    OUTCOMES,
    SHOWN_IF_PRESENT,
    STYLE,
    VISIBLE_SHARE,
    as_dict,
    as_list,
    attempt_outcome,
    figure_of,
    nonzero,
    outcome_counts,
    outcome_patch,
    scenario_label,
    short_event,
    tidy,
    variant_look,
)


def retry_outcomes(results: Mapping | Sequence[Mapping], fig: Figure | None = None) -> Figure:
    """One panel per variant; per scenario, a stacked bar of attempts split by outcome.

    Bars are normalised per event (attempts / events), on one y scale shared by
    every panel: the raw counts span 2 attempts (one event of kafka_retry) to
    hundreds (concurrent_events), so raw or log bars would hide the point,
    which is the shape of each event's retry chain. Above every bar its raw
    totals are printed: attempts, events that ended succeeded, and any outcome
    whose segment is too thin to see (a kill among many attempts), which the
    legend then leaves out. Segments stack in the order of `style.OUTCOMES`.
    """
    results = as_list(results)
    columns = 1 if len(results) == 1 else 2
    rows = math.ceil(len(results) / columns)
    with matplotlib.rc_context(STYLE):
        if fig is None:
            fig = Figure(figsize=(5.8 * columns, 3.9 * rows + 0.8), layout="constrained")
        elif fig.get_layout_engine() is None:
            fig.set_layout_engine("constrained")  # the titles and legend need the room
        axes = fig.subplots(rows, columns, sharey=True, squeeze=False).ravel()
        peak = max(
            s["attempts"] / max(1, s["events"]) for result in results for s in result["scenarios"]
        )
        top = peak * 1.3
        present = {key for r in results for s in r["scenarios"] for key in nonzero(s)}
        seen = {key for r in results for s in r["scenarios"] for key in _visible(s, top)}
        for ax, result in zip(axes, results, strict=False):
            _outcome_panel(ax, result, unseen=present - seen)
            ax.set_ylim(0, top)
        for ax in axes[len(results) :]:
            ax.set_visible(False)
        for ax in axes[::columns]:
            ax.set_ylabel("attempts per event")
        fig.suptitle("Retry outcomes per scenario: attempts per event, by outcome")
        # Only colours a reader can find on some bar: an outcome with no segment tall
        # enough to see (one killed attempt among 76) is counted above its bar instead.
        keys = [
            key
            for key in OUTCOMES
            if (key not in SHOWN_IF_PRESENT or key in present)
            and (key not in present or key in seen)
        ]
        fig.legend(
            handles=[outcome_patch(key) for key in keys],
            loc="outside lower center",
            ncols=min(len(keys), 3),  # five outcomes in one row are wider than two panels
            frameon=False,
        )
    return fig


def _visible(scenario: Mapping, top: float) -> list[str]:
    """The outcomes whose segment of this scenario's bar is tall enough to see on an axis
    that ends at `top` attempts per event."""
    events = max(1, scenario["events"])
    return [
        key for key, count in outcome_counts(scenario).items()
        if count and count / events >= VISIBLE_SHARE * top
    ]  # fmt: skip


def _outcome_panel(ax: Axes, result: Mapping, unseen: set[str]) -> None:
    scenarios = result["scenarios"]
    positions = range(len(scenarios))
    bottoms = [0.0] * len(scenarios)
    for key in OUTCOMES:
        heights = [outcome_counts(s)[key] / max(1, s["events"]) for s in scenarios]
        look = OUTCOMES[key]
        ax.bar(
            positions, heights, 0.62, bottom=bottoms, label=look.label, color=look.color,
            hatch=look.hatch, edgecolor="white", linewidth=0.6,
        )  # fmt: skip
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    for x, (s, height) in enumerate(zip(scenarios, bottoms, strict=True)):
        counted = [
            f"\n{count} attempt{'s' * (count != 1)} {OUTCOMES[key].counted or OUTCOMES[key].label}"
            for key, count in outcome_counts(s).items()
            if count and key in unseen
        ]
        ax.annotate(
            f"{s['attempts']} attempts\n{s['succeeded']}/{s['events']} ok{''.join(counted)}",
            (x, height), xytext=(0, 3), textcoords="offset points",
            ha="center", va="bottom", fontsize=10, linespacing=1.1,
        )  # fmt: skip
    ax.set_xticks(list(positions), [scenario_label(s) for s in scenarios])
    events = sum(s["events"] for s in scenarios)
    dead = sum(s[Outcome.DEAD_LETTERED] for s in scenarios)
    overwrites = sum(s["errors"].get("OverwriteModelError", 0) for s in scenarios)
    ax.set_title(result["variant"], loc="left", color=variant_look(result["variant"]).color)
    ax.set_title(
        f"{dead} of {events} events dead-lettered, {overwrites} OverwriteModelError",
        loc="right", fontsize=10.5, fontweight="normal",
    )  # fmt: skip
    tidy(ax, grid="y")


def attempt_timeline(
    scenario_result: Mapping, ax: Axes | None = None, *, variant: str | None = None
) -> Figure:
    """Every attempt of one scenario: events on y, attempt number on x, marker by outcome.

    A grey line joins one event's attempts. A record delivered twice (a
    rebalance redelivers what was not committed yet) has two attempts with
    one number; the repeat is drawn just right of the first. `variant`, when
    given, names the worker in the title.
    """
    scenario = as_dict(scenario_result)
    timeline = scenario["timeline"]
    event_ids = sorted({a["event_id"] for a in timeline if a["event_id"] is not None})
    event_ids += sorted(
        {e["event_id"] for e in scenario.get("per_event", ())} - set(event_ids)
    )  # events with no attempt at all still get a row
    row = {event_id: i for i, event_id in enumerate(event_ids)}
    with matplotlib.rc_context(STYLE):
        if ax is None:
            height = min(9.0, max(3.2, 1.6 + 0.15 * len(event_ids)))
            ax = Figure(figsize=(8.5, height), layout="constrained").subplots()
        seen: Counter[tuple[str, int]] = Counter()
        points: dict[str, list[tuple[float, int]]] = defaultdict(list)
        last_attempt: dict[str, float] = defaultdict(float)
        for a in timeline:
            if a["event_id"] not in row:
                continue
            repeat = seen[(a["event_id"], a["attempt"])]
            seen[(a["event_id"], a["attempt"])] += 1
            x = a["attempt"] + 0.22 * repeat
            points[attempt_outcome(a)].append((x, row[a["event_id"]]))
            last_attempt[a["event_id"]] = max(last_attempt[a["event_id"]], x)
        for event_id, y in row.items():
            if last_attempt[event_id] > 1:
                ax.plot([1, last_attempt[event_id]], [y, y], color="#c8c8c8", lw=1, zorder=1)
        for key, look in OUTCOMES.items():
            if points[key]:
                xs, ys = zip(*points[key], strict=True)
                ax.scatter(
                    xs, ys, s=46, marker=look.marker, color=look.color, label=look.label,
                    edgecolors="white", linewidths=0.5, zorder=3,
                )  # fmt: skip
        _event_axis(ax, event_ids)
        top = max([5, *(a["attempt"] for a in timeline)])
        ax.set_xticks(range(1, top + 1))
        ax.set_xlim(0.5, top + 0.7)
        ax.set_xlabel("attempt")
        ax.set_ylabel("event")
        repeats = sum(n - 1 for n in seen.values())
        ax.set_title(
            (f"{variant} · " if variant else "")
            + f"{scenario['name']}: {scenario['succeeded']}/{scenario['events']} succeeded, "
            f"{scenario['dead_lettered']} dead-lettered"
            + (f"\n{_repeats(repeats)} of redelivered records, drawn just right" if repeats else "")
        )
        # Below the x label, so that side-by-side timelines keep their width.
        below = ax.transAxes + ScaledTranslation(0, -0.6, figure_of(ax).dpi_scale_trans)
        drawn = sum(bool(points[key]) for key in OUTCOMES)
        ax.legend(
            loc="upper center", bbox_to_anchor=(0.5, 0), bbox_transform=below,
            ncols=min(drawn, 2), frameon=False, borderaxespad=0,
        )  # fmt: skip
        tidy(ax, grid="x")
    return figure_of(ax)


def _repeats(count: int) -> str:
    return f"{count} repeated attempt{'s' * (count != 1)}"


def _event_axis(ax: Axes, event_ids: list[str]) -> None:
    step = max(1, math.ceil(len(event_ids) / 25))  # at most ~25 labels stay readable
    ticks = list(range(0, len(event_ids), step))
    ax.set_yticks(ticks, [short_event(event_ids[i]) for i in ticks])
    ax.set_ylim(len(event_ids) - 0.5, -0.5)  # the first event on top
