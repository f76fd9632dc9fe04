"""Where a document class statement runs: a module's top level, or a place strict mode
leaves alone.

mongoengine's metaclass is not always called straight from the class
statement. django-mongoengine's `Document`, and a project's own base, have a
metaclass whose `__new__` runs first and reaches mongoengine's through
`super()`, so any number of metaclass frames (in any file) can stand between
the class statement and the registration. This module therefore does not count
frames. It decides from the class's namespace and the frames above:

- a class statement at a module's top level has a plain ``__qualname__`` (no
  dot, so no enclosing function's ``<locals>`` and no enclosing class), and
  its body's ``__module__`` names the module it runs in;
- that module's ``<module>`` frame is the nearest one above the metaclass
  frames whose globals are that module's, and its current line is the class
  statement.

A namespace without ``__qualname__`` was built by code calling ``type()``
itself (`ModelRegistry` does), and a string run by ``exec`` has no file: for
both, there is no class statement in a file to speak of, so no site.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from types import FrameType
from typing import Any

from modelguard.registry.errors import CompileSite

# Python's own import machinery and a deep metaclass chain stay well under this.
_MAX_FRAMES = 200


def class_statement_site(attrs: Mapping[str, Any], depth: int = 1) -> CompileSite | None:
    """Where the class statement whose namespace is `attrs` runs, if at a module's top level.

    `depth` is how many frames above this function's caller the search starts.
    """
    qualname, module = attrs.get("__qualname__"), attrs.get("__module__")
    if not isinstance(qualname, str) or not isinstance(module, str) or "." in qualname:
        return None
    frame: FrameType | None = sys._getframe(depth + 1)
    for _ in range(_MAX_FRAMES):
        if frame is None:
            return None
        if frame.f_code.co_name == "<module>" and frame.f_globals.get("__name__") == module:
            return _site(frame, module)
        frame = frame.f_back
    return None


def _site(frame: FrameType, module: str) -> CompileSite | None:
    file = frame.f_code.co_filename
    if file.startswith("<"):  # exec of a string: no file to speak of
        return None
    return CompileSite(module, os.path.realpath(file), frame.f_lineno)
