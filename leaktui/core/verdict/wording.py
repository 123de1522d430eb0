"""How a verdict's reason reads: what the growth goes with, in the units of its series.

Every number is written by ``leaktui.fmt``, as everywhere else; this module only picks
sizes for bytes and plain counts for other units (open files).
"""

from __future__ import annotations

from collections.abc import Callable

from leaktui import fmt


def cause(per_task: float | None, follows: str | None, size: Callable[[float], str]) -> str:
    """The part of a reason that says what the growth goes with."""
    if follows == "time":
        return ", growing while idle too"
    text = f", {size(per_task)}/task" if per_task is not None and per_task > 0 else ""
    if follows == "tasks":
        text += ", only while tasks run"
    return text


def formatters(unit: str) -> tuple[Callable[[float], str], Callable[[float], str]]:
    """How the reasons write an amount and a rate: binary sizes for bytes, counts otherwise."""
    if unit == "bytes":
        return fmt.size, fmt.rate

    def size(n: float) -> str:
        return f"{n:.0f} {unit}"

    def rate(per_hour: float) -> str:
        return f"{'+' if per_hour >= 0 else '-'}{abs(per_hour):.1f} {unit}/h"

    return size, rate
