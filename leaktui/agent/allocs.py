"""The allocation sites that keep memory: two tracemalloc snapshots a window apart, compared.

Asked for by the ``allocs`` command. tracemalloc is started for the window only, unless
the process was tracing already (then it is left as it was) or the request says ``keep``.
Only one window runs at a time in a process; the snapshots are let go before the answer
leaves. RSS is read next to the traced total: RSS that grows while the traced total does
not is memory Python's allocator never saw (a C extension, or the allocator itself). USS
that grows while RSS does not is pages this process shared with the one it was forked
from and has since written to (copy-on-write); the gc counts say whether full
collections ran meanwhile, the usual writer.

``sys._debugmallocstats()`` is not used: it prints to the C stderr, and capturing that
would mean pointing a production worker's fd 2 elsewhere while its other threads log.
``sys.getallocatedblocks()`` (pymalloc's live blocks) and glibc's mallinfo2 say enough.
"""

from __future__ import annotations

import ctypes
import gc
import linecache
import os
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable

_window = threading.Lock()
_PAGE = os.sysconf("SC_PAGE_SIZE")
_SOURCE = 160
"""Characters of a source line an answer carries."""
_TRACEBACKS = 10
"""Sites whose traceback an answer carries (the largest ones): a traceback of 25 frames
for each of 200 sites would not fit in one answer."""
NATIVE_SHARE = 0.25
"""RSS growth of which Python's traced memory explains less than this share is native."""
NATIVE_FLOOR = 1 << 20
"""RSS growth below this (one MiB) is too small to call native: pages come and go."""


def rss() -> int:
    """This process's resident set, from /proc/self/statm: no allocation worth the name."""
    with open("/proc/self/statm", "rb") as f:
        return int(f.read().split()[1]) * _PAGE


def state() -> dict:
    """Whether tracemalloc traces, and whether an allocs window is open (for ping)."""
    return {"tracing": tracemalloc.is_tracing(), "window": _window.locked()}


Bodies = dict[str, list[tuple[int, int, str]]]
"""Per source file, the line ranges of task functions and their task names."""


def sites(request: dict, tasks_done: Callable[[], int], bodies: Callable[[], Bodies]) -> dict:
    """The answer to one checked ``allocs`` request; an error answer when a window is
    already open in this process. ``bodies`` names the task a site's code belongs to."""
    if not _window.acquire(blocking=False):
        return {"ok": False, "error": "an allocs window is already running in this process"}
    try:
        answer = _sites(request, tasks_done)
    finally:
        _window.release()
    known = bodies()
    for site in answer["sites"]:
        frames = [site, *reversed(site.get("traceback", []))]  # the most recent first
        task = next((t for f in frames if (t := _task_of(known, f["file"], f["line"]))), None)
        if task is not None:
            site["task"] = task
    return answer


def _task_of(known: Bodies, filename: str, line: int) -> str | None:
    return next((name for a, b, name in known.get(filename, ()) if a <= line <= b), None)


def _sites(request: dict, tasks_done: Callable[[], int]) -> dict:
    frames = request["frames"]
    was_tracing = tracemalloc.is_tracing()
    plain = None if was_tracing else _allocation_time()
    slowdown = None
    if not was_tracing:
        tracemalloc.start(frames)
    try:
        rss_before, tasks_before, malloc_before = rss(), tasks_done(), malloc_totals()
        uss_before, blocks_before, gc_before = _uss(), sys.getallocatedblocks(), gc.get_stats()
        before = _snapshot()
        traced_before = tracemalloc.get_traced_memory()[0]
        overhead_before = tracemalloc.get_tracemalloc_memory()
        began = time.monotonic()
        _wait(request, tasks_done, tasks_before)
        traced_after = tracemalloc.get_traced_memory()[0]
        overhead_after = tracemalloc.get_tracemalloc_memory()
        after = _snapshot()
        rss_after, tasks_after, malloc_after = rss(), tasks_done(), malloc_totals()
        uss_after, blocks_after, gc_after = _uss(), sys.getallocatedblocks(), gc.get_stats()
        waited = time.monotonic() - began
        found = _compare(after, before, request["limit"], tracemalloc.get_traceback_limit())
        del before, after
        if plain:  # after the window, so that no task runs untraced while this measures
            slowdown = round(_allocation_time() / plain, 1)
    finally:
        if not was_tracing and not request["keep"]:
            tracemalloc.stop()
    # tracemalloc's own tables grow with what it traces; that is not the process's growth.
    rss_growth = rss_after - rss_before - max(overhead_after - overhead_before, 0)
    traced_growth = traced_after - traced_before
    return {
        "seconds_traced": round(waited, 3),
        "tasks_during": tasks_after - tasks_before,
        "frames": tracemalloc.get_traceback_limit() if tracemalloc.is_tracing() else frames,
        "was_tracing": was_tracing,
        "still_tracing": tracemalloc.is_tracing(),
        "traced": [traced_before, traced_after],
        "rss": [rss_before, rss_after],
        "native": rss_growth > NATIVE_FLOOR and traced_growth < NATIVE_SHARE * rss_growth,
        "cost": {"allocation_slowdown": slowdown, "tracemalloc_bytes": overhead_after},
        "malloc": [malloc_before, malloc_after] if malloc_before and malloc_after else None,
        "uss": [uss_before, uss_after] if uss_before and uss_after else None,
        "blocks": [blocks_before, blocks_after],
        "gc": _collections(gc_before, gc_after),
        "sites": found,
    }


def _uss() -> int | None:
    """This process's unique set size, its private pages (smaps_rollup, as the sampler
    reads it; the agent takes nothing from leaktui's core): None where the kernel lacks it."""
    try:
        with open("/proc/self/smaps_rollup", "rb") as f:
            lines = f.read().split(b"\n")
    except OSError:
        return None
    private = (b"Private_Clean:", b"Private_Dirty:", b"Private_Hugetlb:")
    return sum(int(line.split()[1]) * 1024 for line in lines if line.startswith(private))


def _collections(before: list[dict], after: list[dict]) -> dict:
    """What the cyclic collector did in the window: collections per generation, objects it
    freed and found uncollectable, and how many objects gc.freeze() has set aside."""
    pairs = list(zip(after, before, strict=True))
    return {
        "collections": [a["collections"] - b["collections"] for a, b in pairs],
        "collected": sum(a["collected"] - b["collected"] for a, b in pairs),
        "uncollectable": sum(a["uncollectable"] - b["uncollectable"] for a, b in pairs),
        "frozen": gc.get_freeze_count(),
    }


class _MallInfo2(ctypes.Structure):
    """struct mallinfo2 (glibc 2.33+): ten size_t counters."""

    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            *("arena", "ordblks", "smblks", "hblks", "hblkhd"),
            *("usmblks", "fsmblks", "uordblks", "fordblks", "keepcost"),
        )
    ]


def malloc_totals() -> dict | None:
    """glibc's own account (mallinfo2, glibc 2.33 and later): bytes in use, bytes freed
    but kept in its arenas, and bytes in mmapped blocks. Freed bytes it keeps are RSS that
    no object holds: fragmentation, not a leak in the code. None on other C libraries."""
    try:
        mallinfo2 = ctypes.CDLL(None).mallinfo2
    except (AttributeError, OSError):
        return None
    mallinfo2.restype = _MallInfo2
    info = mallinfo2()
    return {"in_use": info.uordblks, "free": info.fordblks, "mmapped": info.hblkhd}


def _allocation_time() -> float:
    """Seconds to make and free 20,000 small objects, best of three: what tracing adds to
    an allocation, measured in this very process. A task slows down by less, as it does
    more than allocate (tests/benchmarks/bench_allocs.py measures tasks)."""
    best = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        made = [[] for _ in range(20_000)]
        del made
        best = min(best, time.perf_counter() - began)
    return best


def _wait(request: dict, tasks_done: Callable[[], int], start: int) -> None:
    """Until the window's seconds have passed, or ``tasks`` more tasks have finished (at
    most ``seconds`` then too)."""
    deadline = time.monotonic() + request["seconds"]
    wanted = request.get("tasks")
    while (left := deadline - time.monotonic()) > 0:
        if wanted is not None and tasks_done() - start >= wanted:
            return
        time.sleep(min(left, 0.05 if wanted is not None else left))


def _snapshot() -> tracemalloc.Snapshot:
    """A snapshot without tracemalloc's and this module's own allocations."""
    return tracemalloc.take_snapshot().filter_traces(
        (
            tracemalloc.Filter(False, tracemalloc.__file__),
            tracemalloc.Filter(False, __file__),
            tracemalloc.Filter(False, linecache.__file__),
        )
    )


def _compare(
    after: tracemalloc.Snapshot, before: tracemalloc.Snapshot, limit: int, frames: int
) -> list[dict]:
    """The lines whose live memory grew most, with the largest traceback that reached each
    (when more than one frame is traced) and the source line, read here in the worker."""
    grown = [s for s in after.compare_to(before, "lineno") if s.size_diff > 0][:limit]
    paths: dict[tuple[str, int], tracemalloc.Traceback] = {}
    if frames > 1 and grown:
        wanted = {(s.traceback[-1].filename, s.traceback[-1].lineno) for s in grown[:_TRACEBACKS]}
        for stat in after.compare_to(before, "traceback"):
            if stat.size_diff <= 0:
                continue
            top = stat.traceback[-1]
            key = (top.filename, top.lineno)
            if key in wanted and key not in paths:  # largest first: the first is the biggest
                paths[key] = stat.traceback
    out = []
    for stat in grown:
        frame = stat.traceback[-1]
        site = {
            "file": frame.filename,
            "line": frame.lineno,
            "size": stat.size_diff,
            "count": stat.count_diff,
            "source": _source(frame.filename, frame.lineno),
        }
        path = paths.get((frame.filename, frame.lineno))
        if path is not None:
            site["traceback"] = [
                {"file": f.filename, "line": f.lineno, "source": _source(f.filename, f.lineno)}
                for f in path
            ]
        out.append(site)
    return out


def _source(filename: str, line: int) -> str:
    """The line's text; a file linecache had not read before is dropped from its cache
    again, so that asking does not leave the worker holding source files."""
    cached = filename in linecache.cache
    try:
        return linecache.getline(filename, line).strip()[:_SOURCE]
    finally:
        if not cached:
            linecache.cache.pop(filename, None)
