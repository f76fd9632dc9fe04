"""The demo's text output says what its numbers are: a legend under the scenario
tables, and the embedded replay told in labelled lines rather than a dict."""

from __future__ import annotations

from modelguard.views.recovery import recovery_report
from modelguard.views.tables import COLUMNS, scenario_legend, scenario_table

RESULT = {
    "variant": "buggy",
    "broker": "memory",
    "policy": "seed",
    "scenarios": [
        {
            "name": "worker_restart", "events": 10, "succeeded": 2, "dead_lettered": 8,
            "attempts": 51, "duplicates": 0, "service_loads": 51,
            "compilations": {"User": 42}, "errors": {"OverwriteModelError": 48},
        }
    ],
}  # fmt: skip

REPLAY = {
    "events": 20, "dead_lettered_before": 19, "replayed": 19, "replayed_events": 19,
    "skipped": {},
    "skipped_poison": {},
    "succeeded_after_replay": 19, "dead_lettered_after_replay": 0, "allocations": 20,
    "duplicates": 0, "errors_before": {"OverwriteModelError": 95}, "errors_after": {},
}  # fmt: skip


def test_the_legend_explains_every_column_the_table_prints_but_the_scenario_name():
    legend = scenario_legend().splitlines()
    headers = [name for name, *_ in COLUMNS]
    explained = [line.split("  ")[1] for line in legend[1:] if not line.startswith("     ")]
    assert explained == headers[1:]
    assert all(header in scenario_table(RESULT) for header in headers)


def test_the_legend_says_loads_are_summed_and_compilations_are_one_process_s_most():
    legend = " ".join(scenario_legend().split())
    assert "service loads, summed over the scenario's worker processes" in legend
    assert "compilations of User in the one worker process that asked for the most" in legend


def test_a_legend_line_fits_the_width_asked_for():
    assert max(len(line) for line in scenario_legend(width=60).splitlines()) <= 60


def test_the_replay_report_names_each_number_it_prints():
    report = recovery_report(REPLAY)
    assert "the buggy worker got 20 purchase(s); 19 ended in the DLQ" in report
    assert "failed attempts by error class: OverwriteModelError x95" in report
    assert "19 of 19 replayed event(s) allocated, 0 dead-lettered again" in report
    assert "19 record(s) for 19 event(s) put back on the topic" in report
    assert "20 allocation(s) for 20 purchase(s), 0 purchase(s) allocated twice" in report
    assert "{" not in report  # no raw dict


def test_a_dry_run_report_says_what_would_happen_and_that_nothing_did():
    plan = {
        "events": 4, "dead_lettered_before": 3, "errors_before": {"OverwriteModelError": 15},
        "dry_run": True, "would_replay": 0, "would_replay_events": 0,
        "would_skip": {"OverwriteModelError": 3},
        "would_skip_poison": {"MalformedEvent": 1},
    }  # fmt: skip
    report = recovery_report(plan)
    assert ("would replay 0 record(s) for 0 event(s) left out as poison (the payload itself "
            "is the fault): MalformedEvent x1; left out, since --only named other classes: "
            "OverwriteModelError x3") in " ".join(report.split())  # fmt: skip
    # A long line goes on under its label's text, not past the width of a terminal.
    assert max(len(line) for line in report.splitlines()) <= 100
    assert all(line.startswith("         ") for line in report.splitlines()[3:])
    assert "left out: none" in recovery_report(REPLAY)
    assert "nothing was published or committed" in report


def test_the_scenarios_command_prints_the_legend_once_under_its_tables(capsys):
    from modelguard.entrypoints.cli import main

    assert main(["scenarios", "--variant", "fixed", "--events", "2"]) == 0
    out = capsys.readouterr().out
    assert out.count("columns:") == 1 and out.index("worker_restart") < out.index("columns:")


def test_the_embedded_replay_command_prints_the_report_not_a_dict(capsys):
    from modelguard.entrypoints.cli import main

    assert main(["replay-dlq", "--events", "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("flood:   the buggy worker got 3 purchase(s); 2 ended in the DLQ")
    assert "dead_lettered_before" not in out


def test_the_table_says_what_its_retry_policy_does():
    lines = scenario_table(RESULT).splitlines()
    assert lines[0] == "variant buggy on the memory broker"
    assert lines[1] == (
        "retry policy: seed (the platform's own: any error is retried at once, 5 attempts at most)"
    )
