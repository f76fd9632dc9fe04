"""Strict mode on other mongoengine releases than the installed one.

Each pinned release (with a PyMongo it imports with) is installed by pip, once,
into ~/.cache/modelguard/, and a subprocess runs the strict-mode checks with it
first on the path. The test skips only when pip cannot reach an index.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
CACHE = Path.home() / ".cache" / "modelguard"
# mongoengine release -> a PyMongo release it imports with (0.27 and 0.28 predate PyMongo 4.9)
RELEASES = {"0.27.0": "4.6.3", "0.28.2": "4.6.3"}
OFFLINE = (
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "No matching distribution found",
)

CHECKS = textwrap.dedent(
    """
    import importlib, sys, tempfile, textwrap, warnings
    from pathlib import Path
    import mongoengine
    from mongoengine.base.common import get_document
    from modelguard import OverwriteModelError, strict

    assert mongoengine.__version__ == sys.argv[1], mongoengine.__file__
    root = Path(tempfile.mkdtemp())
    (root / "shop").mkdir()
    (root / "shop" / "__init__.py").write_text("")
    (root / "shop" / "models.py").write_text(textwrap.dedent('''
        from mongoengine import Document, fields
        class Base(Document):
            meta = {"abstract": True}
        class Cart(Base):
            total = fields.IntField()
            meta = {"allow_inheritance": True}
        class GiftCart(Cart):
            pass
    '''))
    sys.path.insert(0, str(root))
    strict.enable()
    import shop.models
    first = get_document("Cart")
    try:
        importlib.reload(shop.models)
    except OverwriteModelError as error:
        assert error.first.module == error.again.module == "shop.models", error.__notes__
        assert "ran twice (reload)" in error.diagnosis
    else:
        raise AssertionError("reload was not refused")
    assert get_document("Cart") is first
    sys.path.insert(0, str(root / "shop"))
    try:
        import models
    except OverwriteModelError as error:
        assert (error.first.module, error.again.module) == ("shop.models", "models")
    else:
        raise AssertionError("the second module name was not refused")
    with strict.overwriting():
        importlib.reload(shop.models)
    assert get_document("Cart") is not first
    strict.enable(action="warn")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        importlib.reload(shop.models)
    assert [w.category.__name__ for w in caught] == ["RedefinedDocumentWarning"] * 2
    strict.disable()
    print("strict mode ok on mongoengine", mongoengine.__version__)
    """
)


def install(release: str, pymongo: str) -> Path:
    target = CACHE / f"mongoengine-{release}"
    if (target / f"mongoengine-{release}.dist-info").is_dir():
        return target
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target)]
        + [f"mongoengine=={release}", f"pymongo=={pymongo}", "dnspython"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        if any(marker in done.stderr + done.stdout for marker in OFFLINE):
            pytest.skip(f"offline: pip could not fetch mongoengine {release}")
        pytest.fail(f"pip install mongoengine=={release} failed:\n{done.stderr}")
    return target


def run_checks(target: Path, checks: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a check script in a fresh interpreter that sees `target` and this project's src."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), str(SRC)])}
    return subprocess.run(
        [sys.executable, "-c", checks, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=CACHE,
    )


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_strict_mode_works_on_a_pinned_mongoengine_release(release):
    target = install(release, RELEASES[release])
    done = run_checks(target, CHECKS, release)
    assert done.returncode == 0, done.stderr
    assert f"strict mode ok on mongoengine {release}" in done.stdout
