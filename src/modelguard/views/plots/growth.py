"""The growth figures: how the DLQ and the cost per event grow with the events.

They draw the points `lab.growth.measure_growth` returns, one line per variant, with
the end of each line labelled and lines that would overlap set slightly apart.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

import matplotlib
import matplotlib.ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.transforms import ScaledTranslation

from modelguard.views.plots.style import (
    STYLE,
    figure_of,
    tidy,
    variant_look,
)


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
            look = variant_look(variant)
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
        tidy(ax, grid="both")
    return figure_of(ax)


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
            fig = figure_of(axes[0])
        for panel, (key, title, log) in zip(axes, GROWTH_COSTS, strict=False):
            _cost_growth_panel(panel, by_variant, key, log)
            panel.set_title(title)
            panel.set_xscale("log")
            panel.set_xticks(sizes, [str(size) for size in sizes])
            panel.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
            panel.set_xlim(sizes[0] / 1.25, sizes[-1] * 1.9)  # room for the end labels
            panel.set_xlabel("events in the run")
            tidy(panel, grid="both")
        consumers = points[0].get("consumers")
        heading = "What each event costs as traffic grows" + (
            f" (concurrent_events, {consumers} consumers)" if consumers else ""
        )
        handles = [
            Line2D([], [], color=variant_look(v).color, marker=variant_look(v).marker, lw=2.2, ms=7,
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
        look = variant_look(variant)
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
    return ax.transData + ScaledTranslation(0, offset_pt / 72, figure_of(ax).dpi_scale_trans)


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
            variant_look(at[0][1]).color if len(at) == 1 else "#424242",
        )
        for text, at in groups.items()
    )
    height_pt = 72 * figure_of(ax).get_figheight() * ax.get_position().height
    gap = 1.35 * matplotlib.rcParams["font.size"] / height_pt
    placed: list[float] = []
    for y, text, color in labels:
        y = max(y, placed[-1] + gap) if placed else y
        placed.append(y)
        ax.annotate(text, (x, y), xycoords=("data", "axes fraction"), xytext=(9, 0),
                    textcoords="offset points", va="center", color=color,
                    fontweight="bold")  # fmt: skip
