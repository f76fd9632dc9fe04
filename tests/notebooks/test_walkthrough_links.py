"""The walkthrough reads in order: each notebook ends with a link to the one after it,
and the README's "start here" table links every notebook."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPOSITORY / "notebooks").glob("[0-9][0-9]-*.ipynb"))
PAIRS = list(zip(NOTEBOOKS[:-1], NOTEBOOKS[1:], strict=True))


@pytest.mark.parametrize("path, following", PAIRS, ids=[p.stem for p, _ in PAIRS])
def test_a_notebook_ends_with_a_next_link_to_the_following_one(path, following):
    last = nbformat.read(path, as_version=4).cells[-1]
    assert last.cell_type == "markdown", f"{path.name} ends with a {last.cell_type} cell"
    assert last.source.startswith("**Next:**"), last.source
    assert f"]({following.name})" in last.source, last.source


def test_the_readme_links_every_notebook_in_order():
    readme = (REPOSITORY / "README.md").read_text()
    linked = re.findall(r"\]\(notebooks/(\d\d-[\w-]+\.ipynb)\)", readme.split("## Start here")[1])
    in_order = list(dict.fromkeys(linked))
    assert [name for name in in_order if (REPOSITORY / "notebooks" / name).exists()] == [
        path.name for path in NOTEBOOKS
    ]
