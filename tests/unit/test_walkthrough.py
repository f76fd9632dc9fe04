"""`python -m modelguard walkthrough`: every raised error printed under its step, wrapped."""

from __future__ import annotations

import re

from modelguard.entrypoints import walkthrough


def test_every_error_line_sits_under_its_step_and_reads_at_a_glance():
    echoed: list[str] = []
    raised = walkthrough.run(echo=echoed.append)
    lines = "\n".join(echoed).splitlines()
    assert raised == 3  # the unknown name, the unguarded rerun, the stale schema
    errors = [n for n, line in enumerate(lines) if line.startswith("   !! ")]
    assert len(errors) == raised
    for start in errors:
        block = [start]
        while block[-1] + 1 < len(lines) and not re.match(r"\d+\. ", lines[block[-1] + 1]):
            block.append(block[-1] + 1)
        # the message's second line and every note are indented under the "!!"
        assert all(lines[n].startswith("      ") for n in block[1:]), lines[start]
        # a path longer than a line is never cut, so only lines of several words count
        assert all(len(lines[n]) <= 88 or len(lines[n].split()) <= 2 for n in block), lines[start]
    text = "\n".join(lines)
    assert "      Use modelguard.model(name, schema)" in text
    assert "ran twice (load by file path)" in " ".join(text.split())


def test_a_result_longer_than_a_line_is_wrapped_under_its_arrow():
    echoed: list[str] = []
    walkthrough.run(echo=echoed.append)
    lines = "\n".join(echoed).splitlines()
    models = next(n for n, line in enumerate(lines) if line.startswith("   -> 16 models: "))
    assert lines[models + 1].startswith("      ") and "User" in " ".join(lines[models:models + 4])
    assert all(len(line) <= 100 or len(line.split()) <= 3 for line in lines), lines
