"""The alert rules, tested by Prometheus's own `promtool test rules`.

The input series are not typed in: they are the metrics of real embedded runs of the
buggy and the fixed worker (`lab.scrapes.scraped_run`), read after every attempt and
laid out one scrape interval apart. The buggy run must page on both rules, the
compilation one from its first retry; the fixed run must page on neither.

promtool comes with Debian's `prometheus` package (CI installs it). Without it the test
is skipped, unless MODELGUARD_REQUIRE_SERVICES=1 or MODELGUARD_REQUIRE_PROMTOOL=1 says
a skip would hide a missing check.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

import modelguard.ops
from modelguard.lab.scrapes import scraped_run
from modelguard.views.dashboard import series

logging.getLogger("modelguard").setLevel(logging.CRITICAL)

RULES = Path(modelguard.ops.__file__).with_name("alerts.yml")
SCRAPE_INTERVAL_S = 15
TARGET = {"job": "allocation-worker", "instance": "worker-1"}
EVENTS = 10
COMPILATIONS = "modelguard_model_compilations_total"
DEAD_LETTERS = "modelguard_dead_letters_total"


@pytest.fixture(scope="module")
def promtool() -> str:
    found = shutil.which("promtool")
    if found:
        return found
    reason = "promtool is not installed (Debian: apt-get install prometheus)"
    if "1" in (os.environ.get("MODELGUARD_REQUIRE_SERVICES"),
               os.environ.get("MODELGUARD_REQUIRE_PROMTOOL")):  # fmt: skip
        pytest.fail(f"{reason}, and this run requires it", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def runs() -> dict[str, list[dict[str, float]]]:
    return {variant: scraped_run(variant, events=EVENTS) for variant in ("buggy", "fixed")}


def rules() -> dict[str, dict]:
    return {rule["alert"]: rule for group in yaml.safe_load(RULES.read_text())["groups"]
            for rule in group["rules"]}  # fmt: skip


def with_target(key: str) -> str:
    """A snapshot key (``name{a="1"}`` or ``name``) with the scrape target's labels."""
    name, _, rest = key.partition("{")
    labels = ",".join(f'{k}="{v}"' for k, v in TARGET.items())
    return f"{name}{{{labels}{',' + rest if rest else '}'}"


def input_series(scrapes: list[dict[str, float]]) -> list[dict[str, str]]:
    keys = sorted({key for scrape in scrapes for key in scrape})
    return [
        {"series": with_target(key), "values": " ".join(f"{v:g}" for v in series(scrapes, key))}
        for key in keys
    ]


def expected(alert: str, **labels: str) -> dict:
    """The alert as promtool reports it: the rule's labels and the series' labels, and
    its annotations with those labels filled in (the rules use no other template)."""
    rule = rules()[alert]
    all_labels = {**rule.get("labels", {}), **labels}

    def fill(text: str) -> str:
        return re.sub(r"{{\s*\$labels\.(\w+)\s*}}", lambda m: all_labels[m.group(1)], text)

    return {
        "exp_labels": all_labels,
        "exp_annotations": {k: fill(v) for k, v in rule.get("annotations", {}).items()},
    }


def at(step: int) -> str:
    return f"{step * SCRAPE_INTERVAL_S}s"


def promtool_test(promtool: str, tmp_path: Path, scrapes, checks) -> subprocess.CompletedProcess:
    test = {
        "rule_files": [str(RULES)],
        "evaluation_interval": f"{SCRAPE_INTERVAL_S}s",
        "tests": [
            {
                "interval": f"{SCRAPE_INTERVAL_S}s",
                "input_series": input_series(scrapes),
                "alert_rule_test": checks,
            }
        ],  # fmt: skip
    }
    path = tmp_path / "alerts_test.yml"
    path.write_text(yaml.safe_dump(test, sort_keys=False))
    return subprocess.run([promtool, "test", "rules", str(path)], capture_output=True,
                          text=True, timeout=60)  # fmt: skip


def first_step(scrapes, key: str, above: float) -> int:
    return next(n for n, value in enumerate(series(scrapes, key)) if value > above)


def test_the_rules_are_valid_prometheus_rules(promtool):
    done = subprocess.run([promtool, "check", "rules", str(RULES)], capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert set(rules()) == {"ModelCompiledMoreThanOnce", "DeadLetterRateHigh"}


def test_the_buggy_worker_pages_on_both_and_on_compilations_first(promtool, runs, tmp_path):
    scrapes = runs["buggy"]
    end = len(scrapes) - 1
    twice = sorted(key for key, value in scrapes[-1].items()
                   if key.startswith(COMPILATIONS) and value > 1)  # fmt: skip
    assert twice == [f'{COMPILATIONS}{{model="User"}}'], scrapes[-1]
    user = expected("ModelCompiledMoreThanOnce", **TARGET, model="User")
    compiled_again = first_step(scrapes, twice[0], above=1)
    dead_key = next(key for key in scrapes[-1] if key.startswith(DEAD_LETTERS))
    first_dead_letter = first_step(scrapes, dead_key, above=0)
    assert compiled_again < first_dead_letter  # the early signal the incident lacked
    checks = [
        {"eval_time": at(compiled_again - 1), "alertname": "ModelCompiledMoreThanOnce",
         "exp_alerts": []},
        {"eval_time": at(compiled_again), "alertname": "ModelCompiledMoreThanOnce",
         "exp_alerts": [user]},
        {"eval_time": at(end), "alertname": "ModelCompiledMoreThanOnce", "exp_alerts": [user]},
        {"eval_time": at(end), "alertname": "DeadLetterRateHigh",
         "exp_alerts": [expected("DeadLetterRateHigh", **TARGET)]},
    ]  # fmt: skip
    done = promtool_test(promtool, tmp_path, scrapes, checks)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_fixed_worker_pages_on_neither(promtool, runs, tmp_path):
    scrapes = runs["fixed"]
    assert not any(key.startswith(DEAD_LETTERS) for key in scrapes[-1])
    checks = [
        {"eval_time": at(step), "alertname": alert, "exp_alerts": []}
        for step in range(len(scrapes))
        for alert in rules()
    ]
    done = promtool_test(promtool, tmp_path, scrapes, checks)
    assert done.returncode == 0, done.stdout + done.stderr
