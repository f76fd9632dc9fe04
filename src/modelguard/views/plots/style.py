"""How an outcome and a variant look, so every figure agrees.

- each attempt in a scenario's `timeline` falls in exactly one outcome
  (`attempt_outcome`): succeeded, injected failure, OverwriteModelError, another
  error, a worker killed mid-attempt, or dead-lettered (the attempt that sent the
  record to the DLQ);
- each outcome has one colour (and the DLQ a hatch), each variant one colour
  and marker; STYLE sizes text to stay legible at half width;
- the small helpers every figure family shares (labels, legends, tidy axes).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from modelguard.messaging.outcome import Outcome


@dataclass(frozen=True)
class Look:
    label: str
    color: str
    marker: str
    hatch: str | None = None
    counted: str = ""  # above a bar, after a count, where the segment is too thin to see


# In stacking order, bottom up: an event's retry chain meets a transient failure (injected,
# or another error such as a database timeout) before the OverwriteModelError its retries
# then raise, so a bar reads in the order things happened.
OUTCOMES: dict[str, Look] = {
    "success": Look("succeeded", "#2e7d32", "o"),
    "injected": Look("injected failure, retried", "#f2a900", "^"),
    "other": Look("other error, retried", "#8e8e8e", "D"),
    "overwrite": Look("OverwriteModelError, retried", "#c62828", "X"),
    Outcome.CRASHED: Look("worker killed mid-attempt", "#6a3d9a", "P", counted="killed"),
    Outcome.DEAD_LETTERED: Look("dead-lettered (final attempt)", "#1c1c1c", "s", hatch="///"),
}
VARIANT_LOOKS: dict[str, Look] = {
    "buggy": Look("buggy", "#b2182b", "o"),
    "guard-only": Look("guard-only", "#2166ac", "s"),
    "cache-only": Look("cache-only", "#7b3294", "D"),
    "fixed": Look("fixed", "#1b7837", "^"),
}
_FALLBACK_VARIANT = Look("", "#555555", "v")

# Sizes chosen to stay legible when a figure is shown at half its width (a README).
STYLE: dict[Any, Any] = {
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
SHOWN_IF_PRESENT = ("other", Outcome.CRASHED)
# A stacked segment lower than this share of its axis is a line or less on the page: the
# legend does not offer its colour, and the bar's total says the count in words instead.
VISIBLE_SHARE = 0.015


def attempt_outcome(attempt: Mapping) -> str:
    """The outcome key of one timeline entry."""
    if attempt["outcome"] == Outcome.SUCCEEDED:
        return "success"
    if attempt["outcome"] in (Outcome.DEAD_LETTERED, Outcome.CRASHED):
        return str(attempt["outcome"])
    return {"InjectedFailure": "injected", "OverwriteModelError": "overwrite"}.get(
        attempt.get("error_class") or "", "other"
    )


def outcome_counts(scenario: Mapping) -> dict[str, int]:
    """Attempts of one scenario per outcome, every outcome present (zero if none)."""
    counted = Counter(attempt_outcome(a) for a in scenario["timeline"])
    return {key: counted.get(key, 0) for key in OUTCOMES}


def as_list(results: Mapping | Sequence[Mapping]) -> list[Mapping]:
    results = [results] if isinstance(results, Mapping) else list(results)
    if not results:
        raise ValueError("no scenario results to plot")
    return results


def as_dict(scenario: Mapping | object) -> Mapping:
    return scenario if isinstance(scenario, Mapping) else cast(Any, scenario).to_json()


def nonzero(scenario: Mapping) -> list[str]:
    return [key for key, count in outcome_counts(scenario).items() if count]


def outcome_patch(key: str) -> Patch:
    look = OUTCOMES[key]
    return Patch(facecolor=look.color, hatch=look.hatch, edgecolor="white", label=look.label)


def variant_look(name: str) -> Look:
    return VARIANT_LOOKS.get(name, _FALLBACK_VARIANT)


def scenario_label(scenario: Mapping) -> str:
    events = scenario["events"]
    name = scenario["name"].replace("_", "\n", 1)  # kafka_retry -> kafka / retry
    return f"{name}\n({events} event{'s' * (events != 1)})"


def short_event(event_id: str) -> str:
    """`kafka_retry-1a2b3c4d-evt-00001` -> `evt-00001`: the run id is the same on every row."""
    _, sep, number = event_id.rpartition("-evt-")
    return f"evt-{number}" if sep else event_id


def figure_of(ax: Axes) -> Figure:
    """The whole figure `ax` is drawn on (a subfigure's root, too)."""
    return cast(Figure, ax.get_figure(root=True))


def tidy(ax: Axes, grid: Literal["x", "y", "both", "none"]) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_axisbelow(True)
    if grid != "none":
        ax.grid(axis=grid, color="#e0e0e0", lw=0.8)
