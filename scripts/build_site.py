"""Publish the executed notebooks, the README and docs/ as a static site.

    python scripts/build_site.py [--notebooks build/notebooks] [--out build/site]

Sphinx with myst-nb (configured in site/conf.py) renders the notebooks with the outputs
they have, so `make demo` executes them once, with nbconvert, and this script only
renders. The source is a staging folder beside the output that holds copies of README.md
and docs/ and the executed notebooks in notebooks/, so every relative link keeps pointing
where it points in the repository. The entry page is
README.html.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
CONF_DIR = REPOSITORY / "site"


def stage(notebooks: Path, staging: Path) -> Path:
    """A source folder laid out as the repository is, with the notebooks from `notebooks`."""
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    # Copies, not links: myst resolves a link's target through symlinks, and would then
    # find it outside the source folder.
    shutil.copy2(REPOSITORY / "README.md", staging / "README.md")
    shutil.copytree(REPOSITORY / "docs", staging / "docs")
    (staging / "notebooks").mkdir()
    for notebook in sorted(notebooks.glob("[0-9][0-9]-*.ipynb")):
        shutil.copy2(notebook, staging / "notebooks" / notebook.name)
    return staging


def build(notebooks: Path, out: Path, *, quiet: bool = True) -> int:
    """Render the site into `out`; Sphinx's exit status (0: built)."""
    from sphinx.cmd.build import build_main

    if not any(notebooks.glob("[0-9][0-9]-*.ipynb")):
        print(f"build_site: no numbered notebooks in {notebooks}", file=sys.stderr)
        return 2
    staging = stage(notebooks, out.parent / f"{out.name}-source")
    if out.exists():
        shutil.rmtree(out)  # no page of a notebook since renamed stays behind
    flags = ["-q"] if quiet else []
    # -E: read every page again, since the notebooks changed under the same names.
    return build_main(
        ["-b", "html", "-E", *flags, "-c", str(CONF_DIR), "-d", str(staging / ".doctrees"),
         str(staging), str(out)]
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", type=Path, default=Path("build/notebooks"),
                        help="folder of the executed notebooks")  # fmt: skip
    parser.add_argument("--out", type=Path, default=Path("build/site"), help="output folder")
    args = parser.parse_args(argv)
    status = build(args.notebooks, args.out)
    if status == 0:
        print(f"site: {args.out / 'README.html'}")
    return status


if __name__ == "__main__":
    sys.exit(main())
