"""A model file that runs twice: the Python form of the incident, and its diagnosis."""

from __future__ import annotations

import importlib
import sys
import textwrap

import pytest

from modelguard import OverwriteModelError, registry
from modelguard.registry.loading import execute_file

UNGUARDED = """
from mongoengine import fields
from modelguard import Schema, registry

{name}Schema = Schema({{"email": fields.StringField()}})
{name} = registry.model("{name}", {name}Schema)
"""

GUARDED = """
from mongoengine import fields
from modelguard import Schema, registry

{name}Schema = Schema({{"email": fields.StringField()}})
{name} = registry.models.get("{name}") or registry.model("{name}", {name}Schema)
"""


@pytest.fixture
def model_file(tmp_path, name):
    def write(template):
        path = tmp_path / f"{name.lower()}_model.py"
        path.write_text(textwrap.dedent(template.format(name=name)))
        return path

    yield write
    if name in registry.models:
        registry.delete_model(name)


def test_an_unguarded_file_run_twice_by_path_raises_naming_the_file(model_file, name):
    path = model_file(UNGUARDED)
    execute_file(path, "service_build_1")
    with pytest.raises(OverwriteModelError) as raised:
        execute_file(path, "service_build_2")
    error = raised.value
    assert str(error) == f"Cannot overwrite `{name}` model once compiled."
    assert error.first.file == error.again.file == str(path)
    assert error.first.line == error.again.line == 6
    assert (error.first.module, error.again.module) == ("service_build_1", "service_build_2")
    assert "The same file ran twice" in error.diagnosis
    assert "loaded by file path" in error.diagnosis
    assert any(str(path) in note for note in error.__notes__)


def test_a_guarded_file_run_twice_by_path_returns_the_same_class(model_file, name):
    path = model_file(GUARDED)
    first = execute_file(path, "service_build_1")
    second = execute_file(path, "service_build_2")
    assert first is not second
    assert getattr(first, name) is getattr(second, name)
    assert registry.compilations[name] == 1


def test_a_reload_is_diagnosed_as_the_same_module_running_again(model_file, name, monkeypatch):
    path = model_file(UNGUARDED)
    monkeypatch.syspath_prepend(str(path.parent))
    module_name = path.stem
    module = importlib.import_module(module_name)
    try:
        with pytest.raises(OverwriteModelError) as raised:
            importlib.reload(module)
    finally:
        sys.modules.pop(module_name, None)
    assert "re-executed under the same name" in raised.value.diagnosis


def test_importing_one_file_under_two_names_is_the_double_import_trap(
    model_file, name, monkeypatch
):
    path = model_file(UNGUARDED)
    package = path.parent / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    moved = package / path.name
    path.rename(moved)
    # The package's parent and the package itself both on sys.path: one file, two names.
    monkeypatch.syspath_prepend(str(path.parent))
    monkeypatch.syspath_prepend(str(package))
    try:
        importlib.import_module(f"pkg.{moved.stem}")
        with pytest.raises(OverwriteModelError) as raised:
            importlib.import_module(moved.stem)
    finally:
        sys.modules.pop(f"pkg.{moved.stem}", None)
        sys.modules.pop(moved.stem, None)
        sys.modules.pop("pkg", None)
    assert raised.value.first.module == f"pkg.{moved.stem}"
    assert raised.value.again.module == moved.stem
    assert "executed under two module names" in raised.value.diagnosis


def test_two_different_files_compiling_one_name_get_no_same_file_diagnosis(
    model_file, name, tmp_path
):
    path = model_file(UNGUARDED)
    other = tmp_path / "other_model.py"
    other.write_text(path.read_text())
    execute_file(path, "one")
    with pytest.raises(OverwriteModelError) as raised:
        execute_file(other, "two")
    assert raised.value.diagnosis == ""
    assert raised.value.first.file != raised.value.again.file
