"""Numbers as people read them: shared by the command line and the UI.

Sizes use binary units (1 MiB = 1024 KiB), the units /proc, ulimit and Celery's
``--max-memory-per-child`` (KiB) all count in.
"""

from __future__ import annotations

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def size(n: float | None) -> str:
    """``61.2 MiB``; ``-`` for unknown."""
    if n is None:
        return "-"
    value = float(n)
    for unit in _UNITS:
        if abs(value) < 1024 or unit == _UNITS[-1]:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def rate(bytes_per_hour: float) -> str:
    """``+38.2 MiB/h``."""
    return ("+" if bytes_per_hour >= 0 else "-") + size(abs(bytes_per_hour)) + "/h"


def count(n: int | None) -> str:
    return "-" if n is None else str(n)


def limit(n: int | None, unit: str = "") -> str:
    """A resource limit: ``unlimited`` for None, sizes for bytes."""
    if n is None:
        return "unlimited"
    return size(n) if unit == "bytes" else str(n)


def duration(seconds: float) -> str:
    """``1h 02m``, ``3m 05s``, ``42s``."""
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain left-aligned text table, for terminals and logs."""
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)
