"""How a verdict's reason reads: sizes, rates, spans and clock times a person can act on."""

from __future__ import annotations

import time
from collections.abc import Callable

from leaktui.core.verdict.terms import MIB


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

    def size(n: float) -> str:
        if unit != "bytes":
            return f"{n:.0f} {unit}"
        for name, scale in (("GiB", 1 << 30), ("MiB", MIB), ("KiB", 1024)):
            if abs(n) >= scale:
                return f"{n / scale:.1f} {name}"
        return f"{n:.0f} B"

    def rate(per_hour: float) -> str:
        text = f"{abs(per_hour):.1f} {unit}" if unit != "bytes" else size(abs(per_hour))
        return f"{'+' if per_hour >= 0 else '-'}{text}/h"

    return size, rate


def minutes(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def clock(t: float) -> str:
    return time.strftime("%H:%M", time.gmtime(t)) + " UTC"
