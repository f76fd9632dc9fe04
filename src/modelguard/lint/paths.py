"""Which functions are on a call or retry path: the rule MG002 and MG005 judge by.

A load that runs module code again is the incident only where it runs again
for every unit of work: each event, message, request or retry. A function is
on a *call or retry path* when one of these holds, and the lint checks nothing
else:

1. **It takes a unit of work.** One of its parameters (``self``/``cls`` aside)
   is named in ``WORK_PARAMETERS`` (``event``, ``evt``, ``message``, ``msg``,
   ``record``, ``payload``, ``delivery``, ``batch``, ``request``, ``attempt``
   and their plurals), or is annotated with a class whose name ends in
   ``Event``, ``Message``, ``Record`` or ``Request``.
2. **It is retried, or run per message.** A decorator's name contains
   ``retry`` (tenacity's ``@retry``, ``@fresh_service_on_retry``), or is
   backoff's ``on_exception`` or ``on_predicate``; or the decorator registers a
   task queue's task: its last name is ``task``, ``shared_task``,
   ``periodic_task`` or ``actor`` (``@app.task``, dramatiq's ``@actor``).
3. **It is reached from one.** A function on a path calls it, and the lint can
   tell what is called: a function of the same module or one imported by name,
   ``self.method()`` and ``cls.method()`` in the same class, ``Class.method()``
   and ``Class().method()`` on a class it can name, ``self.attr.method()``
   where the class only ever sets ``self.attr = Class(...)``, and ``Class()``
   itself (it runs ``Class.__init__``). A function defined inside a function on
   a path is on it too. A call a start-up function makes and keeps the result
   of (the initialize-once fix) does not extend a path. A method called on an
   object of unknown type (``build.load()``, ``super().handle()``) is not
   followed: a guess by method name is not a call the lint can tell.

Everything else (a management command's ``handle(**options)``, a loader's
``load_disk()``, a test plugin's bootstrap) runs when its caller decides,
typically once; a load there is reported only under the opt-in MG007.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterable, Mapping

from modelguard.lint.names import dotted

WORK_PARAMETERS = frozenset(
    {
        "event",
        "events",
        "evt",
        "message",
        "messages",
        "msg",
        "msgs",
        "record",
        "records",
        "payload",
        "delivery",
        "batch",
        "request",
        "attempt",
    }
)
_WORK_TYPES = ("Event", "Message", "Record", "Request")
_RETRY_DECORATORS = {"backoff.on_exception", "backoff.on_predicate"}
# A task queue runs a function registered under one of these once per message.
_TASK_DECORATORS = {"task", "shared_task", "periodic_task", "actor"}

Function = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda


def entry_reason(node: Function, is_method: bool, imported: dict[str, str]) -> str | None:
    """Why this function starts a call or retry path (rules 1 and 2), or None."""
    for decorator in getattr(node, "decorator_list", []):
        called = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = dotted(called, imported)
        if name in _RETRY_DECORATORS or "retry" in name.rsplit(".", 1)[-1].lower():
            return f"a retry path: decorated with @{name}"
        if name.rsplit(".", 1)[-1] in _TASK_DECORATORS:
            return f"a task: decorated with @{name}, it runs once per message"
    params = [*node.args.posonlyargs, *node.args.args]
    static = any(
        isinstance(d, ast.Name) and d.id == "staticmethod"
        for d in getattr(node, "decorator_list", [])
    )
    if is_method and params and not static:
        params = params[1:]  # self or cls
    for param in [*params, *node.args.kwonlyargs]:
        if param.arg in WORK_PARAMETERS:
            return f"a handler: it takes `{param.arg}`"
        annotation = param.annotation
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            shown = annotation.value.rsplit(".", 1)[-1].strip("'\" ")
        elif isinstance(annotation, ast.Name | ast.Attribute):
            shown = ast.unparse(annotation).rsplit(".", 1)[-1]
        else:
            continue
        if shown.endswith(_WORK_TYPES):
            return f"a handler: it takes a {shown}"
    return None


def reached(
    entries: Mapping[str, str], edges: Mapping[str, Iterable[str]]
) -> dict[str, tuple[str, str]]:
    """Function -> (the entry its path starts from, that entry's reason), rule 3.

    `entries` maps each entry to its reason; `edges` maps a function to what
    it calls (and defines). Breadth first, so each function names the entry
    nearest to it.
    """
    found = {name: (name, why) for name, why in entries.items()}
    queue = deque(entries)
    while queue:
        current = queue.popleft()
        for callee in edges.get(current, ()):
            if callee not in found:
                found[callee] = found[current]
                queue.append(callee)
    return found
