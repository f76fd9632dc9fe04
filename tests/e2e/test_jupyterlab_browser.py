"""JupyterLab in a real browser: a newcomer opens notebook 01 and runs every cell, and
every notebook opens with no unsaved changes.

JupyterLab serves a copy of notebooks/ (running cells through the UI makes a
notebook dirty, and nothing may write outputs into the committed files) on a free
local port, with the repository's settings (jupyter/), as `make lab` starts it.
Debian's headless Chromium (/usr/bin/chromium, or MODELGUARD_CHROMIUM) is driven
through Playwright, which downloads no browser of its own. The test opens the
server's front page, which must open 01-the-incident.ipynb, waits for its kernel,
runs all cells from the Run menu, and checks that every code cell ran, that no
output is a traceback, that the last cell's output appears and that no news pop-up
asked the reader anything; then it saves the notebook through the UI and reads the
saved file back. A screenshot goes to build/e2e/.

Without Chromium or Playwright the test is skipped; with MODELGUARD_REQUIRE_BROWSER=1
(as CI sets it) it fails instead.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import nbformat
import pytest
from labserver import jupyterlab

pytestmark = pytest.mark.e2e

REPOSITORY = Path(__file__).resolve().parents[2]
NOTEBOOK = "01-the-incident.ipynb"
SCREENSHOTS = REPOSITORY / "build" / "e2e"
CHROMIUM = Path(os.environ.get("MODELGUARD_CHROMIUM", "/usr/bin/chromium"))
LAST_OUTPUT = "isinstance(loaded, FirstRun) = False"  # what notebook 01's last cell prints
UI_TIMEOUT_MS = 60_000
RUN_TIMEOUT_S = 120
TRACEBACK = "Traceback (most recent call last)"
NEWS_QUESTION = "official Jupyter news"  # JupyterLab's pop-up, off in jupyter/settings


def missing(reason: str) -> None:
    if os.environ.get("MODELGUARD_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}; MODELGUARD_REQUIRE_BROWSER=1 requires it", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def browser():
    """Debian's Chromium, headless, through Playwright."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright is not installed (pip install -e .[dev])")
    if not os.access(CHROMIUM, os.X_OK):
        missing(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def lab(tmp_path):
    """JupyterLab over a copy of the notebooks."""
    root = tmp_path / "notebooks"
    shutil.copytree(REPOSITORY / "notebooks", root, ignore=shutil.ignore_patterns("__pycache__"))
    with jupyterlab(root, tmp_path / "private") as server:
        server.wait_until_listed({NOTEBOOK})
        yield server, root


def test_a_newcomer_runs_notebook_01_in_jupyterlab_without_an_error(lab, browser):
    server, root = lab
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(UI_TIMEOUT_MS)
    page.goto(f"{server.base}/?token={server.token}")  # as `make lab` opens the browser
    page.wait_for_url(f"**/lab/tree/{NOTEBOOK}*")
    page.locator(".jp-Notebook .jp-Cell").first.wait_for()
    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for()  # the kernel is connected
    page.locator(".jp-Notebook .jp-Cell").first.click()  # the notebook is the current widget
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-item", has_text="Run All Cells").first.click()

    # A cell that raises stops Run All, so every prompt gets a number only if none did.
    prompts = page.locator(".jp-CodeCell .jp-InputPrompt")
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while True:
        shown = [text.strip() for text in prompts.all_text_contents()]
        if shown and all(text.strip("[]: ").isdigit() for text in shown):
            break
        if time.monotonic() > deadline:
            _screenshot(page, "01-the-incident-timeout.png")
            pytest.fail(f"cells did not all run within {RUN_TIMEOUT_S} s: prompts {shown}")
        page.wait_for_timeout(250)

    outputs = page.locator(".jp-OutputArea-output").all_text_contents()
    assert not [text for text in outputs if TRACEBACK in text], "a cell shows a traceback"
    last = page.locator(".jp-CodeCell").last
    last.scroll_into_view_if_needed()
    assert LAST_OUTPUT in last.locator(".jp-OutputArea-output").first.text_content()
    _screenshot(page, "01-the-incident.png")
    assert page.get_by_text(NEWS_QUESTION).count() == 0, "JupyterLab asked about its news"

    page.keyboard.press("Control+s")  # save through the UI, then read what it wrote
    saved = _wait_for_saved_outputs(root / NOTEBOOK)
    code = [cell for cell in saved.cells if cell.cell_type == "code"]
    assert len(code) == len(shown)
    assert [o for c in code for o in c.outputs if o.output_type == "error"] == []
    assert LAST_OUTPUT in "".join(o.get("text", "") for o in code[-1].outputs)


NOTEBOOKS = sorted(p.name for p in (REPOSITORY / "notebooks").glob("[0-9][0-9]-*.ipynb"))


def test_every_notebook_opens_with_no_unsaved_changes(lab, browser):
    """JupyterLab writes the kernel's name and language into a notebook's metadata once its
    kernel connects; a notebook whose committed metadata differs opens marked as changed,
    and closing it asks to save. All nine are opened from the file browser, each with its
    kernel; once every kernel is idle no tab may carry the changed mark, and what Save All
    then writes must be the committed metadata (so nothing changed that the mark might
    not show yet)."""
    server, root = lab
    page = browser.new_page(viewport={"width": 1600, "height": 900})
    page.set_default_timeout(UI_TIMEOUT_MS)
    page.goto(f"{server.base}/lab/workspaces/clean/tree/{NOTEBOOK}?reset&token={server.token}")
    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for()
    for name in NOTEBOOKS[1:]:
        page.locator(".jp-DirListing-item", has_text=name).dblclick()
    tabs = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab")
    _wait_until(lambda: tabs.count() == len(NOTEBOOKS), "every notebook has its tab")
    _wait_until(lambda: _idle_kernels(server) == len(NOTEBOOKS), "every kernel is idle")
    page.wait_for_timeout(1500)  # each kernel's info has reached its notebook's model
    dirty = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.jp-mod-dirty")
    opened_dirty = sorted(dirty.all_text_contents())
    _screenshot(page, "every-notebook-opened.png")

    saved_before = {name: (root / name).stat().st_mtime_ns for name in NOTEBOOKS}
    page.locator(".lm-MenuBar-itemLabel", has_text="File").first.click()
    page.locator(".lm-Menu-item", has_text="Save All").first.click()
    _wait_until(
        lambda: all((root / n).stat().st_mtime_ns != saved_before[n] for n in NOTEBOOKS),
        "Save All wrote every notebook",
    )
    time.sleep(0.5)  # the last write has finished
    rewritten = {
        name: nbformat.read(root / name, as_version=4).metadata
        for name in NOTEBOOKS
        if nbformat.read(root / name, as_version=4).metadata
        != nbformat.read(REPOSITORY / "notebooks" / name, as_version=4).metadata
    }
    assert opened_dirty == [], "opened with unsaved changes"
    assert rewritten == {}, "JupyterLab rewrote their metadata"


def _idle_kernels(server) -> int:
    status, body = server.get("/api/kernels")
    kernels = json.loads(body) if status == 200 else []
    return sum(kernel["execution_state"] == "idle" for kernel in kernels)


def _wait_until(condition, what: str, timeout_s: float = RUN_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s} s waiting until {what}")
        time.sleep(0.25)


def _wait_for_saved_outputs(path: Path, timeout_s: float = 30):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        notebook = nbformat.read(path, as_version=4)
        if any(cell.get("outputs") for cell in notebook.cells):
            return notebook
        time.sleep(0.25)
    pytest.fail(f"the notebook was not saved with its outputs within {timeout_s} s")


def _screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path))
    return path
