"""Figures of retry outcomes, drawn from the dicts `scenarios.run_variant` returns.

One module per figure family: `outcomes` (retry outcomes, the attempt timeline),
`costs` (cost per event), `growth` (DLQ and cost growth), `files` (PNGs), and
`style`, which decides how an outcome and a variant look so that every figure agrees.

A plot function takes results and an optional `ax` (`fig` for the grid), draws on it
and returns the Figure. Figures are built with `matplotlib.figure.Figure`, never
pyplot, so nothing depends on a GUI backend or on pyplot's current figure. The
numbers come from the results; no figure runs a worker (`lab.growth` measures).
"""

from modelguard.views.plots.costs import cost_per_event
from modelguard.views.plots.files import save_all, save_png
from modelguard.views.plots.growth import GROWTH_COSTS, cost_growth, dlq_growth
from modelguard.views.plots.outcomes import attempt_timeline, retry_outcomes
from modelguard.views.plots.style import (
    OUTCOMES,
    STYLE,
    VARIANT_LOOKS,
    attempt_outcome,
    outcome_counts,
)

__all__ = [
    "GROWTH_COSTS",
    "OUTCOMES",
    "STYLE",
    "VARIANT_LOOKS",
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
