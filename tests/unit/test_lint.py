"""modelguard lint: the rules against a corpus of snippets, and the command line around them.

Each file in lint_corpus/ opens with the findings it must produce, e.g.
``# expect: MG001@9 MG002@17`` or ``# expect: nothing``. The corpus files are
only parsed, never imported.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from modelguard.entrypoints import lint

CORPUS = Path(__file__).parent / "lint_corpus"
CORPUS_FILES = sorted(CORPUS.glob("*.py"))
SRC = Path(__file__).parents[2] / "src"


def expected_findings(path: Path) -> list[tuple[str, int]]:
    header = path.read_text(encoding="utf-8").splitlines()[0]
    match = re.fullmatch(r"# expect: (.*)", header)
    assert match, f"{path.name} must open with '# expect: CODE@LINE ...' or '# expect: nothing'"
    if match.group(1) == "nothing":
        return []
    return sorted((code, int(line)) for code, line in re.findall(r"(MG\d{3})@(\d+)", header))


def codes_at(source: str) -> list[tuple[str, int]]:
    return [(finding.code, finding.line) for finding in lint.check_source(source)]


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda path: path.name)
def test_each_corpus_file_yields_exactly_the_findings_it_declares(path):
    findings = lint.check_paths([str(path)])

    assert sorted((f.code, f.line) for f in findings) == expected_findings(path)


def test_the_corpus_holds_good_and_bad_examples_of_every_rule():
    expected = {code for path in CORPUS_FILES for code, _ in expected_findings(path)}
    clean = [path for path in CORPUS_FILES if not expected_findings(path)]

    assert expected >= {"MG001", "MG002", "MG003", "MG004"}
    assert clean


def test_a_guarded_registration_is_fine_and_the_same_line_unguarded_is_not():
    imports = "from modelguard import registry\n"
    guarded = imports + 'U = registry.models.get("U") or registry.model("U", S)\n'
    unguarded = imports + 'U = registry.model("U", S)\n'

    assert codes_at(guarded) == []
    assert codes_at(unguarded) == [("MG001", 2)]


def test_relative_imports_inside_the_package_resolve_to_modelguard():
    source = "from ...registry import ModelRegistry\nfrom .... import registry\n"
    source += 'A = registry.model("A", S)\nB = ModelRegistry().model("B", S)\n'
    inside = "src/modelguard/academy/models/shared/user.py"

    assert [(f.code, f.line) for f in lint.check_source(source, inside)] == [("MG001", 3)]
    assert lint.check_source(source, "elsewhere/user.py") == []


def test_a_finding_reports_the_call_position_with_a_one_based_character_column():
    source = 'from modelguard import model\nÜber = model("Über", S)\n'

    [finding] = lint.check_source(source, "user.py")

    assert (finding.path, finding.line, finding.col, finding.code) == ("user.py", 2, 8, "MG001")


def test_a_file_that_does_not_parse_is_reported_as_mg000_instead_of_crashing(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text('User = registry.model("User", UserSchema\n', encoding="utf-8")
    fine = tmp_path / "fine.py"
    fine.write_text("x = 1\n", encoding="utf-8")

    [finding] = lint.check_paths([str(broken), str(fine)])

    assert (finding.path, finding.code) == (str(broken), "MG000")
    assert "cannot parse" in finding.message


def test_a_file_that_is_not_valid_utf8_is_reported_as_mg000(tmp_path):
    garbled = tmp_path / "garbled.py"
    garbled.write_bytes(b"name = '\xff'\n")

    assert [f.code for f in lint.check_paths([str(garbled)])] == ["MG000"]


def test_directories_are_walked_for_python_files_skipping_hidden_venv_and_build(tmp_path):
    bad = 'from modelguard import model\nUser = model("User", S)\n'
    for folder in ("pkg/sub", ".venv/lib", "build/lib", ".hidden", "pkg/__pycache__"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "models.py").write_text(bad, encoding="utf-8")
    (tmp_path / "pkg" / "notes.txt").write_text(bad, encoding="utf-8")

    findings = lint.check_paths([str(tmp_path)])

    assert [Path(f.path).relative_to(tmp_path).as_posix() for f in findings] == [
        "pkg/sub/models.py"
    ]


def test_main_prints_path_line_col_code_message_and_exits_1_on_findings(capsys):
    path = CORPUS / "bad_mg001_plain.py"

    code = lint.main([str(path)])

    out = capsys.readouterr().out
    assert code == 1
    assert out.startswith(f"{path}:9:8: MG001 model 'User' registered without the guard")
    assert "registry.models.get('User') or registry.model('User', UserSchema)" in out


def test_main_exits_0_and_prints_nothing_on_clean_files(capsys):
    code = lint.main([str(CORPUS / "good_guarded.py"), str(CORPUS / "good_other_libraries.py")])

    assert (code, capsys.readouterr().out) == (0, "")


def test_main_exits_2_on_usage_errors(capsys, tmp_path):
    assert lint.main([]) == 2
    assert lint.main([str(tmp_path / "missing.py")]) == 2
    assert lint.main(["--select", "MG999", str(tmp_path)]) == 2
    assert lint.main(["--format", "xml", str(tmp_path)]) == 2
    assert "missing.py" in capsys.readouterr().err


def test_json_format_prints_a_list_of_findings_with_their_fields(capsys):
    code = lint.main(["--format", "json", str(CORPUS / "bad_mg004_mismatched_guard.py")])

    findings = json.loads(capsys.readouterr().out)
    assert code == 1
    assert [(f["code"], f["line"]) for f in findings] == [
        ("MG004", 15),
        ("MG004", 16),
        ("MG004", 24),
        ("MG001", 27),
    ]
    assert all(set(f) == {"path", "line", "col", "code", "message"} for f in findings)
    assert findings[0]["message"].startswith("guard checks 'User' but compiles 'Users'")


def test_json_format_prints_an_empty_list_for_clean_code(capsys):
    assert lint.main(["--format", "json", str(CORPUS / "good_guarded.py")]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_select_reports_only_the_named_codes(capsys):
    path = str(CORPUS / "bad_mg004_mismatched_guard.py")

    assert lint.main(["--select", "MG001", path]) == 1
    assert [line.split()[1] for line in capsys.readouterr().out.splitlines()] == ["MG001"]
    assert lint.main(["--select", "mg002,MG003", path]) == 0


def test_a_noqa_comment_suppresses_only_the_codes_it_names():
    source = "from modelguard import registry\n"
    source += 'A = registry.model("A", S)  # noqa: MG001 -- seeded by a one-off script\n'
    source += 'B = registry.model("B", S)  # noqa: MG004\n'
    source += 'C = registry.model("C", S)  # noqa\n'

    assert codes_at(source) == [("MG001", 3), ("MG001", 4)]


def test_the_module_runs_with_python_dash_m():
    result = subprocess.run(
        [sys.executable, "-m", "modelguard.entrypoints.lint", str(CORPUS / "bad_mg001_plain.py")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        check=False,
    )

    assert result.returncode == 1, result.stderr
    assert ":9:8: MG001 " in result.stdout
