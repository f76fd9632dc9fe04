"""Counts this process's connections to the services' ports when the tests ask for it.

Python imports `sitecustomize` at start-up from the first folder on sys.path that has
one; the tests put this folder on PYTHONPATH for the processes they start (command-line
runs, notebook kernels), with MODELGUARD_AUDIT_LOG naming where to count.
"""

from __future__ import annotations

import os
import sys

if os.environ.get("MODELGUARD_AUDIT_LOG"):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    try:
        from connections import install_from_environment
    finally:
        del sys.path[0]
    install_from_environment()
