"""From the evidence to the likely cause, the next step, and the stopgap.

The causes of a Celery worker's growing memory, told apart by what the agent
sees inside the process (objgraph growth, gc, allocation sites, RSS per task) and by the
verdicts:

| evidence                                     | likely cause                         |
|----------------------------------------------|--------------------------------------|
| open files keep growing                      | resource handles                     |
| uncollectable objects or gc.garbage grow     | reference cycles                     |
| a Python type grows along with RSS           | an unbounded cache or collection     |
| RSS grows while Python object counts stay flat | a C extension or the allocator     |
| RSS grows while tracemalloc's total stays flat | a C extension or the allocator     |
| ... and glibc keeps the freed memory         | fragmentation                        |
| USS grows while RSS stays flat               | copy-on-write of inherited pages     |
| one allocation site keeps most of the growth | that line (allocs, with its task)    |
| one task name keeps most of the growth       | that task (the agent's per-task RSS) |

Always with the stopgap: ``--max-memory-per-child``, from the baseline that was observed,
or the warning that the worker's own setting recycles every child after one task.

Copy-on-write is the one cause RSS does not show: a pool child's RSS counts the pages it
shares with the main process whether it has copied them or not, so its verdict stays
stable while the host's memory goes. It is told by USS (the child's own pages) growing
while RSS does not.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass

from leaktui import fmt
from leaktui.core.verdict import Verdict

MIB = 1 << 20
#: A type counts as growing when it grew by at least this much in every fetch since the
#: baseline (one is enough: the growth is measured against what it was a fetch ago). A
#: quiet process moves its dicts and lists by a handful between fetches.
PERSISTENT_DELTA = 20
#: An application's own type is named before a builtin that grew by up to 1/APP_SHARE
#: times as much (a Report's dict and lists grow with it).
APP_SHARE = 0.1
#: Object counts are "flat" when they grow by less than this many per fetch, on average.
FLAT_OBJECTS = 1000
#: One site "dominates" when it keeps at least this share of what Python's allocations
#: grew by over the window, and at least SITE_FLOOR bytes.
DOMINANT = 0.5
SITE_FLOOR = 64 * 1024
#: USS that grew by this much more than RSS did is pages turned private (copy-on-write)...
UNSHARED_FLOOR = 16 * MIB
#: ...when it is also this share of RSS: every child copies a few pages as it runs.
UNSHARED_SHARE = 1 / 3


@dataclass(frozen=True, slots=True)
class Fetch:
    """One objgraph answer from the agent, reduced to what the diagnosis needs."""

    objects: int
    growth: dict[str, int]
    """Type name -> rise since the previous fetch."""
    uncollectable: int = 0
    garbage: int = 0


@dataclass(frozen=True, slots=True)
class Diagnosis:
    cause: str
    next_step: str
    stopgap: str | None = None


def diagnose(
    memory: Verdict | None,
    fds: Verdict | None,
    fetches: Sequence[Fetch] = (),
    now: float | None = None,
    sites: dict | None = None,
    max_memory_per_child: int | None = None,
    unshared: tuple[int, int] | None = None,
) -> Diagnosis | None:
    """The likeliest cause given what is known; None when nothing grows.

    ``fetches`` are the agent's answers, oldest first; the first one is a baseline (its
    growth counts everything), so evidence starts from the second. ``now`` is the moment
    of the verdict, to find where the growth started from. ``sites`` is the agent's
    last allocs answer: the line that keeps memory, or that Python's allocations did not
    grow (native memory). ``max_memory_per_child`` (bytes) is the worker's setting, if
    any: set below where a child starts, it recycles every child after one task.
    ``unshared`` is (bytes by which USS outgrew RSS, RSS) since the process was first
    seen: copy-on-write, which the RSS verdict cannot see.
    """
    growing = memory is not None and memory.kind in ("leak", "suspect")
    fd_leak = fds is not None and fds.kind == "leak"
    if not growing and not fd_leak:
        if sites is not None and (found := _copy_on_write(sites)) is not None:
            return found
        if unshared is not None and _unshared_enough(*unshared):
            return _copied(unshared[0], None)
        return None
    stopgap = _stopgap(memory, now, max_memory_per_child) if growing else None
    if fd_leak:
        return Diagnosis(
            "open files keep growing: resource handles (files, sockets, connections) not closed",
            "close them on every path: 'with open(...)', 'with closing(...)', or the client's "
            "own context manager; ls -l /proc/PID/fd shows what they are",
            stopgap,
        )
    if sites is not None and (found := from_allocs(sites, stopgap)) is not None:
        return found
    later = list(fetches[1:])
    if len(later) >= 2 and later[-1].garbage + later[-1].uncollectable > max(
        later[0].garbage + later[0].uncollectable, 0
    ):
        return Diagnosis(
            "gc.garbage and uncollectable objects grow: reference cycles the collector cannot free",
            "break the cycle (a weakref for the back link), or drop the __del__ that keeps "
            "it uncollectable; gc.garbage holds the objects",
            stopgap,
        )
    names = set().union(*(f.growth for f in later)) if later else set()
    grown = {
        n: sum(f.growth.get(n, 0) for f in later)
        for n in names
        if all(f.growth.get(n, 0) >= PERSISTENT_DELTA for f in later)
    }
    if grown:
        top = _named_type(grown)
        return Diagnosis(
            f"{top} keeps growing with RSS: an unbounded cache or global collection",
            f"find what holds it (Enter on {top} in the objgraph pane, or leaktui objgraph PID "
            f"--type {top}) and bound it: collections.deque(maxlen=N), "
            "functools.lru_cache(maxsize=N), or clear it after each task",
            stopgap,
        )
    if len(later) >= 2:
        per_fetch = (later[-1].objects - later[0].objects) / (len(later) - 1)
        if per_fetch < FLAT_OBJECTS:
            return Diagnosis(
                "RSS grows while Python's object counts stay flat: a C extension, or the "
                "allocator holding freed memory",
                "profile native allocations: memray run --native, or valgrind; try "
                "MALLOC_ARENA_MAX=2 for glibc's per-thread arenas",
                stopgap,
            )
    return Diagnosis(
        _what_growth_follows(memory) or "growing; the cause is not known yet",
        "trace allocations (t) in the growing process for the line that keeps memory, or "
        "fetch objgraph (g) twice or more, a few minutes apart, for the type that grows",
        stopgap,
    )


def from_allocs(answer: dict, stopgap: str | None = None) -> Diagnosis | None:
    """What one allocs answer says on its own: native memory, fragmentation, copy-on-write,
    the one line that keeps most of what Python's allocations grew, or the task that does."""
    if answer.get("native"):
        rss = answer["rss"][1] - answer["rss"][0]
        traced = answer["traced"][1] - answer["traced"][0]
        before, after = answer.get("malloc") or (None, None)
        if before and after and after["free"] - before["free"] >= DOMINANT * rss:
            return Diagnosis(
                f"RSS grew {fmt.size(rss)}, and glibc's malloc keeps "
                f"{fmt.size(after['free'] - before['free'])} more of it freed but not returned: "
                "fragmentation, not live objects",
                "set MALLOC_ARENA_MAX=2 in the worker's environment, or preload jemalloc "
                "(LD_PRELOAD=libjemalloc.so.2)",
                stopgap,
            )
        return Diagnosis(
            f"RSS grew {fmt.size(rss)} while Python's allocations grew {fmt.signed_size(traced)}: "
            "native memory, from a C extension or the allocator",
            "profile native allocations: memray run --native, or valgrind; try "
            "MALLOC_ARENA_MAX=2 for glibc's per-thread arenas",
            stopgap,
        )
    if (found := _copy_on_write(answer)) is not None:
        return found
    found = answer.get("sites") or []
    traced = answer["traced"][1] - answer["traced"][0]
    seconds = answer.get("seconds_traced") or 0
    task = _task_that_keeps(answer.get("by_task") or [])
    if (
        found
        and traced > 0
        and seconds > 0
        and found[0]["size"] >= max(DOMINANT * traced, SITE_FLOOR)
    ):
        top = found[0]
        where = f"{fmt.site_path(top['file'])}:{top['line']}"
        ran = f" (task {top['task']})" if top.get("task") else ""
        return Diagnosis(
            f"{where} {top['source']} keeps {fmt.rate(top['size'] / seconds * 3600)}{ran}"
            + (f"; {task}" if task else ""),
            f"bound or release what {where} keeps: a collections.deque(maxlen=N), "
            "functools.lru_cache(maxsize=N), or clear it after each task",
            stopgap,
        )
    if task:
        return Diagnosis(
            task,
            "read that task for what outlives a run: a module-level list or dict, a cache "
            "with no bound, a client or session made per run; t traces its lines",
            stopgap,
        )
    return None


def _copy_on_write(answer: dict) -> Diagnosis | None:
    """USS outgrew RSS over an allocs window: pages copied, with the full collections that
    ran meanwhile (the usual writer)."""
    uss, rss = answer.get("uss"), answer["rss"]
    if not uss:
        return None
    unshared = (uss[1] - uss[0]) - (rss[1] - rss[0])
    if not _unshared_enough(unshared, rss[1]):
        return None
    full = (answer.get("gc") or {}).get("collections", [0, 0, 0])[-1]
    return _copied(unshared, full)


def _unshared_enough(unshared: int, rss: int) -> bool:
    return unshared >= max(UNSHARED_FLOOR, UNSHARED_SHARE * rss)


def _copied(unshared: int, full_collections: int | None) -> Diagnosis:
    ran = ""
    if full_collections:
        ran = f"; {full_collections} full gc collection{'s' if full_collections > 1 else ''} ran"
    return Diagnosis(
        f"USS grew {fmt.size(unshared)} more than RSS: the process copies pages it shared with "
        f"the main process (copy-on-write), as gc and reference counts write to inherited "
        f"objects{ran}",
        "call gc.freeze() in the main process before the pool forks (a worker_init signal "
        "handler), so that collections leave inherited objects alone; import what tasks use "
        "before that",
        "RSS counts shared pages copied or not, so --max-memory-per-child does not see this; "
        "--max-tasks-per-child=N recycles children before they copy much",
    )


def _named_type(grown: dict[str, int]) -> str:
    """The type to name: the largest growth, unless one of the application's own types
    (a qualified name, ``tasks.Invoice``) grew by at least APP_SHARE of it: the dicts and
    lists that grow beside it are most often its parts, and its name is what to look for."""
    largest = max(grown.values())
    apps = {n: g for n, g in grown.items() if _applications(n) and g >= APP_SHARE * largest}
    pool = apps or grown
    return min(pool, key=lambda n: (-pool[n], n))


def _applications(name: str) -> bool:
    """``proj.reports.Report``, not ``collections.OrderedDict`` or ``dict``."""
    module = name.partition(".")[0]
    return "." in name and module not in sys.stdlib_module_names and not module.startswith("_")


def _task_that_keeps(rows: Sequence[dict]) -> str | None:
    """``reports.build keeps 24.0 KiB a run, 97 % of the growth``: the task named by the
    agent's per-task figures, when one keeps most of what the process grew."""
    if not rows:
        return None
    top = rows[0]
    share = top.get("share")
    if share is None or share < DOMINANT or top["bytes_per_run"] <= 0 or top["runs"] < 5:
        return None
    return fmt.task_kept(top)


def _what_growth_follows(memory: Verdict | None) -> str | None:
    """What the task counts already say, before objgraph: per task, or on its own."""
    if memory is None:
        return None
    if memory.follows == "time":
        return (
            "grows while no task runs: something that runs on its own (a thread, a timer, "
            "a connection pool), not the tasks"
        )
    if memory.bytes_per_task is not None and memory.bytes_per_task > 0:
        only = ", only while tasks run" if memory.follows == "tasks" else ""
        return (
            f"grows by {fmt.size(memory.bytes_per_task)} per task{only}: "
            "something each task leaves behind"
        )
    return None


def _stopgap(memory: Verdict | None, now: float | None, limit: int | None) -> str | None:
    """Recycle children before they grow much past where they started; or, when the limit
    set is below that start, Celery's trap: it compares peak RSS with the limit after each
    task, so a child that starts above it is recycled after every task."""
    if memory is None or memory.level is None:
        return None
    baseline = memory.level
    if memory.rate and memory.rate > 0 and memory.since is not None and now is not None:
        grown = memory.rate * max(0.0, now - memory.since) / 3600
        baseline = max(memory.level - grown, memory.level / 4)
    kib = int(baseline * 1.5 / 1024)
    if limit is not None and limit <= baseline:
        return (
            f"--max-memory-per-child={limit // 1024} is below the {fmt.size(baseline)} a "
            "child starts from: Celery checks peak RSS after each task, so every child is "
            f"recycled after one; set it above that, e.g. {kib} (KiB, 1.5 times)"
        )
    return (
        f"meanwhile: --max-memory-per-child={kib} (KiB: 1.5 times the {fmt.size(baseline)} "
        "the process started from) recycles a child before it grows far"
    )
