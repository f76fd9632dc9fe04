"""The double-import plugin, run on throwaway projects in a subprocess (pytester)."""

from __future__ import annotations

import textwrap

import pytest

pytest_plugins = ["pytester"]

PACKAGE = {
    "shop/__init__.py": "",
    "shop/models.py": "from mongoengine import Document\n\nclass Cart(Document):\n    pass\n",
}


@pytest.fixture
def project(pytester, monkeypatch):
    # Each run loads only the plugins it names: the ones this environment installs
    # (hypothesis, anyio, xdist) would add more than a second to every start.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    for path, text in PACKAGE.items():
        target = pytester.path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    pytester.syspathinsert()  # the project root, as a src-less layout has it
    return pytester


def run(pytester, test_source, *args):
    pytester.makepyfile(test_it=textwrap.dedent(test_source))
    return pytester.runpytest_subprocess("-p", "modelguard.pytest_plugin", *args)


def test_a_file_imported_under_two_names_fails_the_session_naming_both(project):
    result = run(
        project,
        """
        import sys

        def test_imports_the_package_and_its_folder(monkeypatch):
            import shop.models
            monkeypatch.syspath_prepend("shop")  # the package folder, next to its parent
            import models
            assert models.Cart is not shop.models.Cart
        """,
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*modelguard: project files imported under two names*",
            "shop/models.py was imported under 2 module names: 'models', 'shop.models'*",
            "*1 passed*",
        ]
    )


def test_a_copy_that_a_test_removes_from_sys_modules_is_still_seen(project):
    result = run(
        project,
        """
        import importlib.util, sys

        def test_loads_a_copy_by_path_then_tidies_up():
            import shop.models
            spec = importlib.util.spec_from_file_location("copy_of_models", "shop/models.py")
            module = importlib.util.module_from_spec(spec)
            sys.modules["copy_of_models"] = module  # as pytest's importlib mode does
            spec.loader.exec_module(module)

        def test_after_it():
            del __import__("sys").modules["copy_of_models"]
        """,
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["shop/models.py*'copy_of_models', 'shop.models'*"])


def test_one_name_per_file_a_reload_and_an_alias_pass(project):
    result = run(
        project,
        """
        import importlib, sys

        def test_reload_and_alias():
            import shop.models
            importlib.reload(shop.models)  # same name again: strict mode's business
            sys.modules["shop.legacy_models"] = shop.models  # one object, two names
        """,
    )
    assert result.ret == pytest.ExitCode.OK
    assert "imported under" not in result.stdout.str()


def test_files_outside_the_project_root_are_not_judged(project, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere")
    (outside / "helper.py").write_text("VALUE = 1\n")
    result = run(
        project,
        f"""
        import importlib.util, sys

        def test_loads_an_outside_file_twice():
            for name in ("helper", "helper_again"):
                spec = importlib.util.spec_from_file_location(name, {str(outside / "helper.py")!r})
                module = importlib.util.module_from_spec(spec)
                sys.modules[name] = module
                spec.loader.exec_module(module)
        """,
    )
    assert result.ret == pytest.ExitCode.OK


def test_a_failing_suite_keeps_its_own_failure_and_still_gets_the_report(project):
    result = run(
        project,
        """
        def test_fails(monkeypatch):
            import shop.models
            monkeypatch.syspath_prepend("shop")
            import models
            assert False
        """,
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["shop/models.py was imported under 2 module names*", "*1 failed*"])


def test_without_the_plugin_the_same_suite_passes(project):
    project.makepyfile(
        test_it="""
        def test_imports_twice(monkeypatch):
            import shop.models
            monkeypatch.syspath_prepend("shop")
            import models
        """
    )
    assert project.runpytest_subprocess().ret == pytest.ExitCode.OK


def test_xdist_workers_report_to_the_controller(project):
    pytest.importorskip("xdist")
    result = run(
        project,
        """
        def test_imports_twice(monkeypatch):
            import shop.models
            monkeypatch.syspath_prepend("shop")
            import models
        """,
        "-p",
        "xdist",
        "-n",
        "1",
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["shop/models.py was imported under 2 module names*"])


def test_a_file_listed_in_the_ignore_option_is_not_judged(project):
    project.makeini("[pytest]\nmodelguard_double_imports_ignore =\n    shop/mod*.py\n")
    result = run(
        project,
        """
        def test_imports_twice(monkeypatch):
            import shop.models
            monkeypatch.syspath_prepend("shop")
            import models
        """,
    )
    assert result.ret == pytest.ExitCode.OK
