"""The worker's metrics drawn as an operator's dashboard would draw them.

One panel per worker variant, the scrapes on the x axis (one per attempt handled),
one line per sample, with the same samples and colours in every panel, so the
buggy and the fixed worker compare at a glance. Dotted lines mark the scrape where
a model was first compiled twice (the signal) and the one where the first dead
letter appeared (what the incident's team saw first).

It draws the scrapes it is handed (a variant's run, as `lab.scrapes.scraped_run`
returns it) and runs nothing itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from matplotlib.figure import Figure

from modelguard.views.plots import STYLE

USER_COMPILATIONS = 'modelguard_model_compilations_total{model="User"}'
# sample: (label, colour, line width); the wide pale line sits under the one it follows.
DASHBOARD: dict[str, tuple[str, str, float]] = {
    "modelguard_service_loads_total": ("service loads", "#f2c14e", 5.0),
    USER_COMPILATIONS: ("User model compilations", "#c62828", 2.0),
    "modelguard_retries_total": ("retries published", "#2166ac", 2.0),
    "modelguard_dead_letters_total": ("dead letters published", "#1c1c1c", 2.0),
}


def series(scrapes: Sequence[Mapping[str, float]], key: str) -> list[float]:
    """One sample's values over the scrapes; 0 before it first appears, as a counter
    that has not been incremented yet reads in a query."""
    return [scrape.get(key, 0.0) for scrape in scrapes]


def counter_total(scrapes: Sequence[Mapping[str, float]], family: str) -> list[float]:
    """A counter summed over its labels (`sum(name)` in PromQL), per scrape."""
    prefix = family + "{"
    return [
        sum(v for k, v in scrape.items() if k == family or k.startswith(prefix))
        for scrape in scrapes
    ]


def first_scrape(values: Sequence[float], *, above: float) -> int | None:
    """The first scrape whose value is above `above`, or None."""
    return next((i for i, value in enumerate(values) if value > above), None)


def metrics_dashboard(runs: Mapping[str, list[dict[str, float]]]) -> Figure:
    """`runs` maps a variant to its scrapes (`lab.scrapes.scraped_run`)."""
    import matplotlib

    # STYLE's keys are matplotlib's rc names; its stubs type them as literals.
    with matplotlib.rc_context(cast(Any, STYLE)):
        fig = Figure(figsize=(5.2 * len(runs), 4.2), layout="constrained")
        axes = fig.subplots(1, len(runs), squeeze=False)[0]
        for ax, (variant, scrapes) in zip(axes, runs.items(), strict=True):
            highest = 0.0
            for key, (label, color, width) in DASHBOARD.items():
                values = series(scrapes, key) if "{" in key else counter_total(scrapes, key)
                ax.plot(range(len(values)), values, label=label, color=color, linewidth=width)
                highest = max(highest, *values)
            ax.set_ylim(-0.04 * (highest + 1), 1.15 * highest + 0.5)  # room for the notes
            twice = first_scrape(series(scrapes, USER_COMPILATIONS), above=1)
            dead = first_scrape(counter_total(scrapes, "modelguard_dead_letters_total"), above=0)
            for at, text, color, side in (
                (twice, "User compiled twice", "#c62828", "left"),
                (dead, "first dead letter", "#1c1c1c", "right"),
            ):
                if at is None:
                    continue
                ax.axvline(at, color=color, linestyle=":", linewidth=1.2)
                ax.annotate(
                    text, (at, 0.93), xycoords=("data", "axes fraction"),
                    xytext=(5 if side == "left" else -5, 0), textcoords="offset points",
                    ha=side, fontsize=10, color=color,
                )  # fmt: skip
            ax.set_title(variant)
            ax.set_xlabel("attempts handled (one scrape after each)")
            ax.grid(axis="y", alpha=0.3)
        axes[0].set_ylabel("counter value")
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), frameon=False)
        fig.suptitle("What /metrics would have shown")
    return fig
