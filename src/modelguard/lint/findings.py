"""What a finding is, the rules' codes, which of them a default run reports, and
how a ``# noqa`` comment excuses one.

A default run reports what runs module code again on a call or retry path, and
the model-code mistakes; MG006 and MG007 describe code that runs nothing again
per event, so they are opt-in (``--select MG006,MG007`` or ``--select ALL``).

``# noqa: MG001`` (or ``# noqa: MG001,MG002``; a reason may follow) on the line
a finding is reported on suppresses those codes only. A bare ``# noqa``
suppresses nothing, so every exception names what it excuses; the text after
the codes is kept as the reason, so a report can show what was excused and why.
``MG002`` also excuses ``MG007``: both are the same load, judged by who calls it;
``MG003`` likewise excuses ``MG008``, the same document class.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

RULES = {
    "MG000": "path missing, or file cannot be read or parsed",
    "MG001": "model registered at import time without the guard",
    "MG002": "module code run again on a call or retry path (reload, load by path, runpy, exec)",
    "MG003": "mongoengine document defined inside a function on a call or retry path",
    "MG004": "guard checks one name and registers another",
    "MG005": "call on a call or retry path to a helper that runs module code again",
    "MG006": "(opt-in) cached dynamic import inside a function: hidden dependency",
    "MG007": "(opt-in) module code run again in a function no call or retry path reaches",
    "MG008": "(opt-in) mongoengine document defined in a function no call or retry path reaches",
}
OPT_IN = frozenset({"MG006", "MG007", "MG008"})
DEFAULT = frozenset(RULES) - OPT_IN
# A noqa for the first code excuses the second too: one load, judged by its callers.
EXCUSED_ALSO = {"MG007": "MG002", "MG008": "MG003"}

_NOQA = re.compile(r"#\s*noqa\s*:\s*([A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*)", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    col: int  # 1-based, in characters, like ruff and flake8
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.code} {self.message}"


@dataclass(frozen=True, order=True)
class Suppressed:
    """A finding a ``# noqa`` comment excused, with the reason written after the codes."""

    finding: Finding
    reason: str

    def __str__(self) -> str:
        f = self.finding
        reason = self.reason or "(no reason given)"
        return f"suppressed: {f.path}:{f.line}:{f.col}: {f.code} -- {reason}"


def suppressions(source: str) -> dict[int, dict[str, str]]:
    """Line -> {code: reason} for every ``# noqa: CODE`` comment in the source."""
    codes: dict[int, dict[str, str]] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT and (match := _NOQA.search(token.string)):
                reason = token.string[match.end() :].strip().lstrip("-:—– ").strip()
                for code in re.split(r"[\s,]+", match.group(1).upper()):
                    codes.setdefault(token.start[0], {})[code] = reason
    except (tokenize.TokenError, SyntaxError):
        pass  # ast accepted the file; a tokenizer quirk only costs the suppressions
    return codes
