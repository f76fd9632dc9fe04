"""The scraped run and the dashboard drawn from it."""

from __future__ import annotations

import logging

from matplotlib.figure import Figure

from modelguard.lab.scrapes import scraped_run
from modelguard.views.dashboard import (
    USER_COMPILATIONS,
    counter_total,
    first_scrape,
    metrics_dashboard,
    series,
)

logging.getLogger("modelguard").setLevel(logging.CRITICAL)


def test_a_scraped_buggy_run_shows_the_signal_before_the_first_dead_letter():
    scrapes = scraped_run("buggy", events=4)
    compiled = series(scrapes, USER_COMPILATIONS)
    dead = counter_total(scrapes, "modelguard_dead_letters_total")
    assert compiled[0] == 0  # the per-call worker loads nothing before its first attempt
    assert compiled == sorted(compiled) and compiled[-1] == len(scrapes) - 1
    assert first_scrape(compiled, above=1) == 2
    assert first_scrape(dead, above=0) > 2 and dead[-1] == 3


def test_a_scraped_fixed_run_compiles_once_and_succeeds():
    scrapes = scraped_run("fixed", events=4)
    assert series(scrapes, USER_COMPILATIONS) == [1.0] * 5
    assert counter_total(scrapes, "modelguard_attempts_total") == [0, 1, 2, 3, 4]


def test_a_counter_total_sums_its_labels_and_ignores_other_families():
    scrapes = [
        {
            'modelguard_retries_total{error_class="A"}': 2.0,
            'modelguard_retries_total{error_class="B"}': 3.0,
            "modelguard_retries_totally_else": 100.0,
        }
    ]
    assert counter_total(scrapes, "modelguard_retries_total") == [5.0]


def test_the_dashboard_has_a_panel_per_variant_and_marks_both_moments():
    figure = metrics_dashboard({"buggy": scraped_run("buggy", events=3),
                                "fixed": scraped_run("fixed", events=3)})  # fmt: skip
    assert isinstance(figure, Figure)
    buggy, fixed = figure.axes
    assert (buggy.get_title(), fixed.get_title()) == ("buggy", "fixed")
    notes = [text.get_text() for text in buggy.texts]
    assert notes == ["User compiled twice", "first dead letter"]
    assert list(fixed.texts) == []
