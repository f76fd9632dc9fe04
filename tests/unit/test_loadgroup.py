"""`make test` runs `--dist loadgroup` so that a module marked `xdist_group` is set up
once, on one worker. An upgrade of pytest or pytest-xdist can break that grouping
without a word (pytest 9.2 did): this runs it on a throwaway suite and looks."""

from __future__ import annotations

import re

import pytest

pytest_plugins = ["pytester"]


def test_a_module_marked_xdist_group_runs_whole_on_one_worker(pytester, monkeypatch):
    pytest.importorskip("xdist")
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(
        test_grouped="""
        import pytest

        pytestmark = pytest.mark.xdist_group("grouped")

        @pytest.mark.parametrize("n", range(10))
        def test_grouped(n):
            pass
        """,
        test_free="""
        import pytest

        @pytest.mark.parametrize("n", range(6))
        def test_free(n):
            pass
        """,
    )
    result = pytester.runpytest_subprocess("-p", "xdist", "-n", "2", "--dist", "loadgroup", "-v")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*2 workers [[]16 items[]]*"])
    ran = re.findall(r"\[(gw\d)\] .*PASSED (\S+)", result.stdout.str())
    grouped = {worker for worker, test in ran if "test_grouped.py" in test}
    assert len(ran) == 16
    # Ungrouped, ten tests shared out one at a time between two workers land on both.
    assert len(grouped) == 1, ran
