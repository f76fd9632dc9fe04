"""Sphinx configuration of the walkthrough site (`make demo`, scripts/build_site.py).

The site is the README, docs/*.md and the nine executed notebooks, rendered by myst-nb
with the outputs they already have: nothing is executed here. The source folder is a
staging folder that puts the three where the repository has them (README.md, docs/,
notebooks/), so the links written for the repository work unchanged: myst turns a link
to another notebook or document into a link to its page, and a link to any other file
into a copy of it under _downloads/.
"""

from __future__ import annotations

project = "modelguard walkthrough"
root_doc = "README"
extensions = ["myst_nb"]
include_patterns = ["README.md", "docs/*.md", "notebooks/[0-9][0-9]-*.ipynb"]
exclude_patterns = ["_build", "**/.ipynb_checkpoints"]

# The notebooks were executed by `make demo` (nbconvert) just before: show their outputs.
nb_execution_mode = "off"
# The page would load ipywidgets' scripts from a CDN; a reader's browser must load nothing
# from outside the site, so a widget (04's progress bars) shows nothing.
nb_ipywidgets_js: dict[str, dict[str, str]] = {}
# A Markdown output (09's summary table) as Jupyter renders it: GitHub's Markdown, with
# tables. The default, CommonMark, has none and prints the table's pipes as a paragraph.
nb_render_markdown_format = "gfm"
# "#a-heading" links between documents resolve to the heading's anchor.
myst_heading_anchors = 3
html_theme = "alabaster"
# Wide enough for the scenario tables' 100-character lines.
html_theme_options = {"show_relbars": True, "page_width": "1280px", "body_max_width": "none"}
html_sidebars = {"**": ["about.html", "navigation.html", "relations.html", "searchbox.html"]}
html_show_sourcelink = False
html_copy_source = False


def _toc(app, docname: str, source: list[str]) -> None:
    """The README is the root page; the sidebar and previous/next links need a table of
    contents under it, which the README itself (read on GitHub too) cannot carry."""
    if docname == root_doc:
        source[0] += "\n\n```{toctree}\n:hidden:\n:glob:\n\nnotebooks/[0-9][0-9]-*\ndocs/*\n```\n"


def setup(app) -> None:
    app.connect("source-read", _toc)
