"""scripts/render_figures.py refuses what it cannot do with a message, not a traceback."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "render_figures.py"


@pytest.fixture
def render_figures():
    return runpy.run_path(str(SCRIPT))["main"]


def test_kafka_with_nothing_named_says_which_variable_to_set(render_figures, tmp_path, capsys):
    assert render_figures(["--broker", "kafka", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    # Worker processes need a real database before they need Kafka: that is named first.
    assert "render_figures: MONGODB_URI is not set" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # nothing drawn


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--growth-sizes", "5,x"], "argument --growth-sizes: expected a whole number, got 'x'"),
        (["--growth-sizes", "5,0"], "argument --growth-sizes: must be at least 1, not 0"),
        (["--events", "0"], "argument --events: must be at least 1, not 0"),
    ],
)
def test_a_bad_number_is_refused_naming_the_option(render_figures, flags, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        render_figures(flags)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
