"""The throwaway package of notebook 09, and how its judges are asked (the fast parts)."""

from __future__ import annotations

import importlib
import sys

from mongoengine.base.common import _document_registry, get_document

from modelguard import OverwriteModelError, strict
from modelguard.lab import triggers


def test_every_trigger_has_its_own_model_file_with_one_document(tmp_path):
    root = triggers.write_project(tmp_path)
    for path, cls in triggers.TRIGGERS.values():
        assert f"class {cls}(Document):" in (root / path).read_text()
    assert len({path for path, _ in triggers.TRIGGERS.values()}) == len(triggers.TRIGGERS)


def test_importable_leaves_no_module_path_or_document_behind(tmp_path):
    root = triggers.write_project(tmp_path)
    with triggers.importable(root):
        import shop.carts
        import shop.settings  # noqa: F401 - appends shop/ to sys.path

        importlib.import_module("carts")
        assert get_document("Cart")
    assert not any(name == "carts" or name.startswith("shop") for name in sys.modules)
    assert str(root) not in sys.path and str(root / "shop") not in sys.path
    assert "Cart" not in _document_registry


def test_the_reload_helper_is_refused_under_strict_mode(tmp_path):
    root = triggers.write_project(tmp_path)
    with triggers.importable(root), strict.enabled():
        import shop.dev

        try:
            shop.dev.refresh()
        except OverwriteModelError as error:
            assert error.again.module == "shop.courses"
        else:
            raise AssertionError("the reload was not refused")


def test_the_lint_sees_the_two_triggers_written_in_code(tmp_path):
    verdicts = triggers.lint_verdicts(triggers.write_project(tmp_path))
    assert {t: codes for t, codes in verdicts.items() if codes} == {
        "importlib.reload": ["MG007"],
        "load by file path": ["MG007"],
    }


def test_the_table_has_a_row_per_trigger_and_marks_a_missing_verdict():
    table = {"importlib.reload": {"lint": "MG002"}}
    lines = triggers.markdown_table(table).splitlines()
    assert lines[0] == "| trigger | " + " | ".join(triggers.JUDGES) + " |"
    assert lines[2] == "| `importlib.reload` | ? | ? | MG002 | ? |"
