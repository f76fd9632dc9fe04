"""A model file that runs twice: the Python form of the incident, and its diagnosis."""

from __future__ import annotations

import importlib
import runpy
import sys
import textwrap

import pytest

from modelguard import OverwriteModelError, registry
from modelguard.registry.errors import CompileSite, Trigger, trigger_of
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
    assert error.trigger is Trigger.LOAD_BY_PATH
    assert error.diagnosis.startswith(f"{path} ran twice (load by file path): ")
    assert "loaded by file path as 'service_build_2'" in error.diagnosis
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
    assert raised.value.trigger is Trigger.RELOAD
    assert f"re-executed under the same name {module_name!r}" in raised.value.diagnosis


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
    assert raised.value.trigger is Trigger.TWO_SYS_PATH_ENTRIES
    assert f"{package} gives it the name {moved.stem!r}" in raised.value.diagnosis


def test_a_file_loaded_by_path_under_its_own_name_is_still_a_load_by_path(
    model_file, name, monkeypatch
):
    # `trainer` is the file's stem, but no sys.path entry is its folder: the name was
    # given by whoever loaded the file, so the stem alone is no evidence of an import.
    path = model_file(UNGUARDED)
    execute_file(path, "service_build_1")
    with pytest.raises(OverwriteModelError) as raised:
        execute_file(path, path.stem)
    assert raised.value.trigger is Trigger.LOAD_BY_PATH
    assert f"loaded by file path as {path.stem!r}" in raised.value.diagnosis


def test_a_file_run_as_main_then_imported_by_name_says_so(model_file, name, monkeypatch):
    path = model_file(UNGUARDED)
    path.write_text(path.read_text() + f"\nif __name__ == '__main__':\n    import {path.stem}\n")
    monkeypatch.syspath_prepend(str(path.parent))
    try:
        with pytest.raises(OverwriteModelError) as raised:
            runpy.run_module(path.stem, run_name="__main__", alter_sys=True)  # `python -m`
    finally:
        sys.modules.pop(path.stem, None)
    assert (raised.value.first.module, raised.value.again.module) == ("__main__", path.stem)
    assert raised.value.trigger is Trigger.MAIN
    assert f"imported by its name {path.stem!r}" in raised.value.diagnosis


def test_two_different_files_compiling_one_name_are_told_apart_from_a_file_run_twice(
    model_file, name, tmp_path
):
    path = model_file(UNGUARDED)
    other = tmp_path / "other_model.py"
    other.write_text(path.read_text())
    execute_file(path, "one")
    with pytest.raises(OverwriteModelError) as raised:
        execute_file(other, "two")
    assert raised.value.first.file != raised.value.again.file
    assert raised.value.trigger is Trigger.TWO_FILES
    assert f"{path} compiled it first, then {other}" in raised.value.diagnosis
    assert "ran twice" not in raised.value.diagnosis
    assert raised.value.diagnosis.startswith("Two files compiled one model name: ")


@pytest.mark.parametrize(
    ("first", "again", "search_path", "trigger"),
    [
        ("shop.carts", "shop.carts", ["/r"], Trigger.RELOAD),
        ("__main__", "shop.carts", ["/r"], Trigger.MAIN),
        ("shop.carts", "__main__", ["/r"], Trigger.MAIN),
        ("shop.carts", "carts", ["/r", "/r/shop"], Trigger.TWO_SYS_PATH_ENTRIES),
        ("shop.carts", "carts", ["/r"], Trigger.LOAD_BY_PATH),  # /r/shop is not searched
        ("shop.carts", "carts_copy", ["/r", "/r/shop"], Trigger.LOAD_BY_PATH),
        ("carts_copy", "shop.carts", ["/r"], Trigger.LOAD_BY_PATH),
    ],
)
def test_each_trigger_is_decided_from_the_sites_and_sys_path(first, again, search_path, trigger):
    sites = [CompileSite(module, "/r/shop/carts.py", 4) for module in (first, again)]
    assert trigger_of(*sites, search_path=search_path)[0] is trigger


def test_a_package_init_is_imported_by_its_package_name():
    sites = [CompileSite(m, "/r/shop/__init__.py", 1) for m in ("shop", "shop_copy")]
    trigger, cause = trigger_of(*sites, search_path=["/r"])
    assert trigger is Trigger.LOAD_BY_PATH and "'shop_copy'" in cause


def test_each_trigger_has_its_own_cause():
    cases = [
        ("shop.carts", "shop.carts"),
        ("__main__", "shop.carts"),
        ("shop.carts", "carts"),
        ("shop.carts", "carts_copy"),
    ]
    causes = {
        trigger_of(*(CompileSite(m, "/r/shop/carts.py", 4) for m in pair), ["/r", "/r/shop"])
        for pair in cases
    }
    causes.add(trigger_of(CompileSite("a", "/r/a.py", 1), CompileSite("b", "/r/b.py", 1)))
    assert len({trigger for trigger, _ in causes}) == len({cause for _, cause in causes}) == 5
