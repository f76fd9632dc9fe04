"""Strict mode on real django-mongoengine, whose `Document` has a metaclass wrapping mongoengine's.

django-mongoengine 0.5.6 (with Django 4.2, both pinned) is installed by pip, once, into
~/.cache/modelguard/django-mongoengine-0.5.6; a subprocess sets Django up with the
project's mongoengine, imports `mongo_auth/models.py` under strict mode, and runs that
file a second time by path. The test skips only when pip cannot reach an index.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_strict_versions import OFFLINE, run_checks

CACHE = Path.home() / ".cache" / "modelguard"
RELEASE = "0.5.6"
PINS = ("Django==4.2.17", "asgiref==3.8.1", "sqlparse==0.5.3")

CHECKS = textwrap.dedent(
    """
    import runpy
    import django
    from django.conf import settings
    from mongoengine.base.common import get_document
    from modelguard import OverwriteModelError, strict
    from modelguard.registry.errors import Trigger

    settings.configure(
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth",
                        "django_mongoengine", "django_mongoengine.mongo_auth"],
        # registered, never connected: nothing listens on port 9
        MONGODB_DATABASES={"default": {"name": "gate", "host": "mongodb://127.0.0.1:9/gate",
                                       "connect": False}},
        SECRET_KEY="strict-mode-check",
    )
    strict.enable()
    django.setup()
    import django_mongoengine.mongo_auth.models as models

    assert type(models.User).__module__ == "django_mongoengine.document", type(models.User)
    first = get_document("User")
    try:
        runpy.run_path(models.__file__, run_name="django_mongoengine.mongo_auth.models_again")
    except OverwriteModelError as error:
        assert error.first.file == error.again.file == models.__file__, error.__notes__
        assert error.trigger is Trigger.LOAD_BY_PATH, error.diagnosis
        print("refused:", error, error.again)
    else:
        raise AssertionError("a second run of mongo_auth/models.py was not refused")
    assert get_document("User") is first
    """
)


def install() -> Path:
    target = CACHE / f"django-mongoengine-{RELEASE}"
    if (target / f"django_mongoengine-{RELEASE}.dist-info").is_dir():
        return target
    # django-mongoengine ships only an sdist whose setup.py imports pkg_resources,
    # which setuptools 70 and later no longer provide to a build.
    constraint = CACHE / "build-setuptools-below-70.txt"
    CACHE.mkdir(parents=True, exist_ok=True)
    constraint.write_text("setuptools<70\n")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target)]
        + [f"django-mongoengine=={RELEASE}", *PINS],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PIP_CONSTRAINT": str(constraint)},
    )
    if done.returncode != 0:
        if any(marker in done.stderr + done.stdout for marker in OFFLINE):
            pytest.skip(f"offline: pip could not fetch django-mongoengine {RELEASE}")
        pytest.fail(f"pip install django-mongoengine=={RELEASE} failed:\n{done.stderr}")
    return target


def test_strict_mode_refuses_a_second_run_of_django_mongoengines_auth_models():
    target = install()
    done = run_checks(target, CHECKS)
    assert done.returncode == 0, done.stderr
    assert "refused: Cannot overwrite `" in done.stdout
