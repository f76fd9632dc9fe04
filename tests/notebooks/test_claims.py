"""docs/claims.md, the audit of what the notebooks claim, kept true as they change.

Each row names a markdown cell, a phrase of its claim and where the claim is shown: code
in a code cell that asserts it or prints it, or a file of the repository. The checks
read the committed notebooks (nothing is executed here: the notebook tests run them),
so a reworded claim, a moved cell, a deleted assert or a new markdown cell with no row
fails here until the audit says where the new text is shown.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
AUDIT = ROOT / "docs" / "claims.md"

SECTION = re.compile(r"^## (\d\d) · (.+)$", re.M)
SPAN = r"(?:``\s?(?P<double>.+?)\s?``|`(?P<single>[^`]+)`)"
IN_CELL = re.compile(rf"(?P<how>asserted|shown) in (?:(?P<notebook>\d\d)/)?(?P<cell>\d+): {SPAN}")
IN_FILE = re.compile(rf"in (?P<path>[\w./-]+): {SPAN}")


def flat(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class Row:
    notebook: str
    cell: int
    claim: str
    how: str

    def __str__(self) -> str:
        return f"{self.notebook} cell {self.cell}: {self.claim!r}"


def sections() -> dict[str, tuple[str, str]]:
    """Notebook number -> (its title as the audit gives it, the section's text)."""
    text = AUDIT.read_text(encoding="utf-8")
    found = list(SECTION.finditer(text))
    ends = [match.start() for match in found[1:]] + [len(text)]
    return {
        match[1]: (match[2], text[match.end() : end])
        for match, end in zip(found, ends, strict=True)
    }


def rows_of(number: str, body: str) -> list[Row]:
    rows = []
    for line in body.splitlines():
        if not re.match(r"^\| \d+ \|", line):
            continue
        cell, claim, how = (part.strip() for part in line.strip().strip("|").split(" | "))
        rows.append(Row(number, int(cell), claim, how))
    return rows


def cut_of(body: str) -> list[str]:
    after = body.split("**Cut**", 1)[1] if "**Cut**" in body else ""
    return [m[1] for m in re.finditer(r'^- "(.+)"$', after, re.M)]


def notebook(number: str) -> nbformat.NotebookNode:
    [path] = (ROOT / "notebooks").glob(f"{number}-*.ipynb")
    return nbformat.read(path, as_version=4)


def span_of(match: re.Match[str]) -> str:
    return match["double"] if match["double"] is not None else match["single"]


def asserting_segments(source: str) -> list[str]:
    """The source of every assert statement and `raise AssertionError` in a code cell."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    code = "\n".join(lines)
    segments = []
    for node in ast.walk(ast.parse(code)):
        raises = isinstance(node, ast.Raise) and "AssertionError" in ast.unparse(node)
        if isinstance(node, ast.Assert) or raises:
            segments.append(flat(ast.get_source_segment(code, node) or ""))
    return segments


SECTIONS = sections()
ROWS = [row for number, (_, body) in SECTIONS.items() for row in rows_of(number, body)]


def test_the_audit_covers_the_notebooks_it_was_given():
    assert set(SECTIONS) >= {"01", "02", "03", "04", "05", "06", "07", "08", "09"}
    for number, (title, body) in SECTIONS.items():
        first = notebook(number).cells[0].source.splitlines()[0]
        assert first.startswith(f"# {number} · {title}"), (number, first)
        assert rows_of(number, body), f"section {number} has no rows"


@pytest.mark.parametrize("row", ROWS, ids=[f"{row.notebook}-{row.cell}" for row in ROWS])
def test_each_claim_is_in_its_cell_and_shown_where_the_row_says(row):
    cells = notebook(row.notebook).cells
    cell = cells[row.cell]
    assert cell.cell_type == "markdown", f"{row}: cell {row.cell} is {cell.cell_type}"
    phrase = re.fullmatch(r'"(.+)"', row.claim)
    assert phrase, f"{row}: the claim column holds one quoted phrase of the cell"
    assert flat(phrase[1]) in flat(cell.source), f"{row}: the cell no longer says this"
    if row.how == "no claim":
        return
    rest = row.how
    for match in IN_CELL.finditer(row.how):
        number = match["notebook"] or row.notebook
        target = notebook(number).cells[int(match["cell"])]
        where = f"{row}: {number} cell {match['cell']}"
        assert target.cell_type == "code", f"{where} is not code"
        code = flat(span_of(match))
        assert code in flat(target.source), f"{where} does not hold {code!r}"
        if match["how"] == "asserted":
            statement = re.sub(r"\s+#.*$", "", code)  # a trailing comment is not in the AST
            assert any(statement in segment for segment in asserting_segments(target.source)), (
                f"{where}: {code!r} is not part of an assert"
            )
        rest = rest.replace(match[0], "", 1)
    for match in IN_FILE.finditer(rest):
        path = ROOT / match["path"]
        assert path.is_file(), f"{row}: no file {match['path']}"
        assert flat(span_of(match)) in flat(path.read_text(encoding="utf-8")), f"{row}: {path}"
        rest = rest.replace(match[0], "", 1)
    assert rest.strip(" ;") == "", f"{row}: cannot read {rest.strip(' ;')!r}"


@pytest.mark.parametrize("number", sorted(SECTIONS))
def test_every_markdown_cell_of_an_audited_notebook_has_a_row(number):
    audited = {row.cell for row in ROWS if row.notebook == number}
    for index, cell in enumerate(notebook(number).cells):
        if cell.cell_type != "markdown" or cell.source.startswith("**Next:**"):
            continue
        assert index in audited, f"{number} cell {index} has no row in docs/claims.md"


@pytest.mark.parametrize("number", sorted(SECTIONS))
def test_a_cut_claim_stays_cut(number):
    cells = notebook(number).cells
    text = flat(" ".join(cell.source for cell in cells))
    for phrase in cut_of(SECTIONS[number][1]):
        assert flat(phrase) not in text, f"{number}: {phrase!r} is back"
