"""The cost figure: what each variant pays per event, in attempts and service loads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib
import matplotlib.ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from modelguard.views.plots.style import (
    STYLE,
    as_list,
    figure_of,
    tidy,
    variant_look,
)


def cost_per_event(results: Mapping | Sequence[Mapping], ax: Axes | None = None) -> Figure:
    """Per variant, over all its scenarios: attempts and service loads per event.

    A service load runs the admin service's build (every model file in it);
    the fixed worker pays it once per process, the per-call variants on every
    attempt. Wall time per event (whole scenarios, set-up included) is printed
    under each variant's name.
    """
    results = as_list(results)
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
            tick.set_color(variant_look(c["variant"]).color)
        ax.set_ylim(0, max(c[k] for c in costs for k in ("attempts", "loads")) * 1.18)
        ax.set_ylabel("per event")
        ax.set_title("Cost per event, all scenarios of each variant")
        ax.legend(loc="upper right", frameon=False)
        tidy(ax, grid="y")
    return figure_of(ax)


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
