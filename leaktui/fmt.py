"""Numbers as people read them: shared by the command line and the UI.

Sizes use binary units (1 MiB = 1024 KiB), the units /proc, ulimit and Celery's
``--max-memory-per-child`` (KiB) all count in.
"""

from __future__ import annotations

import time

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


def signed_size(n: float) -> str:
    """``+1.3 MiB``, ``-512 B``: a change in size."""
    return ("+" if n >= 0 else "-") + size(abs(n))


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


def span(seconds: float) -> str:
    """A span in prose, to the minute: ``1 h 02 min``, ``45 min``."""
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def clock(t: float) -> str:
    """A moment of the day, in UTC as leaktui records: ``10:04 UTC``."""
    return time.strftime("%H:%M", time.gmtime(t)) + " UTC"


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain left-aligned text table, for terminals and logs."""
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


_BARS = "▁▂▃▄▅▆▇█"


def spark(values: list[float], width: int) -> str:
    """The last ``width`` values as a one-line sparkline, scaled between their min and max.

    Flat series draw a flat line, not noise blown up to full height: the scale never spans
    less than 1% of the level.
    """
    values = values[-width:]
    if not values:
        return " " * width
    low, high = min(values), max(values)
    span = max(high - low, abs(high) * 0.01, 1e-9)
    top = len(_BARS) - 1
    line = "".join(_BARS[min(top, int((v - low) / span * top + 0.5))] for v in values)
    return line.rjust(width)


def shown_kind(kind: str, urgent: bool) -> str:
    """The verdict as shown: growth that reaches its limit before it could level off reads
    ``growing``, whatever its verdict short of a leak."""
    return "growing" if urgent and kind in ("suspect", "warming") else kind


def verdict_badge(kind: str, rate: float | None, eta: float | None, urgent: bool = False) -> str:
    """``LEAK +38.0 MiB/h · limit in ~5h``, ``GROWING +40 MiB/h · limit in ~40m``,
    ``warming``, ``stable``: what a cell shows."""
    shown = shown_kind(kind, urgent)
    if shown in ("leak", "growing"):
        text = shown.upper() if rate is None else f"{shown.upper()} {rate_text(rate)}"
        return text if eta is None else f"{text} · limit in ~{eta_short(eta)}"
    if kind == "suspect" and rate is not None:
        return f"suspect {rate_text(rate)}"
    if kind == "insufficient":
        return "measuring…"
    return kind


def rate_text(bytes_per_hour: float) -> str:
    """A rate short enough for a table cell: ``+38 MiB/h``, ``+512 KiB/h``."""
    value, unit = abs(bytes_per_hour), "B"
    for unit in _UNITS:
        if value < 1024 or unit == _UNITS[-1]:
            break
        value /= 1024
    digits = 0 if value >= 10 or unit == "B" else 1
    return f"{'+' if bytes_per_hour >= 0 else '-'}{value:.{digits}f} {unit}/h"


def eta_short(seconds: float) -> str:
    """A rough time for a badge: ``5h``, ``40m``, ``3d``."""
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.0f}d"
    if seconds >= 3600:
        return f"{seconds / 3600:.0f}h"
    return f"{max(1, round(seconds / 60))}m"


def task_kept(row: dict) -> str:
    """``reports.build keeps 24.0 KiB a run, 97% of the growth``: one row of the agent's
    per-task figures, as the allocations pane and the diagnosis both say it."""
    share = f", {row['share']:.0%} of the growth" if row.get("share") is not None else ""
    return f"{row['task']} keeps {size(row['bytes_per_run'])} a run{share}"


def site_path(path: str) -> str:
    """Where an allocation site is, short enough for a table: from the package down inside
    site-packages, else the file with its folder (``apps/leakapp.py``)."""
    if "site-packages/" in path:
        return path.rsplit("site-packages/", 1)[1]
    parts = path.split("/")
    return "/".join(parts[-2:]) if len(parts) > 2 else path
