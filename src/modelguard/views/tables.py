"""Plain-text tables of scenario results, for the terminal and `make demo`."""

from __future__ import annotations

from modelguard.messaging.outcome import Outcome

COLUMNS = (
    ("scenario", 18), ("events", 6), ("ok", 5), ("dlq", 5), ("attempts", 8),
    ("dup", 4), ("loads", 6), ("compiles User", 13), ("errors", 0),
)  # fmt: skip


def scenario_table(result: dict) -> str:
    """One variant's four scenarios, one row each."""
    header = f"variant {result['variant']} on {result['broker']} (policy {result['policy']})"
    lines = [header, _row([name for name, _ in COLUMNS]), _row(["-" * w for _, w in COLUMNS])]
    for s in result["scenarios"]:
        errors = ", ".join(f"{name} x{count}" for name, count in s["errors"].items()) or "-"
        lines.append(
            _row(
                [
                    s["name"],
                    s["events"],
                    s["succeeded"],
                    s[Outcome.DEAD_LETTERED],
                    s["attempts"],
                    s["duplicates"],
                    s["service_loads"],
                    s["compilations"].get("User", 0),
                    errors,
                ]
            )  # fmt: skip
        )
    return "\n".join(lines)


def _row(cells) -> str:
    return "  ".join(
        str(cell).ljust(width) if width else str(cell)
        for cell, (_, width) in zip(cells, COLUMNS, strict=True)
    ).rstrip()
