"""The walkthrough site `make demo` publishes (scripts/build_site.py): every link of every
page leads somewhere on the site, none to a raw notebook, and a figure shows inline.

The site is built here from the committed notebooks, which carry no outputs, so the
test executes nothing: the pages, their links and the Sphinx configuration are the
ones `make demo` renders. One notebook gets a figure output first, as executing it
would give, to show that a figure lands on its page.
"""

from __future__ import annotations

import base64
import io
import runpy
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

# The site is built once per module, on one pytest worker (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("site")

REPOSITORY = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPOSITORY / "notebooks").glob("[0-9][0-9]-*.ipynb"))
# Sphinx's pages that are not documents of the repository.
GENERATED = {"genindex.html", "search.html"}


class Links(HTMLParser):
    """Every link of one page: (tag, attribute, value), and every id it defines."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str, str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if name in ("href", "src") and value is not None:
                self.links.append((tag, name, value))


def parse(page: Path) -> Links:
    links = Links()
    links.feed(page.read_text(encoding="utf-8"))
    return links


def figure_output() -> nbformat.NotebookNode:
    """A PNG display output, as a plotting cell leaves it."""
    from matplotlib.figure import Figure

    png = io.BytesIO()
    Figure(figsize=(1, 1)).savefig(png, format="png")
    return nbformat.v4.new_output(
        "display_data", data={"image/png": base64.b64encode(png.getvalue()).decode()}
    )


def table_output() -> nbformat.NotebookNode:
    """The Markdown table notebook 09's last cell shows, as executing it would leave it."""
    from modelguard.lab.triggers import JUDGES, TRIGGERS, markdown_table

    table = {trigger: dict.fromkeys(JUDGES, "verdict") for trigger in TRIGGERS}
    return nbformat.v4.new_output(
        "execute_result", data={"text/markdown": markdown_table(table)}, execution_count=1
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    notebooks = tmp_path_factory.mktemp("notebooks")
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        if path.stem.startswith("04-"):
            cell = next(cell for cell in notebook.cells if cell.cell_type == "code")
            cell.outputs = [figure_output()]
        if path.stem.startswith("09-"):
            cell = next(cell for cell in notebook.cells if "markdown_table" in cell.source)
            cell.outputs = [table_output()]
        nbformat.write(notebook, notebooks / path.name)
    out = tmp_path_factory.mktemp("build") / "site"
    build = runpy.run_path(str(REPOSITORY / "scripts" / "build_site.py"))["build"]
    assert build(notebooks, out) == 0
    return out


def broken_links(site: Path) -> list[str]:
    """Every link of the site that leads nowhere, to a raw notebook, or off the site for
    something the page loads; as `page: link (why)`."""
    pages = sorted(site.rglob("*.html"))
    ids = {page: parse(page).ids for page in pages}
    found = []
    for page in pages:
        for tag, _, link in parse(page).links:
            parts = urlsplit(link)
            where = f"{page.relative_to(site)}: {link}"
            if parts.path.endswith(".ipynb"):
                found.append(f"{where} (a raw notebook)")
            if parts.scheme or parts.netloc:
                if tag != "a":  # a page loads nothing from outside the site
                    found.append(f"{where} (loaded from outside the site)")
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if not target.is_file() or site.resolve() not in target.parents:
                found.append(f"{where} (no such file on the site)")
            elif parts.fragment and target.suffix == ".html":
                if unquote(parts.fragment) not in ids.get(target, parse(target).ids):
                    found.append(f"{where} (no such anchor)")
    return found


def test_every_link_of_the_site_leads_to_a_page_or_file_of_the_site(site):
    assert broken_links(site) == []


def test_the_checker_finds_a_broken_link_a_raw_notebook_and_an_outside_script(tmp_path):
    (tmp_path / "a.html").write_text(
        '<a href="b.html#here">b</a> <a href="c.html">c</a> <a href="n.ipynb">n</a>'
        '<a href="https://example.org/">ok</a> <script src="https://cdn.example/x.js"></script>'
    )
    (tmp_path / "b.html").write_text('<h1 id="there">b</h1>')
    assert broken_links(tmp_path) == [
        "a.html: b.html#here (no such anchor)",
        "a.html: c.html (no such file on the site)",
        "a.html: n.ipynb (a raw notebook)",
        "a.html: n.ipynb (no such file on the site)",
        "a.html: https://cdn.example/x.js (loaded from outside the site)",
    ]


def test_every_document_has_its_page(site):
    pages = {p.relative_to(site).as_posix() for p in site.rglob("*.html")} - GENERATED
    documents = {"README.html"} | {f"notebooks/{p.stem}.html" for p in NOTEBOOKS}
    documents |= {f"docs/{p.stem}.html" for p in (REPOSITORY / "docs").glob("*.md")}
    assert pages == documents


@pytest.mark.parametrize("path", NOTEBOOKS[:-1], ids=[p.stem for p in NOTEBOOKS[:-1]])
def test_a_notebook_page_s_next_link_opens_the_following_page(site, path):
    following = NOTEBOOKS[NOTEBOOKS.index(path) + 1]
    links = {link for tag, _, link in parse(site / "notebooks" / f"{path.stem}.html").links}
    assert f"{following.stem}.html" in links


def test_the_last_notebook_leads_back_to_the_readme_and_the_readme_to_every_notebook(site):
    last = parse(site / "notebooks" / f"{NOTEBOOKS[-1].stem}.html").links
    assert ("a", "href", "../README.html") in last
    readme = {link for _, _, link in parse(site / "README.html").links}
    assert {f"notebooks/{p.stem}.html" for p in NOTEBOOKS} <= readme


def test_a_figure_output_shows_inline_on_its_page(site):
    page = site / "notebooks" / f"{NOTEBOOKS[3].stem}.html"
    images = [link for tag, _, link in parse(page).links if tag == "img"]
    assert images and all((page.parent / src).is_file() for src in images)


def test_a_markdown_table_output_shows_as_a_table(site):
    """09's summary is a Markdown table; rendered as plain CommonMark it read as a run of
    pipes and dashes."""
    page = (site / "notebooks" / f"{NOTEBOOKS[8].stem}.html").read_text(encoding="utf-8")
    assert "<table" in page and "<th" in page and "|---" not in page
