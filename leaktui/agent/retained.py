"""Which task keeps memory: RSS before and after every task, summed per task name.

Celery users ask first which task grows the worker. Each process reads /proc/self/statm
when a task starts and when it ends (one small read, no allocation worth the name) and
keeps, per task name, the runs and the sum and sum of squares of the difference: the
bytes each run leaves behind, with an interval. At most ``NAMES`` names are kept (the
rest are summed under ``OTHER``), so the memory it takes is bounded whatever runs.

In a prefork child one task runs at a time and the difference is that task's. In a
threads or gevent pool tasks overlap, and each difference also holds what the others did
meanwhile: the answer says how many runs overlapped, and the ranking is then a hint.
"""

from __future__ import annotations

import math
import threading

from leaktui.agent.allocs import rss

NAMES = 256
OTHER = "(other tasks)"

_lock = threading.Lock()
_started: dict[str, tuple[str, int, int, bool]] = {}
"""Running tasks: task id → (name, RSS when it started, starts before it, whether another
task was running then)."""
_starts = 0
_runs: dict[str, list[float]] = {}
"""Per task name: [runs, sum of differences, sum of squares, overlapped runs]."""
_first: int | None = None
"""RSS when the first task began: the process's growth is counted from there."""


def reset() -> None:
    """A new pool child: its parent's figures are not its own."""
    global _first, _starts
    with _lock:
        _started.clear()
        _runs.clear()
        _first, _starts = None, 0


def started(task_id: str | None, name: str | None) -> None:
    """task_prerun: remember RSS as this task starts."""
    global _first, _starts
    if task_id is None:
        return
    now = rss()
    with _lock:
        if _first is None:
            _first = now
        _starts += 1
        if len(_started) < 4 * NAMES:  # ids that never finish must not pile up
            _started[task_id] = (name or "?", now, _starts, bool(_started))


def finished(task_id: str | None) -> None:
    """task_postrun: add what this run left behind to its name's figures."""
    if task_id is None:
        return
    now = rss()
    with _lock:
        found = _started.pop(task_id, None)
        if found is None:
            return
        name, before, order, others = found
        if name not in _runs and len(_runs) >= NAMES:
            name = OTHER
        figures = _runs.setdefault(name, [0, 0.0, 0.0, 0])
        delta = now - before
        figures[0] += 1
        figures[1] += delta
        figures[2] += delta * delta
        figures[3] += others or bool(_started) or _starts > order  # another ran meanwhile


def summary(limit: int) -> dict:
    """Per task name, largest total first: runs, bytes per run with a 95 % interval, and
    the share of the process's growth since its first task."""
    now = rss()
    with _lock:
        rows = [(name, *figures) for name, figures in _runs.items()]
        first = _first
    growth = now - first if first is not None else 0
    out = []
    for name, runs, total, squares, overlapped in sorted(rows, key=lambda r: -r[2])[:limit]:
        mean = total / runs
        spread = None
        if runs > 1:
            variance = max(squares - runs * mean * mean, 0.0) / (runs - 1)
            half = 1.96 * math.sqrt(variance / runs)
            spread = [round(mean - half), round(mean + half)]
        out.append(
            {
                "task": name,
                "runs": runs,
                "bytes_per_run": round(mean),
                "bytes_per_run_ci": spread,
                "bytes": round(total),
                "share": round(total / growth, 3) if growth > 0 else None,
                "overlapped": overlapped,
            }
        )
    return {"growth": growth, "tasks_seen": len(rows), "by_task": out}
