"""Writing figures as PNG files: one figure, or every figure of a set of results."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from matplotlib.figure import Figure

from modelguard.views.plots.costs import cost_per_event
from modelguard.views.plots.growth import cost_growth, dlq_growth
from modelguard.views.plots.outcomes import attempt_timeline, retry_outcomes
from modelguard.views.plots.style import (
    as_list,
)


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
    results = as_list(results)
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
