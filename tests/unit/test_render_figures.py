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


def _table_rows(text: str) -> dict[tuple[str, str], tuple[int, int, int, int]]:
    """(variant, scenario) -> (events, ok, dlq, attempts), read from the printed tables."""
    rows, variant = {}, ""
    for line in text.splitlines():
        if line.startswith("variant "):
            variant = line.split()[1]
        cells = line.split()
        if variant and len(cells) > 5 and cells[1].isdigit():
            rows[(variant, cells[0])] = tuple(int(cell) for cell in cells[1:5])
    return rows


def test_the_demo_prints_its_tables_from_the_run_that_draws_its_figures(
    render_figures, tmp_path, capsys
):
    import json

    from matplotlib.text import Annotation

    from modelguard.views.plots import retry_outcomes

    assert render_figures(["--out", str(tmp_path), "--events", "6", "--tables",
                           "--growth-sizes", "2"]) == 0  # fmt: skip
    tables = _table_rows(capsys.readouterr().out)
    measured = json.loads((tmp_path / "results.json").read_text())["variants"]
    in_json = {
        (run["variant"], s["name"]): (
            s["events"], s["succeeded"], s["dead_lettered"], s["attempts"]
        )
        for run in measured
        for s in run["scenarios"]
    }  # fmt: skip
    assert tables == in_json and len(tables) == 16
    # The figure's own numbers: the totals printed above each bar.
    figure = retry_outcomes(measured)
    drawn = [
        "\n".join(child.get_text().splitlines()[:2])  # attempts, then events ok
        for ax in figure.axes
        for child in ax.get_children()
        if isinstance(child, Annotation)
    ]
    assert drawn == [
        f"{attempts} attempts\n{ok}/{events} ok" for events, ok, _, attempts in in_json.values()
    ]
    makefile = SCRIPT.parents[1].joinpath("Makefile").read_text()
    demo = makefile.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    assert "render_figures.py --tables" in demo and "modelguard scenarios" not in demo
