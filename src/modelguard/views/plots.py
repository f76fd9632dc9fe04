"""Figures of retry outcomes, drawn from the dicts `scenarios.run_variant` returns.

This module decides how an outcome looks, so every figure agrees:

- each attempt in a scenario's `timeline` falls in exactly one outcome
  (`attempt_outcome`): succeeded, injected failure, OverwriteModelError, another
  error, or dead-lettered (the attempt that sent the record to the DLQ);
- each outcome has one colour (and the DLQ a hatch), each variant one colour
  and marker;
- a plot function takes results and an optional `ax` (`fig` for the grid),
  draws on it and returns the Figure. Figures are built with
  `matplotlib.figure.Figure`, never pyplot, so nothing depends on a GUI
  backend or on pyplot's current figure.

The numbers come from the results; no figure runs a worker (`growth` measures).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import matplotlib.ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import ScaledTranslation


@dataclass(frozen=True)
class Look:
    label: str
    color: str
    marker: str
    hatch: str | None = None


OUTCOMES: dict[str, Look] = {
    "success": Look("succeeded", "#2e7d32", "o"),
    "injected": Look("injected failure, retried", "#f2a900", "^"),
    "overwrite": Look("OverwriteModelError, retried", "#c62828", "X"),
    "other": Look("other error, retried", "#8e8e8e", "D"),
    "crashed": Look("worker killed mid-attempt", "#6a3d9a", "P"),
    "dead_lettered": Look("dead-lettered (final attempt)", "#1c1c1c", "s", hatch="///"),
}
VARIANTS: dict[str, Look] = {
    "buggy": Look("buggy", "#b2182b", "o"),
    "guard-only": Look("guard-only", "#2166ac", "s"),
    "cache-only": Look("cache-only", "#7b3294", "D"),
    "fixed": Look("fixed", "#1b7837", "^"),
}
_FALLBACK_VARIANT = Look("", "#555555", "v")

# Sizes chosen to stay legible when a figure is shown at half its width (a README).
STYLE = {
    "font.size": 11,
    "axes.titlesize": 12.5,
    "axes.titleweight": "bold",
    "axes.labelsize": 11.5,
    "xtick.labelsize": 10.5,
    "ytick.labelsize": 10.5,
    "legend.fontsize": 10.5,
    "figure.titlesize": 15,
    "figure.titleweight": "bold",
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "hatch.linewidth": 1.0,
}


# Outcomes the legend shows only when some attempt had them.
_SHOWN_IF_PRESENT = ("other", "crashed")


def attempt_outcome(attempt: Mapping) -> str:
    """The outcome key of one timeline entry."""
    if attempt["outcome"] == "succeeded":
        return "success"
    if attempt["outcome"] in ("dead_lettered", "crashed"):
        return str(attempt["outcome"])
    return {"InjectedFailure": "injected", "OverwriteModelError": "overwrite"}.get(
        attempt.get("error_class") or "", "other"
    )


def outcome_counts(scenario: Mapping) -> dict[str, int]:
    """Attempts of one scenario per outcome, every outcome present (zero if none)."""
    counted = Counter(attempt_outcome(a) for a in scenario["timeline"])
    return {key: counted.get(key, 0) for key in OUTCOMES}


def retry_outcomes(results: Mapping | Sequence[Mapping], fig: Figure | None = None) -> Figure:
    """One panel per variant; per scenario, a stacked bar of attempts split by outcome.

    Bars are normalised per event (attempts / events), on one y scale shared by
    every panel: the raw counts span 2 attempts (one event of kafka_retry) to
    hundreds (concurrent_events), so raw or log bars would hide the point,
    which is the shape of each event's retry chain. Above every bar its raw
    totals are printed: attempts, and events that ended succeeded.
    """
    results = _as_list(results)
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
        present = {key for r in results for s in r["scenarios"] for key in _nonzero(s)}
        for ax, result in zip(axes, results, strict=False):
            _outcome_panel(ax, result)
            ax.set_ylim(0, peak * 1.3)
        for ax in axes[len(results) :]:
            ax.set_visible(False)
        for ax in axes[::columns]:
            ax.set_ylabel("attempts per event")
        fig.suptitle("Retry outcomes per scenario: attempts per event, by outcome")
        keys = [key for key in OUTCOMES if key not in _SHOWN_IF_PRESENT or key in present]
        fig.legend(
            handles=[_patch(key) for key in keys],
            loc="outside lower center",
            ncols=len(keys),
            frameon=False,
        )
    return fig


def _outcome_panel(ax: Axes, result: Mapping) -> None:
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
    for x, (s, top) in enumerate(zip(scenarios, bottoms, strict=True)):
        ax.annotate(
            f"{s['attempts']} attempts\n{s['succeeded']}/{s['events']} ok",
            (x, top), xytext=(0, 3), textcoords="offset points",
            ha="center", va="bottom", fontsize=10, linespacing=1.1,
        )  # fmt: skip
    ax.set_xticks(list(positions), [_scenario_label(s) for s in scenarios])
    events = sum(s["events"] for s in scenarios)
    dead = sum(s["dead_lettered"] for s in scenarios)
    overwrites = sum(s["errors"].get("OverwriteModelError", 0) for s in scenarios)
    ax.set_title(result["variant"], loc="left", color=_variant(result["variant"]).color)
    ax.set_title(
        f"{dead} of {events} events dead-lettered, {overwrites} OverwriteModelError",
        loc="right", fontsize=10.5, fontweight="normal",
    )  # fmt: skip
    _tidy(ax, grid="y")


def attempt_timeline(
    scenario_result: Mapping, ax: Axes | None = None, *, variant: str | None = None
) -> Figure:
    """Every attempt of one scenario: events on y, attempt number on x, marker by outcome.

    A grey line joins one event's attempts. A record delivered twice (a
    rebalance redelivers what was not committed yet) has two attempts with
    one number; the repeat is drawn just right of the first. `variant`, when
    given, names the worker in the title.
    """
    scenario = _as_dict(scenario_result)
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
        below = ax.transAxes + ScaledTranslation(0, -0.6, ax.figure.dpi_scale_trans)
        drawn = sum(bool(points[key]) for key in OUTCOMES)
        ax.legend(
            loc="upper center", bbox_to_anchor=(0.5, 0), bbox_transform=below,
            ncols=min(drawn, 2), frameon=False, borderaxespad=0,
        )  # fmt: skip
        _tidy(ax, grid="x")
    return ax.figure


def _repeats(count: int) -> str:
    return f"{count} repeated attempt{'s' * (count != 1)}"


def _event_axis(ax: Axes, event_ids: list[str]) -> None:
    step = max(1, math.ceil(len(event_ids) / 25))  # at most ~25 labels stay readable
    ticks = list(range(0, len(event_ids), step))
    ax.set_yticks(ticks, [_short_event(event_ids[i]) for i in ticks])
    ax.set_ylim(len(event_ids) - 0.5, -0.5)  # the first event on top


def dlq_growth(points: Iterable[Mapping], ax: Axes | None = None) -> Figure:
    """Records in the DLQ against events published, one line per variant.

    The dashed diagonal is one DLQ record per event; a line above it means
    some events were dead-lettered twice (a redelivered record runs its own
    chain of attempts).
    """
    points = list(points)
    if not points:
        raise ValueError("dlq_growth needs at least one point")
    by_variant: dict[str, list[Mapping]] = defaultdict(list)
    for point in points:
        by_variant[point["variant"]].append(point)
    with matplotlib.rc_context(STYLE):
        if ax is None:
            ax = Figure(figsize=(7.5, 5), layout="constrained").subplots()
        largest = max(p["events"] for p in points)
        ax.plot([0, largest], [0, largest], ls="--", color="#9e9e9e", lw=1.2,
                label="one DLQ record per event")  # fmt: skip
        lines = _lines(by_variant, "dlq_records")
        offsets = _apart(lines)
        for variant, (xs, ys) in lines.items():
            look = _variant(variant)
            ax.plot(xs, ys, marker=look.marker, color=look.color, lw=2.2, ms=7, label=variant,
                    transform=_shifted(ax, offsets[variant]), clip_on=False,
                    zorder=3)  # fmt: skip
        ends = [(ys[-1], f"{ys[-1]}", variant) for variant, (_, ys) in lines.items()]
        consumers = points[0].get("consumers")
        ax.set_title(
            "DLQ size as events grow"
            + (f" (concurrent_events, {consumers} consumers)" if consumers else "")
        )
        ax.set_xlabel("events published")
        ax.set_ylabel("records in the DLQ")
        ax.set_xlim(0, largest * 1.1)
        top = max(largest, *(p["dlq_records"] for p in points)) * 1.1
        ax.set_ylim(-0.03 * top, top)  # lines at zero stay clear of the axis
        _end_labels(ax, largest, ends)
        ax.legend(loc="upper left", frameon=False)
        _tidy(ax, grid="both")
    return ax.figure


def cost_per_event(results: Mapping | Sequence[Mapping], ax: Axes | None = None) -> Figure:
    """Per variant, over all its scenarios: attempts and service loads per event.

    A service load runs the admin service's build (every model file in it);
    the fixed worker pays it once per process, the per-call variants on every
    attempt. Wall time per event (whole scenarios, set-up included) is printed
    under each variant's name.
    """
    results = _as_list(results)
    costs = [_costs(result) for result in results]
    with matplotlib.rc_context(STYLE):
        if ax is None:
            ax = Figure(figsize=(7.5, 5), layout="constrained").subplots()
        measures = (("attempts", "attempts per event", "#455a64"),
                    ("loads", "service loads per event", "#d08c60"))  # fmt: skip
        width = 0.38
        for i, (key, label, color) in enumerate(measures):
            xs = [x + (i - 0.5) * width for x in range(len(costs))]
            heights = [c[key] for c in costs]
            bars = ax.bar(xs, heights, width, label=label, color=color)
            ax.bar_label(bars, fmt="%.2f", padding=2, fontsize=10)
        ax.axhline(1, ls="--", color="#9e9e9e", lw=1.2, zorder=0, label="one attempt per event")
        ax.set_xticks(
            range(len(costs)),
            [f"{c['variant']}\n{c['ms_per_event']:.0f} ms/event" for c in costs],
        )
        for tick, c in zip(ax.get_xticklabels(), costs, strict=True):
            tick.set_color(_variant(c["variant"]).color)
        ax.set_ylim(0, max(c[k] for c in costs for k in ("attempts", "loads")) * 1.18)
        ax.set_ylabel("per event")
        ax.set_title("Cost per event, all scenarios of each variant")
        ax.legend(loc="upper right", frameon=False)
        _tidy(ax, grid="y")
    return ax.figure


def _costs(result: Mapping) -> dict:
    scenarios = result["scenarios"]
    events = max(1, sum(s["events"] for s in scenarios))
    return {
        "variant": result["variant"],
        "attempts": sum(s["attempts"] for s in scenarios) / events,
        "loads": sum(s.get("service_loads", 0) for s in scenarios) / events,
        "ms_per_event": 1000 * sum(s.get("duration_s", 0.0) for s in scenarios) / events,
    }


# What `cost_growth` draws, one panel each: the point's key, the panel title, log scale or not.
GROWTH_COSTS = (
    ("ms_per_event", "wall time per event, ms", True),
    ("service_loads_per_event", "service loads per event", True),
    ("attempts_per_event", "attempts per event", False),
)


def cost_growth(points: Iterable[Mapping], ax: Axes | Sequence[Axes] | None = None) -> Figure:
    """What each event costs against the events in the run, one line per variant.

    One panel per entry of `GROWTH_COSTS`: wall time (the whole scenario, set-up
    included, over its events), runs of the admin service's build, and attempts,
    each per event; the value at the largest size is printed at the end of each
    line. Lines that coincide (three variants make one attempt per event) are
    drawn 2 pt apart, so none hides another. `ax` may be one Axes (it gets the
    first panel) or one per panel; without it the figure is one row of panels
    with a legend below.
    """
    points = list(points)
    if not points:
        raise ValueError("cost_growth needs at least one point")
    by_variant: dict[str, list[Mapping]] = defaultdict(list)
    for point in points:
        by_variant[point["variant"]].append(point)
    sizes = sorted({p["events"] for p in points})
    with matplotlib.rc_context(STYLE):
        if ax is None:
            fig = Figure(figsize=(4.0 * len(GROWTH_COSTS), 4.4), layout="constrained")
            axes = list(fig.subplots(1, len(GROWTH_COSTS)))
        else:
            axes = [ax] if isinstance(ax, Axes) else list(ax)
            fig = axes[0].figure
        for panel, (key, title, log) in zip(axes, GROWTH_COSTS, strict=False):
            _cost_growth_panel(panel, by_variant, key, log)
            panel.set_title(title)
            panel.set_xscale("log")
            panel.set_xticks(sizes, [str(size) for size in sizes])
            panel.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
            panel.set_xlim(sizes[0] / 1.25, sizes[-1] * 1.9)  # room for the end labels
            panel.set_xlabel("events in the run")
            _tidy(panel, grid="both")
        consumers = points[0].get("consumers")
        heading = "What each event costs as traffic grows" + (
            f" (concurrent_events, {consumers} consumers)" if consumers else ""
        )
        handles = [
            Line2D([], [], color=_variant(v).color, marker=_variant(v).marker, lw=2.2, ms=7,
                   label=v)
            for v in by_variant
        ]  # fmt: skip
        if ax is None:
            fig.suptitle(heading)
            fig.legend(handles=handles, loc="outside lower center", ncols=len(handles),
                       frameon=False)  # fmt: skip
        else:
            axes[0].legend(handles=handles, loc="best", frameon=False)
    return fig


def _cost_growth_panel(
    ax: Axes, by_variant: Mapping[str, list[Mapping]], key: str, log: bool
) -> None:
    lines = _lines(by_variant, key)
    offsets = _apart(lines)
    for variant, (xs, ys) in lines.items():
        look = _variant(variant)
        ax.plot(xs, ys, marker=look.marker, color=look.color, lw=2.2, ms=7, label=variant,
                transform=_shifted(ax, offsets[variant]), zorder=3)  # fmt: skip
    values = [y for _, ys in lines.values() for y in ys]
    if log:
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1, 2, 5)))
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.set_ylim(min(values) / 1.6, max(values) * 1.6)
    else:
        ax.set_ylim(0, max(values) * 1.2)
    ends = [(ys[-1], f"{ys[-1]:.2g}", variant) for variant, (_, ys) in lines.items()]
    _end_labels(ax, max(x for xs, _ in lines.values() for x in xs), ends)


def _lines(by_variant: Mapping[str, list[Mapping]], key: str) -> dict[str, tuple[list, list]]:
    """Per variant, the events and the `key` values of its points, by events."""
    lines = {}
    for variant, series in by_variant.items():
        series = sorted(series, key=lambda p: p["events"])
        lines[variant] = ([p["events"] for p in series], [p[key] for p in series])
    return lines


def _apart(lines: Mapping[str, tuple[list, list]], step_pt: float = 2.0) -> dict[str, float]:
    """Per variant, points to shift its line up (or down) by: 0 unless another line is the
    same; lines that are the same are spread `step_pt` apart, so none hides another."""
    same: dict[tuple, list[str]] = defaultdict(list)
    for variant, (xs, ys) in lines.items():
        same[(tuple(xs), tuple(round(y, 9) for y in ys))].append(variant)
    return {
        variant: step_pt * ((len(group) - 1) / 2 - number)
        for group in same.values()
        for number, variant in enumerate(group)
    }


def _shifted(ax: Axes, offset_pt: float):
    """Data coordinates, drawn `offset_pt` points higher."""
    return ax.transData + ScaledTranslation(0, offset_pt / 72, ax.figure.dpi_scale_trans)


def _end_labels(ax: Axes, x: float, ends: Iterable[tuple[float, str, str]]) -> None:
    """Each line's last value (y, text, variant) printed right of `x`, in the variant's colour.

    Lines that end on the same text share one grey label; labels that would
    overlap are pushed apart. Call it once the axis limits are set.
    """
    groups: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for y, text, variant in ends:
        groups[text].append((y, variant))
    to_axes = ax.transScale + ax.transLimits  # data to axes fraction, whatever the layout
    labels = sorted(
        (
            to_axes.transform((x, sum(y for y, _ in at) / len(at)))[1],
            text,
            _variant(at[0][1]).color if len(at) == 1 else "#424242",
        )
        for text, at in groups.items()
    )
    height_pt = 72 * ax.figure.get_figheight() * ax.get_position().height
    gap = 1.35 * matplotlib.rcParams["font.size"] / height_pt
    placed: list[float] = []
    for y, text, color in labels:
        y = max(y, placed[-1] + gap) if placed else y
        placed.append(y)
        ax.annotate(text, (x, y), xycoords=("data", "axes fraction"), xytext=(9, 0),
                    textcoords="offset points", va="center", color=color,
                    fontweight="bold")  # fmt: skip


def save_png(fig: Figure, path: str | Path, dpi: int = 150) -> Path:
    """Write `fig` as a PNG, creating the directory; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, format="png")
    return path


def save_all(
    results: Mapping | Sequence[Mapping],
    directory: str | Path,
    *,
    growth: Iterable[Mapping] | None = None,
    timeline_scenario: str = "concurrent_events",
    dpi: int = 150,
) -> list[Path]:
    """Every figure of `results` as PNGs in `directory` (created); returns the paths.

    retry-outcomes.png, cost-per-event.png, one attempt-timeline-VARIANT.png
    per variant (of `timeline_scenario`), and dlq-growth.png and
    cost-growth.png when `growth` points are given.
    """
    results = _as_list(results)
    directory = Path(directory)
    written = [
        save_png(retry_outcomes(results), directory / "retry-outcomes.png", dpi),
        save_png(cost_per_event(results), directory / "cost-per-event.png", dpi),
    ]
    for result in results:
        scenario = next(s for s in result["scenarios"] if s["name"] == timeline_scenario)
        path = directory / f"attempt-timeline-{result['variant']}.png"
        figure = attempt_timeline(scenario, variant=result["variant"])
        written.append(save_png(figure, path, dpi))
    if growth is not None:
        growth = list(growth)
        written.append(save_png(dlq_growth(growth), directory / "dlq-growth.png", dpi))
        written.append(save_png(cost_growth(growth), directory / "cost-growth.png", dpi))
    return written


def _as_list(results: Mapping | Sequence[Mapping]) -> list[Mapping]:
    results = [results] if isinstance(results, Mapping) else list(results)
    if not results:
        raise ValueError("no scenario results to plot")
    return results


def _as_dict(scenario: Mapping | object) -> Mapping:
    return scenario if isinstance(scenario, Mapping) else scenario.to_json()


def _nonzero(scenario: Mapping) -> list[str]:
    return [key for key, count in outcome_counts(scenario).items() if count]


def _patch(key: str) -> Patch:
    look = OUTCOMES[key]
    return Patch(facecolor=look.color, hatch=look.hatch, edgecolor="white", label=look.label)


def _variant(name: str) -> Look:
    return VARIANTS.get(name, _FALLBACK_VARIANT)


def _scenario_label(scenario: Mapping) -> str:
    events = scenario["events"]
    name = scenario["name"].replace("_", "\n", 1)  # kafka_retry -> kafka / retry
    return f"{name}\n({events} event{'s' * (events != 1)})"


def _short_event(event_id: str) -> str:
    """`kafka_retry-1a2b3c4d-evt-00001` -> `evt-00001`: the run id is the same on every row."""
    _, sep, number = event_id.rpartition("-evt-")
    return f"evt-{number}" if sep else event_id


def _tidy(ax: Axes, grid: str) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_axisbelow(True)
    if grid != "none":
        ax.grid(axis=grid, color="#e0e0e0", lw=0.8)


__all__ = [
    "GROWTH_COSTS",
    "OUTCOMES",
    "VARIANTS",
    "attempt_outcome",
    "attempt_timeline",
    "cost_growth",
    "cost_per_event",
    "dlq_growth",
    "outcome_counts",
    "retry_outcomes",
    "save_all",
    "save_png",
]
