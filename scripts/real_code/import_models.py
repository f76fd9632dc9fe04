"""Run in a project's own environment: strict mode on, import every module of the
project, then run one of its model files a second time.

    python import_models.py TREE PACKAGE MODEL_FILE [--django] [--across-files]

Prints one JSON object: the modules imported, those that did not import for
another reason than strict mode (with the first line of why), every
OverwriteModelError raised while importing (each a false alarm), the documents
registered, and what the second run of MODEL_FILE raised (the true positive:
an OverwriteModelError naming that file).
"""

from __future__ import annotations

import importlib
import json
import os
import runpy
import sys
import warnings
from pathlib import Path

from mongoengine.base.common import _document_registry

from modelguard import OverwriteModelError, strict


def modules(tree: Path, package: str) -> list[str]:
    found = []
    for file in sorted((tree / package).rglob("*.py")):
        parts = list(file.relative_to(tree).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found.append(".".join(parts))
    return found


def configure_django() -> None:
    import django
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django.contrib.sessions",
            "django_mongoengine",
            "django_mongoengine.mongo_auth",
            "django_mongoengine.mongo_admin",
        ],
        # registered, never connected: nothing listens on port 9
        MONGODB_DATABASES={
            "default": {"name": "gate", "host": "mongodb://127.0.0.1:9/gate", "connect": False}
        },
        SECRET_KEY="real-code-gate",
    )
    django.setup()


def main() -> None:
    tree, package, model_file = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    sys.path.insert(0, str(tree))
    warnings.simplefilter("ignore")
    strict.enable(across_files="--across-files" in sys.argv)
    if "--django" in sys.argv:
        configure_django()
    imported, failed, raised = [], {}, []
    for name in modules(tree, package):
        try:
            importlib.import_module(name)
        except OverwriteModelError as error:
            raised.append(f"{name}: {error} {getattr(error, '__notes__', [])}")
        except BaseException as error:  # noqa: BLE001 - any other failure is not strict mode's
            first_line = (str(error).splitlines() or [""])[0]
            failed[name] = f"{type(error).__name__}: {first_line}"
        else:
            imported.append(name)
    documents = len(_document_registry)
    module = ".".join(model_file.relative_to(tree).with_suffix("").parts)
    again = None
    try:
        runpy.run_path(str(model_file), run_name=f"{module}_again")
    except OverwriteModelError as error:
        again = {
            "message": str(error),
            "first": str(error.first),
            "again": str(error.again),
            "names_the_file": error.again.file == os.path.realpath(model_file),
        }
    except BaseException as error:  # noqa: BLE001
        again = {"other": f"{type(error).__name__}: {error}"}
    print(
        json.dumps(
            {
                "imported": imported,
                "failed": failed,
                "raised": raised,
                "documents": documents,
                "second_run": again,
            }
        )
    )


if __name__ == "__main__":
    main()
