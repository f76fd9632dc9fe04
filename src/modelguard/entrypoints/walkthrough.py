"""A printed tour of the registry: the rules the incident turned on, run for real.

Each step calls the registry and prints what came back or what was raised,
so the output is evidence, not prose. `python -m modelguard walkthrough`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import modelguard
from modelguard.academy.workers.before_fix import strip_guard
from modelguard.registry.errors import readable, wrap
from modelguard.registry.loading import execute_file


def steps() -> Iterator[tuple[str, Callable[[], object]]]:
    import modelguard.academy.models as academy
    from modelguard.academy.models.chat_service.message import ChatMessageSchema
    from modelguard.academy.models.shared import user

    yield (
        "import modelguard.academy.models registers the platform",
        lambda: f"{len(modelguard.models)} models: {', '.join(sorted(modelguard.models))}",
    )
    yield ('model("User") looks a compiled model up', lambda: modelguard.model("User"))
    yield ('model("Ghost") has no schema', lambda: modelguard.model("Ghost"))
    yield (
        "user.py run again by path, with the guard",
        lambda: (
            "same class: "
            + str(execute_file(user.__file__, "admin_build_user").User is academy.User)
            + f"; compilations of User: {modelguard.registry.compilations['User']}"
        ),
    )
    yield (
        "user.py run again by path, with the guard removed (before the fix)",
        lambda: execute_file(user.__file__, "admin_build_user_v0", transform=strip_guard),
    )
    yield (
        'define("Message", <chat service schema>) refuses the stale schema the guard would hide',
        lambda: modelguard.define("Message", ChatMessageSchema),
    )


def run(echo: Callable[[str], None] = print) -> int:
    """Run every step and print its outcome; returns how many steps raised."""
    raised = 0
    for number, (title, step) in enumerate(steps(), start=1):
        echo(f"{number}. {title}")
        try:
            echo(wrap(f"   -> {step()}", hang="      "))  # the platform's 16 names fill a line
        except modelguard.ModelRegistryError as error:
            raised += 1
            # The message, then each note, wrapped and indented under the step.
            echo("   !! " + readable(error, indent="      ").removeprefix("      "))
    return raised
