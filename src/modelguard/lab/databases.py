"""Where a lab run keeps its data.

- `clean_database`: the embedded runs share one database (mongomock, or the server
  MONGODB_URI names), emptied at the start of each run;
- `fresh_database`: a run whose workers are separate processes gets a database of
  its own on the real server, so that runs never see each other's data; the run
  leaves it, as it leaves its topics, tagged with its run id.

It names the databases; `bootstrap.open_database` opens them.
"""

from __future__ import annotations

from typing import Any

from modelguard import config
from modelguard.bootstrap import open_database

DATABASE = "modelguard_scenarios"


def clean_database() -> Any:
    """mongoengine connected to an empty DATABASE; returns its handle."""
    return open_database(name=DATABASE, empty=True)


def fresh_database(uri: str, name: str) -> Any:
    """mongoengine connected to an empty database `name` on the server of `uri`."""
    return open_database(uri, name, empty=True)


run_database_name = config.run_database_name  # kept here too, where the runs look for it
