"""modelguard.strict on plain mongoengine: a file that ran twice is refused, with the diagnosis.

Each test writes a small package of plain mongoengine models into tmp_path and
runs one file twice the way Python teams meet it; mongoengine's process-wide
registry and sys.modules are put back afterwards.
"""

from __future__ import annotations

import importlib
import runpy
import sys
import textwrap
import warnings

import pytest
from mongoengine import Document, fields
from mongoengine.base import DocumentMetaclass
from mongoengine.base.common import _document_registry, get_document

from modelguard import ModelRegistry, OverwriteModelError, Schema, strict
from modelguard.registry.errors import Trigger, double_run_in
from modelguard.registry.loading import execute_file

MODELS = """
from mongoengine import Document, fields

class Base{n}(Document):
    meta = {{"abstract": True}}

class Trainee{n}(Base{n}):
    email = fields.StringField()
    meta = {{"allow_inheritance": True}}

class Senior{n}(Trainee{n}):
    level = fields.IntField()
"""


@pytest.fixture
def package(tmp_path, name, monkeypatch):
    """A package `pkg_<name>` with models.py, importable from tmp_path; tidied afterwards."""
    n = name.lower()
    root = tmp_path / f"pkg_{n}"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "models.py").write_text(textwrap.dedent(MODELS.format(n=name)))
    monkeypatch.syspath_prepend(str(tmp_path))
    before = set(sys.modules), dict(_document_registry)
    yield root
    strict.disable()
    for module in set(sys.modules) - before[0]:
        del sys.modules[module]
    _document_registry.clear()
    _document_registry.update(before[1])


def import_models(package):
    return importlib.import_module(f"{package.name}.models")


def test_without_strict_mode_a_reload_silently_replaces_the_class(package, name):
    models = import_models(package)
    first = models.__dict__[f"Trainee{name}"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        importlib.reload(models)
    assert get_document(f"Trainee{name}") is not first


def test_a_reload_raises_naming_the_file_and_keeps_the_first_class(package, name):
    strict.enable()
    models = import_models(package)
    first = get_document(f"Trainee{name}")
    with pytest.raises(OverwriteModelError) as raised:
        importlib.reload(models)
    error = raised.value
    assert str(error) == f"Cannot overwrite `Trainee{name}` model once compiled."
    assert error.first.file == error.again.file == str((package / "models.py").resolve())
    assert error.first.module == error.again.module == f"{package.name}.models"
    assert error.trigger is Trigger.RELOAD
    assert f"re-executed under the same name '{package.name}.models'" in error.diagnosis
    assert any("strict.overwriting()" in note for note in error.__notes__)
    assert get_document(f"Trainee{name}") is first


def test_the_same_file_under_a_second_module_name_raises_with_both_names(package, name):
    strict.enable()
    import_models(package)
    sys.path.insert(0, str(package))  # the package folder itself, next to its parent
    try:
        with pytest.raises(OverwriteModelError) as raised:
            importlib.import_module("models")
    finally:
        sys.path.remove(str(package))
    error = raised.value
    assert (error.first.module, error.again.module) == (f"{package.name}.models", "models")
    assert error.trigger is Trigger.TWO_SYS_PATH_ENTRIES
    folder = package.resolve()
    assert f"{folder.parent} gives it the name '{package.name}.models'" in error.diagnosis
    assert f"{folder} gives it the name 'models'" in error.diagnosis
    run = double_run_in(error.__notes__)  # the notes read back, as from a DLQ header
    assert run is not None and run.file == error.first.file
    assert run.trigger == Trigger.TWO_SYS_PATH_ENTRIES and run.cause in error.diagnosis


def test_a_load_by_file_path_raises(package, name):
    strict.enable()
    import_models(package)
    with pytest.raises(OverwriteModelError, match=f"`Trainee{name}`") as raised:
        execute_file(package / "models.py", "copy_of_models")
    assert raised.value.again.module == "copy_of_models"
    assert raised.value.trigger is Trigger.LOAD_BY_PATH
    assert "loaded by file path as 'copy_of_models'" in raised.value.diagnosis


def test_a_module_run_as_main_and_imported_by_name_raises(package, name):
    (package / "app.py").write_text(
        textwrap.dedent(
            f"""
            from mongoengine import Document, fields

            class Order{name}(Document):
                total = fields.IntField()

            if __name__ == "__main__":
                import {package.name}.app  # what uvicorn.run("pkg.app:app") does
            """
        )
    )
    strict.enable()
    with pytest.raises(OverwriteModelError) as raised:
        # what `python -m pkg.app` does, in this process
        runpy.run_module(f"{package.name}.app", run_name="__main__", alter_sys=True)
    assert (raised.value.first.module, raised.value.again.module) == (
        "__main__",
        f"{package.name}.app",
    )
    assert raised.value.trigger is Trigger.MAIN
    assert f"imported by its name '{package.name}.app'" in raised.value.diagnosis


def test_abstract_bases_and_inheriting_subclasses_are_not_redefinitions(package, name):
    strict.enable()
    models = import_models(package)
    assert models.__dict__[f"Senior{name}"]._class_name == f"Trainee{name}.Senior{name}"
    (package / "models.py").write_text(
        textwrap.dedent(
            f"""
            from mongoengine import Document

            class Base{name}(Document):
                meta = {{"abstract": True}}
            """
        )
    )
    importlib.reload(models)  # only the abstract base runs again: nothing to refuse


def test_a_model_defined_before_strict_mode_is_still_recognised(package, name):
    models = import_models(package)
    strict.enable()
    with pytest.raises(OverwriteModelError) as raised:
        importlib.reload(models)
    assert raised.value.first.line == raised.value.again.line == 7


def test_overwriting_lets_a_deliberate_redefinition_through(package, name):
    strict.enable()
    models = import_models(package)
    first = get_document(f"Trainee{name}")
    with strict.overwriting():
        importlib.reload(models)
    assert get_document(f"Trainee{name}") is not first
    with pytest.raises(OverwriteModelError):
        importlib.reload(models)  # the escape ended with the block


def test_warn_mode_warns_with_the_diagnosis_and_lets_the_second_class_win(package, name):
    strict.enable(action="warn")
    models = import_models(package)
    first = get_document(f"Trainee{name}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        importlib.reload(models)
    # Trainee, then its subclass: each class statement that ran again is reported
    assert [w.category for w in caught] == [strict.RedefinedDocumentWarning] * 2
    assert issubclass(strict.RedefinedDocumentWarning, RuntimeWarning)
    warning = caught[0]
    assert str(warning.message).startswith(f"Cannot overwrite `Trainee{name}` model")
    assert warning.filename == str((package / "models.py").resolve())
    assert "ran twice (reload)" in str(warning.message)
    assert isinstance(warning.message, strict.RedefinedDocumentWarning)
    assert isinstance(warning.message.error, OverwriteModelError)
    assert get_document(f"Trainee{name}") is not first


def test_warn_mode_under_w_error_fails_and_keeps_the_first_class(package, name):
    strict.enable(action="warn")
    models = import_models(package)
    first = get_document(f"Trainee{name}")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # what `-W error` does in CI
        with pytest.raises(strict.RedefinedDocumentWarning):
            importlib.reload(models)
    assert get_document(f"Trainee{name}") is first


def test_classes_built_in_a_function_and_registry_overwrites_are_not_judged(name, package):
    strict.enable()

    def build():
        return type(name, (Document,), {"email": fields.StringField()})

    first, second = build(), build()
    assert get_document(name) is second is not first
    own = ModelRegistry()
    schema = Schema({"email": fields.StringField()})
    own.model(f"{name}R", schema)
    own.model(f"{name}R", schema, overwrite=True)  # the registry's own escape still works
    own.reset()


def test_two_files_defining_one_class_name_are_left_to_mongoengine(package, name):
    strict.enable()
    import_models(package)
    (package / "other.py").write_text(MODELS.format(n=name))
    importlib.import_module(f"{package.name}.other")  # another file: not a second run
    assert get_document(f"Trainee{name}").__module__ == f"{package.name}.other"


def test_enabled_restores_what_was_in_force_and_disable_restores_mongoengine():
    original = DocumentMetaclass.__dict__["__new__"]
    with strict.enabled():
        assert strict.action() == "error"
        with strict.enabled(action="warn"):
            assert strict.action() == "warn"
        assert strict.action() == "error"
    assert strict.action() is None
    assert DocumentMetaclass.__dict__["__new__"] is original


def test_an_unknown_action_is_refused_and_changes_nothing():
    with pytest.raises(ValueError, match="'error', 'warn'"):
        strict.enable(action="raise")
    assert strict.action() is None


WRAPPED = """
from mongoengine import Document, fields
from mongoengine.base.metaclasses import TopLevelDocumentMetaclass


class Tracked(TopLevelDocumentMetaclass):
    # A project's own metaclass: its __new__ runs between the class statement and mongoengine's.
    def __new__(mcs, name, bases, attrs):
        return mcs.build(name, bases, attrs)

    @classmethod
    def build(mcs, name, bases, attrs):
        return super().__new__(mcs, name, bases, attrs)


class ProjectDocument(Document, metaclass=Tracked):
    meta = {{"abstract": True}}


class Invoice{n}(ProjectDocument):
    total = fields.IntField()
"""


def test_a_reload_is_refused_through_a_metaclass_that_wraps_mongoengines(package, name):
    (package / "wrapped.py").write_text(WRAPPED.format(n=name))
    strict.enable()
    wrapped = importlib.import_module(f"{package.name}.wrapped")
    first = get_document(f"Invoice{name}")
    assert type(first).__name__ == "Tracked"
    with pytest.raises(OverwriteModelError) as raised:
        importlib.reload(wrapped)
    assert raised.value.again.file == str((package / "wrapped.py").resolve())
    assert (
        raised.value.again.line
        == WRAPPED.format(n=name).splitlines().index(f"class Invoice{name}(ProjectDocument):") + 1
    )
    assert get_document(f"Invoice{name}") is first


def test_across_files_refuses_a_name_another_file_registered_naming_both(package, name):
    strict.enable(across_files=True)
    import_models(package)
    first = get_document(f"Trainee{name}")
    (package / "other.py").write_text(MODELS.format(n=name))
    with pytest.raises(OverwriteModelError) as raised:
        importlib.import_module(f"{package.name}.other")
    error = raised.value
    files = (str((package / "models.py").resolve()), str((package / "other.py").resolve()))
    assert (error.first.file, error.again.file) == files
    assert any(f"Two files define a document named 'Trainee{name}'" in n for n in error.__notes__)
    assert all(file in "\n".join(error.__notes__) for file in files)
    # one diagnosis, mongoengine's: the registry's guard is no fix for a document
    assert error.diagnosis.startswith(f"Two files define a document named 'Trainee{name}'")
    assert not any("the guard" in note for note in error.__notes__)
    # the first class stays; the abstract base and the inheriting subclass were not judged
    assert get_document(f"Trainee{name}") is first


def test_across_files_in_warn_mode_warns_naming_both_files(package, name):
    strict.enable(action="warn", across_files=True)
    import_models(package)
    (package / "other.py").write_text(MODELS.format(n=name))
    with pytest.warns(strict.RedefinedDocumentWarning) as caught:
        importlib.import_module(f"{package.name}.other")
    assert len(caught) == 1
    text = str(caught[0].message)
    assert str(package / "models.py") in text and str(package / "other.py") in text
    assert get_document(f"Trainee{name}").__module__ == f"{package.name}.other"


def test_across_files_leaves_functions_overwriting_and_other_names_alone(package, name):
    strict.enable(across_files=True)
    import_models(package)
    (package / "other.py").write_text(MODELS.format(n=name))
    with strict.overwriting():
        importlib.import_module(f"{package.name}.other")

    def build():  # a throwaway test document of a name a file registered
        class Helper(Document):
            meta = {"collection": "helpers"}

        return Helper

    (package / "helpers.py").write_text(
        "from mongoengine import Document\n\nclass Helper(Document):\n    pass\n"
    )
    build()
    importlib.import_module(f"{package.name}.helpers")  # the function's class is not a site
    with strict.enabled(across_files=False):
        (package / "third.py").write_text(MODELS.format(n=name))
        importlib.import_module(f"{package.name}.third")
    assert get_document(f"Trainee{name}").__module__ == f"{package.name}.third"
