"""The figures draw what the results say: bar heights, markers and lines are the counts."""

from __future__ import annotations

import pytest
from matplotlib.container import BarContainer
from matplotlib.figure import Figure

from modelguard.config import VARIANT_NAMES
from modelguard.lab.growth import measure_growth
from modelguard.lab.scenarios import run_variant
from modelguard.views.plots import (
    GROWTH_COSTS,
    OUTCOMES,
    attempt_outcome,
    attempt_timeline,
    cost_growth,
    cost_per_event,
    dlq_growth,
    outcome_counts,
    retry_outcomes,
    save_all,
    save_png,
)

# The module's runs are set up once, on one pytest worker (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("plots")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _embedded():
    """Module-scoped runs start before the per-test env fixture, so they clear it themselves."""
    patch = pytest.MonkeyPatch()
    patch.delenv("MONGODB_URI", raising=False)
    patch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    return patch


@pytest.fixture(scope="module")
def results():
    """All four variants, once, at five events: the plots' real input."""
    patch = _embedded()
    try:
        return [run_variant(variant, events=5) for variant in VARIANT_NAMES]
    finally:
        patch.undo()


@pytest.fixture(scope="module")
def growth():
    patch = _embedded()
    try:
        return measure_growth(sizes=(2, 4), variants=("buggy", "fixed"))
    finally:
        patch.undo()


def attempt(event: str, number: int, outcome: str, error: str | None = None) -> dict:
    return {"event_id": event, "attempt": number, "outcome": outcome, "error_class": error}


# A scenario with a known timeline: e1 fails once by injection, then succeeds; e2 raises
# OverwriteModelError until the DLQ; e3 hits another error and is dead-lettered.
KNOWN = {
    "name": "known",
    "events": 3,
    "succeeded": 1,
    "dead_lettered": 2,
    "attempts": 8,
    "errors": {"InjectedFailure": 1, "OverwriteModelError": 3, "ValueError": 2},
    "service_loads": 4,
    "processes": 1,
    "duration_s": 0.3,
    "timeline": [
        attempt("run-evt-00001", 1, "retrying", "InjectedFailure"),
        attempt("run-evt-00001", 2, "succeeded"),
        attempt("run-evt-00002", 1, "retrying", "OverwriteModelError"),
        attempt("run-evt-00002", 2, "retrying", "OverwriteModelError"),
        attempt("run-evt-00002", 3, "dead_lettered", "OverwriteModelError"),
        attempt("run-evt-00003", 1, "retrying", "ValueError"),
        attempt("run-evt-00003", 1, "retrying", "ValueError"),  # a redelivered repeat
        attempt("run-evt-00003", 2, "dead_lettered", "ValueError"),
    ],
}


def known_result(variant: str = "buggy") -> dict:
    return {"variant": variant, "broker": "memory", "policy": "seed", "scenarios": [KNOWN]}


def bars_by_label(ax) -> dict[str, list[float]]:
    containers = [c for c in ax.containers if isinstance(c, BarContainer)]
    return {c.get_label(): [bar.get_height() for bar in c] for c in containers}


def test_each_attempt_has_one_outcome_and_the_final_dlq_attempt_counts_as_dead_lettered():
    assert [attempt_outcome(a) for a in KNOWN["timeline"]] == [
        "injected", "success", "overwrite", "overwrite", "dead_lettered",
        "other", "other", "dead_lettered",
    ]  # fmt: skip
    assert outcome_counts(KNOWN) == {
        "success": 1, "injected": 1, "overwrite": 2, "other": 2, "crashed": 0,
        "dead_lettered": 2,
    }  # fmt: skip


def test_outcome_counts_partition_every_real_scenario(results):
    for result in results:
        for scenario in result["scenarios"]:
            counts = outcome_counts(scenario)
            assert sum(counts.values()) == scenario["attempts"]
            assert counts["dead_lettered"] >= scenario["dead_lettered"]
    buggy_retry = results[0]["scenarios"][0]
    assert outcome_counts(buggy_retry) == {
        "success": 0, "injected": 1, "overwrite": 3, "other": 0, "crashed": 0,
        "dead_lettered": 1,
    }  # fmt: skip


def test_retry_outcomes_stacks_attempts_per_event_by_outcome():
    fig = retry_outcomes([known_result()])
    (ax,) = fig.axes
    bars = bars_by_label(ax)
    per_event = {key: count / 3 for key, count in outcome_counts(KNOWN).items()}
    assert bars == {OUTCOMES[key].label: [pytest.approx(v)] for key, v in per_event.items()}
    totals = [text.get_text() for text in ax.texts]
    assert totals == ["8 attempts\n1/3 ok"]


def test_retry_outcomes_draws_one_panel_per_variant_with_the_measured_bars(results):
    fig = retry_outcomes(results)
    assert isinstance(fig, Figure)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == 4
    assert [ax.get_title(loc="left") for ax in panels] == list(VARIANT_NAMES)
    for ax, result in zip(panels, results, strict=True):
        bars = bars_by_label(ax)
        for key, look in OUTCOMES.items():
            expected = [outcome_counts(s)[key] / s["events"] for s in result["scenarios"]]
            assert bars[look.label] == pytest.approx(expected), (result["variant"], key)
        assert [t.get_text().split()[0] for t in ax.texts] == [
            str(s["attempts"]) for s in result["scenarios"]
        ]
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == [
        look.label for key, look in OUTCOMES.items() if key != "other"
    ]
    assert len({ax.get_ylim() for ax in panels}) == 1  # one scale for every panel


def test_retry_outcomes_draws_into_a_given_figure_and_makes_room_for_its_titles():
    fig = Figure(figsize=(6, 5))
    assert retry_outcomes(known_result(), fig=fig) is fig
    assert len(fig.axes) == 1 and fig.get_layout_engine() is not None


def test_retry_outcomes_refuses_no_results():
    with pytest.raises(ValueError):
        retry_outcomes([])


def test_attempt_timeline_draws_one_marker_per_attempt_in_its_event_row():
    fig = attempt_timeline(KNOWN)
    (ax,) = fig.axes
    markers = {c.get_label(): c.get_offsets().tolist() for c in ax.collections}
    assert markers == {
        OUTCOMES["success"].label: [[2, 0]],
        OUTCOMES["injected"].label: [[1, 0]],
        OUTCOMES["overwrite"].label: [[1, 1], [2, 1]],
        OUTCOMES["other"].label: [[1, 2], [pytest.approx(1.22), 2]],  # the repeat, offset
        OUTCOMES["dead_lettered"].label: [[3, 1], [2, 2]],
    }
    assert [t.get_text() for t in ax.get_yticklabels()] == ["evt-00001", "evt-00002", "evt-00003"]
    assert "1 repeated attempt of redelivered records" in ax.get_title()


def test_attempt_timeline_of_a_real_scenario_draws_on_the_given_axes(results):
    scenario = results[0]["scenarios"][2]  # buggy, concurrent_events
    fig = Figure()
    ax = fig.subplots()
    assert attempt_timeline(scenario, ax=ax, variant="buggy") is fig
    assert sum(len(c.get_offsets()) for c in ax.collections) == scenario["attempts"]
    assert ax.get_title().startswith("buggy · concurrent_events")


def test_dlq_growth_draws_each_variant_through_its_measured_points(growth):
    fig = dlq_growth(growth)
    (ax,) = fig.axes
    lines = {line.get_label(): line for line in ax.get_lines()}
    for variant in ("buggy", "fixed"):
        points = [p for p in growth if p["variant"] == variant]
        assert list(lines[variant].get_xdata()) == [p["events"] for p in points]
        assert list(lines[variant].get_ydata()) == [p["dlq_records"] for p in points]
    assert "one DLQ record per event" in lines


def test_measured_growth_floods_the_dlq_only_with_the_buggy_worker(growth):
    assert [(p["variant"], p["events"]) for p in growth] == [
        ("buggy", 2), ("buggy", 4), ("fixed", 2), ("fixed", 4),
    ]  # fmt: skip
    for point in growth:
        if point["variant"] == "buggy":
            assert point["dlq_records"] >= point["dead_lettered"] >= point["events"] - 1
        else:
            assert point["dlq_records"] == point["dead_lettered"] == 0


def test_measured_growth_counts_what_each_event_costs(growth):
    for point in growth:
        assert point["attempts_per_event"] == point["attempts"] / point["events"]
        assert point["service_loads_per_event"] == point["service_loads"] / point["events"]
        assert point["ms_per_event"] == pytest.approx(1000 * point["duration_s"] / point["events"])
        if point["variant"] == "buggy":  # the build is loaded again for every attempt
            assert point["service_loads"] == point["attempts"] >= 5 * point["dead_lettered"]
        else:  # once, when the worker process starts
            assert point["service_loads"] == point["processes"] == 1
            assert point["attempts"] == point["events"]


def test_cost_growth_draws_each_cost_of_each_variant_through_its_measured_points(growth):
    fig = cost_growth(growth)
    panels = [ax for ax in fig.axes if ax.get_lines()]
    assert [ax.get_title() for ax in panels] == [title for _, title, _ in GROWTH_COSTS]
    for ax, (key, _, _) in zip(panels, GROWTH_COSTS, strict=True):
        lines = {line.get_label(): line for line in ax.get_lines()}
        assert sorted(lines) == ["buggy", "fixed"]
        for variant, line in lines.items():
            points = [p for p in growth if p["variant"] == variant]
            assert list(line.get_xdata()) == [p["events"] for p in points], (key, variant)
            assert list(line.get_ydata()) == [p[key] for p in points], (key, variant)
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["buggy", "fixed"]


def _flat_point(variant: str, events: int) -> dict:
    return {"variant": variant, "events": events, "consumers": 3, "ms_per_event": 2.0,
            "service_loads_per_event": 1 / events, "attempts_per_event": 1.0}  # fmt: skip


def test_cost_growth_draws_lines_that_coincide_apart_and_labels_their_value_once():
    points = [_flat_point(v, n) for v in ("guard-only", "cache-only", "fixed") for n in (5, 10)]
    fig = cost_growth(points)
    for ax in fig.axes:
        shifts = {
            line.get_transform().transform((5, 1))[1] - ax.transData.transform((5, 1))[1]
            for line in ax.get_lines()
        }
        assert len(shifts) == 3 and max(shifts) > 0 > min(shifts)  # three lines, all seen
        assert len(ax.texts) == 1  # one shared end label


def test_cost_growth_draws_its_first_panel_on_a_given_axes(growth):
    fig = Figure()
    ax = fig.subplots()
    assert cost_growth(growth, ax=ax) is fig
    assert ax.get_title() == GROWTH_COSTS[0][1] and len(ax.get_lines()) == 2


def test_cost_growth_refuses_no_points():
    with pytest.raises(ValueError):
        cost_growth([])


def test_dlq_growth_refuses_no_points():
    with pytest.raises(ValueError):
        dlq_growth([])


def test_cost_per_event_bars_are_attempts_and_loads_over_events(results):
    fig = cost_per_event(results)
    (ax,) = fig.axes
    bars = bars_by_label(ax)

    def per_event(key):
        return [
            sum(s[key] for s in r["scenarios"]) / sum(s["events"] for s in r["scenarios"])
            for r in results
        ]

    assert bars["attempts per event"] == pytest.approx(per_event("attempts"))
    assert bars["service loads per event"] == pytest.approx(per_event("service_loads"))
    labels = [t.get_text().splitlines()[0] for t in ax.get_xticklabels()]
    assert labels == list(VARIANT_NAMES)


def test_save_png_creates_the_directory(tmp_path):
    path = save_png(retry_outcomes(known_result()), tmp_path / "a" / "b" / "figure.png", dpi=50)
    assert path.read_bytes().startswith(PNG_SIGNATURE)


def test_save_all_writes_every_figure_as_a_png(results, growth, tmp_path):
    written = save_all(results, tmp_path / "figures", growth=growth, dpi=60)
    assert sorted(path.name for path in written) == sorted(
        [
            "retry-outcomes.png",
            "cost-per-event.png",
            "dlq-growth.png",
            "cost-growth.png",
            *(f"attempt-timeline-{variant}.png" for variant in VARIANT_NAMES),
        ]
    )
    for path in written:
        assert path.parent == tmp_path / "figures"
        assert path.read_bytes()[:8] == PNG_SIGNATURE
        assert path.stat().st_size > 5_000


def _scenario(name: str, events: int, timeline: list[dict]) -> dict:
    final = {a["event_id"]: a["outcome"] for a in timeline if a["outcome"] != "crashed"}
    return {
        "name": name, "events": events, "attempts": len(timeline), "timeline": timeline,
        "succeeded": sum(outcome == "succeeded" for outcome in final.values()),
        "dead_lettered": sum(outcome == "dead_lettered" for outcome in final.values()),
        "errors": {},
    }  # fmt: skip


def test_a_kill_too_thin_to_see_is_counted_above_its_bar_and_left_out_of_the_legend():
    restart = _scenario(
        "worker_restart", 50,
        [attempt(f"e{i}", 1, "succeeded") for i in range(50)]
        + [attempt("e0", 1, "crashed")]
        + [attempt(f"e{i}", 1, "succeeded") for i in range(25)],
    )  # fmt: skip
    chain = _scenario(
        "multiple_retries", 1,
        [attempt("e", n, "retrying", "OverwriteModelError") for n in range(1, 5)]
        + [attempt("e", 5, "dead_lettered", "OverwriteModelError")],
    )  # fmt: skip
    fig = retry_outcomes({"variant": "fixed", "broker": "memory", "policy": "seed",
                          "scenarios": [chain, restart]})  # fmt: skip
    (legend,) = fig.legends
    labels = [t.get_text() for t in legend.get_texts()]
    assert OUTCOMES["crashed"].label not in labels
    assert [t.get_text() for t in fig.axes[0].texts][1] == (
        "76 attempts\n50/50 ok\n1 attempt killed"
    )


def test_a_transient_error_stacks_below_the_overwrite_model_errors_its_retries_raise():
    timeout_then_overwrite = _scenario(
        "database_timeout", 1,
        [attempt("e", 1, "retrying", "ServerSelectionTimeoutError")]
        + [attempt("e", n, "retrying", "OverwriteModelError") for n in (2, 3, 4)]
        + [attempt("e", 5, "dead_lettered", "OverwriteModelError")],
    )  # fmt: skip
    fig = retry_outcomes({"variant": "yours", "broker": "memory", "policy": "seed",
                          "scenarios": [timeout_then_overwrite]})  # fmt: skip
    bottoms = {
        c.get_label(): c[0].get_y()
        for c in fig.axes[0].containers
        if isinstance(c, BarContainer) and c[0].get_height()
    }
    assert bottoms[OUTCOMES["other"].label] < bottoms[OUTCOMES["overwrite"].label]
