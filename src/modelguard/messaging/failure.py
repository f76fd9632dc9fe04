"""How a failure is written into a record's headers, and read back from them.

- the message is the exception's own line as a traceback prints it
  (``module.Class: text``), without its notes, so that records failing the same way
  carry the same message and a DLQ can be counted by message;
- the notes (PEP 678 ``add_note``) travel in a header of their own, as a JSON list of
  strings, so that what an error knows about itself (the model registry's diagnosis of
  a file that ran twice) survives the trip through Kafka and reads back as written;
- sizes are bounded, since a broker limits a record's size: a message keeps its first
  2,000 bytes, and at most 10 notes of 1,000 characters each are kept;
- whose fault a failure is (`fault_of`), the one classification a replay goes by: an
  error that subclasses `PayloadFault` says the record's payload itself is wrong (it is
  malformed, or names a course that does not exist), so no deploy and no wait can cure
  it; every other error is the code's or the environment's (`OverwriteModelError`
  before the fix, a database timeout), which a deploy or time can cure.
"""

from __future__ import annotations

import json
import traceback

MESSAGE_BYTES = 2000
MAX_NOTES = 10
NOTE_CHARS = 1000

# The values of a dead letter's fault header (`Headers.FAULT`).
PAYLOAD = "payload"
CODE_OR_ENVIRONMENT = "code-or-environment"


class PayloadFault(Exception):
    """Mixed into an error whose cause is the record's payload itself: replaying the
    record can only fail the same way, whatever is deployed."""


def fault_of(error: BaseException) -> str:
    """`PAYLOAD` when the record's payload is the fault, else `CODE_OR_ENVIRONMENT`."""
    return PAYLOAD if isinstance(error, PayloadFault) else CODE_OR_ENVIRONMENT


def error_message(error: BaseException) -> bytes:
    """The exception's line, without its notes, as header bytes."""
    lines = traceback.format_exception_only(error)
    # Since Python 3.11 the notes are printed after the exception's line, one line per
    # line of each note; they go to their own header instead.
    note_lines = [f"{line}\n" for note in notes_of(error) for line in note.split("\n")]
    if note_lines and lines[-len(note_lines) :] == note_lines:
        lines = lines[: -len(note_lines)]
    return "".join(lines).strip().encode("utf-8", "replace")[:MESSAGE_BYTES]


def error_notes(error: BaseException) -> bytes:
    """The exception's notes as header bytes: a JSON list, ``[]`` when it has none."""
    notes = [note[:NOTE_CHARS] for note in notes_of(error)[:MAX_NOTES]]
    return json.dumps(notes).encode()


def read_notes(raw: bytes | None) -> list[str]:
    """The notes a header carries; [] when it is missing or not a JSON list of strings
    (a header someone else wrote may be anything)."""
    if not raw:
        return []
    try:
        notes = json.loads(raw)
    except ValueError:
        return []
    if not isinstance(notes, list):
        return []
    return [note for note in notes if isinstance(note, str)]


def notes_of(error: BaseException) -> list[str]:
    notes = getattr(error, "__notes__", None)
    if not isinstance(notes, list | tuple):
        return []
    return [str(note) for note in notes]
