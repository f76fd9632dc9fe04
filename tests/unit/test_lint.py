"""modelguard lint: the rules against a corpus of snippets, and the command line around them.

Each file in lint_corpus/ opens with the findings it must produce with every
code selected, e.g. ``# expect: MG001@9 MG002@17`` or ``# expect: nothing``; a
default run must produce the same minus the opt-in codes. The corpus files are
only parsed, never imported.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from modelguard.entrypoints import lint
from modelguard.lint import lint_source

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


def codes_at(source: str, select=lint.RULES) -> list[tuple[str, int]]:
    return [(finding.code, finding.line) for finding in lint.check_source(source, select=select)]


def _by_file(select) -> dict[str, list[tuple[str, int]]]:
    """The whole corpus linted at once, as MG005 follows calls from file to file."""
    findings: dict[str, list[tuple[str, int]]] = {path.name: [] for path in CORPUS_FILES}
    for finding in lint.check_paths([str(CORPUS)], select=select):
        findings[Path(finding.path).name].append((finding.code, finding.line))
    return findings


@pytest.fixture(scope="module")
def corpus_findings():
    return _by_file(set(lint.RULES))


@pytest.fixture(scope="module")
def default_findings():
    return _by_file(None)


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda path: path.name)
def test_each_corpus_file_yields_exactly_the_findings_it_declares(path, corpus_findings):
    assert sorted(corpus_findings[path.name]) == expected_findings(path)


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda path: path.name)
def test_a_default_run_yields_the_declared_findings_minus_the_opt_in_codes(path, default_findings):
    expected = [(code, line) for code, line in expected_findings(path) if code not in lint.OPT_IN]
    assert sorted(default_findings[path.name]) == expected


def test_the_opt_in_codes_are_the_cached_import_and_the_code_no_path_reaches():
    assert lint.OPT_IN == {"MG006", "MG007", "MG008"}
    assert lint.DEFAULT == set(lint.RULES) - lint.OPT_IN


@pytest.mark.parametrize("code", sorted(set(lint.RULES) - {"MG000"}))
def test_the_corpus_holds_a_good_and_a_bad_example_of_every_rule(code):
    bad = [path for path in CORPUS_FILES if code in {c for c, _ in expected_findings(path)}]
    good = [path for path in CORPUS_FILES if path.name.startswith(f"good_{code.lower()}_")]

    assert bad, f"no corpus file expects {code}"
    assert good and all(expected_findings(path) == [] for path in good)


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
    code = lint.main(
        [str(CORPUS / "good_mg001_guarded.py"), str(CORPUS / "good_mg003_other_libraries.py")]
    )

    assert (code, capsys.readouterr().out) == (0, "")


def test_main_exits_2_on_usage_errors(capsys, tmp_path):
    assert lint.main([]) == 2
    assert lint.main(["--select", "MG999", str(tmp_path)]) == 2
    assert lint.main(["--select", ",", str(tmp_path)]) == 2
    assert lint.main(["--format", "xml", str(tmp_path)]) == 2
    assert "unknown code(s): MG999" in capsys.readouterr().err


def test_a_missing_path_is_a_finding_and_the_other_paths_are_still_checked(capsys, tmp_path):
    missing = tmp_path / "missing.py"
    bad = CORPUS / "bad_mg001_plain.py"

    code = lint.main([str(missing), str(bad), str(tmp_path / "gone")])

    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    assert f"{missing}:1:1: MG000 no such file or directory; nothing was checked" in lines
    assert f"{tmp_path / 'gone'}:1:1: MG000 no such file or directory; nothing was checked" in lines
    assert any(line.startswith(f"{bad}:9:8: MG001 ") for line in lines)


def test_a_missing_path_alone_fails_the_run_even_when_other_codes_are_selected(capsys, tmp_path):
    assert lint.main(["--select", "MG003", str(tmp_path / "missing.py")]) == 1
    assert "MG000 no such file or directory" in capsys.readouterr().out


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
    assert lint.main(["--format", "json", str(CORPUS / "good_mg001_guarded.py")]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_select_reports_only_the_named_codes(capsys):
    path = str(CORPUS / "bad_mg004_mismatched_guard.py")

    assert lint.main(["--select", "MG001", path]) == 1
    assert [line.split()[1] for line in capsys.readouterr().out.splitlines()] == ["MG001"]
    assert lint.main(["--select", "mg002,MG003", path]) == 0


def test_the_opt_in_codes_are_reported_only_when_selected(capsys):
    path = str(CORPUS / "bad_mg006_cached_imports.py")

    assert lint.main([path]) == 0
    assert capsys.readouterr().out == ""
    assert lint.main(["--select", "MG006", path]) == 1
    assert {line.split()[1] for line in capsys.readouterr().out.splitlines()} == {"MG006"}
    assert lint.main(["--select", "all", path]) == 1


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


def test_the_initialize_once_fix_is_not_reported():
    source = (
        "import importlib\n"
        "_service = None\n"
        "def initialize():\n"
        "    global _service\n"
        "    if _service is None:\n"
        "        module = importlib.import_module('admin.services.allocation')\n"
        "        _service = module.AllocationService()\n"
        "def allocate_trainer(event):\n"
        "    return _service.allocate(event)\n"
    )

    assert codes_at(source) == []


def test_a_cached_import_in_a_handler_is_mg006_and_says_nothing_runs_again():
    source = "import importlib\ndef handle(e):\n    return importlib.import_module('svc')\n"

    assert lint.check_source(source) == []  # opt-in
    [finding] = lint.check_source(source, select={"MG006"})

    assert finding.code == "MG006"
    assert "returns the module cached in sys.modules" in finding.message
    assert "no code runs again" in finding.message
    assert "re-runs" not in finding.message


def test_exec_of_compiled_source_in_a_handler_is_mg002_naming_what_runs_again():
    source = (
        "def handle(event, source, path):\n"
        "    namespace = {}\n"
        "    exec(compile(source, path, 'exec'), namespace)\n"
        "    return namespace['AllocationService']().allocate(event)\n"
    )

    [finding] = lint.check_source(source)

    assert (finding.code, finding.line) == ("MG002", 3)
    assert "exec() runs the code compiled from `path` again" in finding.message
    assert "on every call or retry of handle() (a handler: it takes `event`)" in finding.message


def test_each_rerun_message_says_what_runs_again():
    def message(body: str) -> str:
        source = f"import importlib, runpy, sys\ndef handle(m, p, event):\n    {body}\n"
        [finding] = lint.check_source(source)
        assert finding.code == "MG002"
        return finding.message

    assert "runs the code of `m` again, in the same module object" in message("importlib.reload(m)")
    assert "runs the file `p` again, in a fresh namespace" in message("runpy.run_path(p)")
    assert "caches nothing" in message("runpy.run_module('seed')")
    assert "after `del sys.modules['x']`" in message(
        "del sys.modules['x']; return importlib.import_module('x')"
    )
    deleted_other = "del sys.modules['y']\n    return importlib.import_module('x')"
    assert codes_at(f"import importlib, sys\ndef handle():\n    {deleted_other}\n") == [
        ("MG006", 4)
    ]


def test_a_helper_in_another_module_is_followed_and_its_noqa_does_not_hide_callers(tmp_path):
    (tmp_path / "loader.py").write_text(
        "import importlib.util\n"
        "def load_build(path):\n"
        "    spec = importlib.util.spec_from_file_location('build', path)\n"
        "    module = importlib.util.module_from_spec(spec)\n"
        "    spec.loader.exec_module(module)  # noqa: MG002 -- this helper's job\n"
        "    return module\n",
        encoding="utf-8",
    )
    (tmp_path / "worker.py").write_text(
        "from loader import load_build\n"
        "def allocate_trainer(event):\n"
        "    return load_build(event['build']).AllocationService().allocate(event)\n",
        encoding="utf-8",
    )

    report = lint.lint_paths([str(tmp_path)])

    [finding] = report.findings
    assert (Path(finding.path).name, finding.line, finding.code) == ("worker.py", 3, "MG005")
    assert "calls load_build(), which runs module code again" in finding.message
    assert "exec_module() runs the file `path` again" in finding.message
    assert "(a handler: it takes `event`)" in finding.message
    assert [s.finding.code for s in report.suppressed] == ["MG002"]


def test_a_helper_called_once_at_start_up_and_kept_is_fine(tmp_path):
    (tmp_path / "loader.py").write_text(
        "import runpy\ndef load_build(path):\n    return runpy.run_path(path)  # noqa: MG002\n",
        encoding="utf-8",
    )
    (tmp_path / "worker.py").write_text(
        "from loader import load_build\n"
        "class Worker:\n"
        "    def initialize(self):\n"
        "        self.build = load_build('build.py')\n"
        "    def handle(self, event):\n"
        "        return self.build['AllocationService']().allocate(event)\n",
        encoding="utf-8",
    )

    assert lint.check_paths([str(tmp_path)]) == []


def test_main_lists_each_suppressed_finding_with_its_reason(capsys):
    code = lint.main([str(CORPUS / "noqa_suppression.py")])

    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    suppressed = [line for line in lines if line.startswith("suppressed: ")]
    assert len(suppressed) == 5
    assert any(line.endswith("MG001 -- seeded once by the migration script") for line in suppressed)
    assert any(line.endswith("MG001 -- (no reason given)") for line in suppressed)


def test_src_reports_the_buggy_worker_reproduction_only_as_a_reasoned_suppression(capsys):
    assert lint.main([str(SRC)]) == 0

    out = capsys.readouterr().out
    [worker] = [line for line in out.splitlines() if "academy/workers/allocation.py" in line]
    assert worker.startswith("suppressed: ")
    assert " MG005 -- the reproduction of the buggy worker" in worker
    assert all(line.startswith("suppressed: ") for line in out.splitlines())


def test_without_its_noqa_the_reproduction_is_a_finding(tmp_path):
    copy = tmp_path / "src"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("__pycache__"))
    worker = copy / "modelguard" / "academy" / "workers" / "allocation.py"
    text = worker.read_text(encoding="utf-8")
    stripped = re.sub(r"  # noqa: MG005 --.*", "", text)
    assert stripped != text
    worker.write_text(stripped, encoding="utf-8")

    findings = lint.check_paths([str(copy)])

    assert [(Path(f.path).name, f.code) for f in findings] == [("allocation.py", "MG005")]
    assert "calls execute_file()" in findings[0].message


def test_the_cached_driver_lookup_is_the_milder_code_not_mg002():
    drivers = SRC / "modelguard" / "messaging" / "drivers" / "__init__.py"
    report = lint.lint_paths([str(drivers)], select=lint.RULES)

    assert report.findings == []
    assert [s.finding.code for s in report.suppressed] == ["MG006"]


def test_mg001_with_overwrite_true_says_what_happens_and_its_guard_drops_the_overwrite():
    source = 'from modelguard import registry\nR = registry.model("R", S, overwrite=True)\n'

    [finding] = lint.check_source(source)

    assert finding.code == "MG001"
    assert "raises OverwriteModelError" not in finding.message
    assert "raises nothing: it compiles the model again and replaces it" in finding.message
    assert "(write `registry.models.get('R') or registry.model('R', S)`)" in finding.message


def test_mg001_without_overwrite_still_names_the_error():
    source = 'from modelguard import registry\nR = registry.model("R", S, overwrite=False)\n'

    [finding] = lint.check_source(source)

    assert "a second run of this module raises OverwriteModelError" in finding.message
    assert "(write `registry.models.get('R') or registry.model('R', S)`)" in finding.message


def test_a_load_two_calls_below_a_handler_is_on_its_path():
    source = (
        "import importlib\n"
        "import services\n"
        "class Worker:\n"
        "    def handle(self, event, attempt=1):\n"
        "        return self._service()\n"
        "    def _service(self):\n"
        "        return self._reload()\n"
        "    def _reload(self):\n"
        "        return importlib.reload(services)\n"
    )

    [mg005, mg002] = sorted(lint.check_source(source), key=lambda f: f.code, reverse=True)

    assert (mg005.code, mg005.line) == ("MG005", 7)
    assert "reached from Worker.handle(), a handler: it takes `event`" in mg005.message
    assert (mg002.code, mg002.line) == ("MG002", 9)
    assert "on every call or retry of _reload() (reached from Worker.handle()" in mg002.message


def test_the_same_load_with_no_handler_above_it_is_not_a_default_finding():
    source = (
        "import importlib\n"
        "import services\n"
        "class Command:\n"
        "    def handle(self, *args, **options):\n"
        "        return self._reload()\n"
        "    def _reload(self):\n"
        "        return importlib.reload(services)\n"
    )

    assert codes_at(source, select=None) == []
    assert codes_at(source) == [("MG007", 7)]


def test_a_call_the_lint_cannot_tell_is_not_followed_but_a_typed_attribute_is():
    loader = (
        "import runpy\nclass Build:\n    def load(self, p):\n        return runpy.run_path(p)\n"
    )
    guessed = "def handle(event, build):\n    return build.load(event)\n"
    typed = (
        "class Worker:\n"
        "    def __init__(self):\n"
        "        self.build = Build()\n"
        "    def handle(self, event):\n"
        "        return self.build.load(event)\n"
    )

    assert codes_at(loader + guessed) == [("MG007", 4)]
    assert codes_at(loader + typed) == [("MG002", 4), ("MG005", 9)]


@pytest.mark.parametrize("select", [None, set(lint.RULES)], ids=["default", "all"])
def test_walking_only_the_files_the_text_calls_for_loses_no_finding(monkeypatch, select):
    """The text pre-filter is a shortcut, not a rule: walking every file finds the same."""
    from modelguard.lint import project

    paths = [str(CORPUS), str(SRC), str(Path(__file__).parents[2] / "notebooks" / "exercise")]
    quick = lint.lint_paths(paths, select=select)
    monkeypatch.setattr(project, "needs_rules", lambda source, path, codes: True)
    everything = lint.lint_paths(paths, select=select)

    assert quick == everything
    assert quick.findings  # the corpus holds true cases, so the comparison means something


def test_a_handler_whose_file_spells_no_load_is_walked_because_it_calls_toward_one(tmp_path):
    (tmp_path / "helpers.py").write_text(
        "import importlib\nimport services\ndef refresh():\n    importlib.reload(services)\n",
        encoding="utf-8",
    )
    (tmp_path / "middle.py").write_text(
        "from helpers import refresh\ndef prepare():\n    refresh()\n", encoding="utf-8"
    )
    (tmp_path / "worker.py").write_text(
        "from middle import prepare\ndef handle(event):\n    prepare()\n", encoding="utf-8"
    )

    findings = lint.check_paths([str(tmp_path)])

    assert [(Path(f.path).name, f.code) for f in findings] == [
        ("helpers.py", "MG002"),
        ("middle.py", "MG005"),
    ]
    assert "reached from handle(), a handler: it takes `event`" in findings[1].message


def test_a_static_handler_keeps_its_first_parameter_as_the_unit_of_work():
    source = (
        "import importlib\nimport services\n"
        "class Worker:\n"
        "    @staticmethod\n"
        "    def handle(event):\n"
        "        return importlib.reload(services)\n"
        "    def run(event):\n"  # a plain method: `event` is its self
        "        return importlib.reload(services)\n"
    )

    assert codes_at(source) == [("MG002", 6), ("MG007", 8)]


TEST_CODE = """
from mongoengine import Document
import importlib


def handle(event):
    class Sample(Document):
        pass

    importlib.reload(importlib)
    return Sample
"""


@pytest.mark.parametrize("name", ["test_models.py", "models_test.py", "conftest.py", "tests.py"])
def test_in_a_test_file_no_function_starts_a_path(name):
    assert codes_at_path(TEST_CODE, f"pkg/tests/{name}") == [("MG007", 10), ("MG008", 7)]
    assert codes_at_path(TEST_CODE, "pkg/handlers.py") == [("MG002", 10), ("MG003", 7)]
    assert lint.check_source(TEST_CODE, f"pkg/tests/{name}") == []


def codes_at_path(source: str, path: str) -> list[tuple[str, int]]:
    return sorted((f.code, f.line) for f in lint.check_source(source, path, select=lint.RULES))


def test_a_helper_a_handler_also_calls_stays_on_the_handlers_path():
    source = """
from mongoengine import Document


def make():
    class Built(Document):
        pass
    return Built


def test_make():
    assert make()


def handle(event):
    return make()
"""
    assert codes_at(source) == [("MG003", 6)]
    assert codes_at(source.split("def handle")[0]) == [("MG008", 6)]


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_a_base_re_exported_under_mongoengines_name_through_a_package_is_a_document(tmp_path):
    write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/mongo/__init__.py": "from .document import OwnDocument as Document\n",
            "app/mongo/document.py": "import mongoengine as me\n\nclass OwnDocument(me.Document):"
            "\n    meta = {'abstract': True}\n",
            # spells neither `Document` nor anything else a rule starts from, on its own
            "app/handlers.py": "from app.mongo.document import OwnDocument\n\n\n"
            "def handle(event):\n    class Allocation(OwnDocument):\n        pass\n",
            "app/jobs.py": "from app import mongo\n\n\n@app.task\n"
            "def run():\n    class Job(mongo.Document):\n        pass\n",
            "app/plain.py": "from app.mongo import Document as D\n\n\n"
            "def handle(event):\n    class NotADocument(dict):\n        pass\n",
        },
    )
    found = sorted(
        (Path(f.path).name, f.code, f.line) for f in lint.check_paths([str(tmp_path / "app")])
    )
    assert found == [("handlers.py", "MG003", 5), ("jobs.py", "MG003", 6)]


def test_a_base_through_module_level_aliases_is_a_document(tmp_path):
    write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/base.py": "import mongoengine\n\n\nclass ProjectDocument(mongoengine.Document):"
            "\n    meta = {'abstract': True}\n\n\nLocal = ProjectDocument\n",
            # an alias of a re-export, two files away from the class
            "app/bases.py": "from app.base import ProjectDocument as PD\n\n"
            "Base = PD\nAgain = Base\n",
            # spells no name of a document class, only an alias of one
            "app/handlers.py": "from app import bases\nfrom app.bases import Again\n\n\n"
            "def handle(event):\n    class A(Again):\n        pass\n\n"
            "    class B(bases.Base):\n        pass\n",
            # two packages re-exporting the alias, one under another name
            "app/outer/__init__.py": "from app.bases import Again\n",
            "app/deep/__init__.py": "from app.outer import Again as Deep\n",
            "app/deep/jobs.py": "from app.deep import Deep\n\n\n"
            "def handle(event):\n    class E(Deep):\n        pass\n",
            "app/local.py": "from app.base import Local\n\nMine = Local\n\n\n"
            "def handle(event):\n    class C(Mine):\n        pass\n",
            # a name bound twice at module level could be either value: not followed
            "app/twice.py": "from app.base import Local\n\nMaybe = Local\nMaybe = dict\n\n\n"
            "def handle(event):\n    class D(Maybe):\n        pass\n",
        },
    )
    found = sorted(
        (Path(f.path).name, f.code, f.line) for f in lint.check_paths([str(tmp_path / "app")])
    )
    assert found == [
        ("handlers.py", "MG003", 6),
        ("handlers.py", "MG003", 9),
        ("jobs.py", "MG003", 5),
        ("local.py", "MG003", 7),
    ]


def test_flask_mongoengines_db_document_is_a_document(tmp_path):
    write(
        tmp_path,
        {
            "site/__init__.py": "",
            "site/extensions.py": "from flask_mongoengine import MongoEngine\n\n"
            "db = MongoEngine()\n",
            "site/views.py": "import flask_mongoengine\nfrom site.extensions import db\n\n"
            "local = flask_mongoengine.MongoEngine()\n\n\n"
            "def view(request):\n    class Page(db.Document):\n        pass\n\n"
            "    class Note(local.EmbeddedDocument):\n        pass\n\n"
            "    class Form(db.Form):\n        pass\n",
        },
    )
    found = [(Path(f.path).name, f.line) for f in lint.check_paths([str(tmp_path / "site")])]
    assert found == [("views.py", 8), ("views.py", 11)]


def test_a_helper_module_of_a_test_package_starts_no_path(tmp_path):
    helper = (
        "from mongoengine import Document\n\n\ndef build(request):\n"
        "    class Built(Document):\n        pass\n    return Built\n"
    )
    write(tmp_path, {"proj/tests/__init__.py": "", "proj/tests/factories.py": helper,
                     "proj/app/__init__.py": "", "proj/app/factories.py": helper})  # fmt: skip
    found = sorted(
        (Path(f.path).parent.name, f.code)
        for f in lint.check_paths([str(tmp_path / "proj")], select=lint.RULES)
    )
    assert found == [("app", "MG003"), ("tests", "MG008")]


def test_a_base_made_by_a_metaclass_factory_counts_as_the_classes_passed_to_it(tmp_path):
    write(
        tmp_path,
        {
            "dm/__init__.py": "from .document import Document\n",
            "dm/document.py": "import mongoengine as me\nfrom mongoengine.base import metaclasses"
            " as mtc\n\n\nclass Document(django_meta(mtc.TopLevelDocumentMetaclass, me.Document)):"
            "\n    pass\n",
            "dm/handlers.py": "from dm import Document\n\n\n"
            "def handle(event):\n    class Allocation(Document):\n        pass\n",
        },
    )
    found = [(Path(f.path).name, f.code) for f in lint.check_paths([str(tmp_path / "dm")])]
    assert found == [("handlers.py", "MG003")]


def test_a_noqa_for_mg003_excuses_the_opt_in_mg008_too():
    source = (
        "from mongoengine import Document\n\n\ndef build():\n"
        "    class Made(Document):  # noqa: MG003 -- a factory, called once\n        pass\n"
    )
    report = lint_source(source, select={"MG008"})
    assert report.findings == []
    assert [(s.finding.code, s.reason) for s in report.suppressed] == [
        ("MG008", "a factory, called once")
    ]
