"""Synthetic Snapshots and a source that delivers them when a test says so.

UI tests are about what the screen shows, not about /proc: they feed hand-made Snapshots
through the same message the sampling thread posts.
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import AsyncIterator, Callable, Container
from contextlib import asynccontextmanager
from types import MappingProxyType

from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Static

from leaktui.core.assessment import Assessed
from leaktui.core.journal import Journal
from leaktui.core.model import (
    ProcessInfo,
    ProcessLimits,
    RLimit,
    Sample,
    Snapshot,
    SystemFacts,
    Worker,
    WorkerCommand,
)
from leaktui.core.verdict import Limit, Verdict
from leaktui.tui.app import LeakTuiApp
from leaktui.tui.source import Mailbox

MIB = 1 << 20
T0 = 1_800_000_000.0


class FakeSource:
    """A SnapshotSource whose ticks are the test's ``push`` calls; journaled if given one."""

    interval = 1.0

    def __init__(self, journal: Journal | None = None) -> None:
        self.journal = journal
        self.recording = journal.path if journal is not None else None
        self.mailbox: Mailbox | None = None
        self.stopped = False

    def start(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    def stop(self) -> None:
        self.stopped = True

    def push(self, snapshot: Snapshot) -> None:
        assert self.mailbox is not None, "the app has not started its source"
        if self.journal is not None:
            self.journal.append(snapshot)
        self.mailbox.put(snapshot)

    def fail(self, error: str) -> None:
        assert self.mailbox is not None, "the app has not started its source"
        self.mailbox.fail(error)


def worker(
    name: str,
    main_pid: int,
    children: int = 2,
    pool: str = "prefork",
    max_memory_per_child: int | None = None,
) -> Worker:
    command = WorkerCommand(
        node=name, app="proj", pool=pool, max_memory_per_child=max_memory_per_child
    )
    kids = tuple(range(main_pid + 1, main_pid + 1 + children))
    return Worker(name, name, command, main_pid, kids, cmdline=f"celery -A proj worker -n {name}")


LEAK = Verdict(
    "leak",
    "floor rose 41.0 MiB in 1 h 05 min (+38.0 MiB/h), steady since 10:04 UTC",
    rate=38 * MIB,
    rate_ci=(35 * MIB, 41 * MIB),
    level=300 * MIB,
    limit=Limit(512 * MIB, "cgroup"),
    eta=5.5 * 3600,
    eta_ci=(5 * 3600, 6 * 3600),
)
STABLE = Verdict("stable", "floor flat at 80.0 MiB (sawtooth 2.0 MiB) over 1 h 00 min", rate=0.0)
WARMING = Verdict("warming", "growth slowing: +2.0 MiB/h now, +20.0 MiB/h earlier", rate=2 * MIB)


def snapshot(
    tick: int,
    workers: list[tuple[Worker, int, Verdict | None]],
    *,
    host: str = "linode-1",
    nofile: int = 1024,
    fds: int = 20,
    errors: tuple[str, ...] = (),
    every: float = 1.0,
    per_process: Callable[[Worker, int], Verdict | None] | None = None,
    fd_leaks: Container[str] = (),
    tasks: Callable[[Worker, int], int | None] | None = None,
) -> Snapshot:
    """One tick, ``every`` seconds after the last: each (worker, RSS per process in bytes,
    the worker's verdict); ``per_process(worker, pid)`` gives each process's verdict and
    ``tasks(worker, pid)`` its count of tasks finished."""
    now = T0 + tick * every
    processes, samples, verdicts = {}, {}, {}
    limits = ProcessLimits(nofile=RLimit(nofile, 4096), cgroup_limit=2048 * MIB)
    for w, rss, verdict in workers:
        for pid in w.pids:
            role = "main" if pid == w.main_pid else "child"
            processes[pid] = ProcessInfo(pid, role, w.name, T0 - 100, "celery", True, limits)
            samples[pid] = Sample(
                pid,
                now,
                rss,
                vms=rss * 3,
                swap=0,
                num_fds=fds,
                num_threads=3,
                tasks=tasks(w, pid) if tasks is not None else None,
            )
            mine = per_process(w, pid) if per_process is not None else None
            fds = FD_LEAK if w.name in fd_leaks and pid != w.main_pid else None
            if mine is not None:
                verdicts[(w.name, pid)] = Assessed(w.name, pid, now, mine, fds)
        if verdict is not None:
            verdicts[(w.name, None)] = Assessed(w.name, None, now, verdict)
    return Snapshot(
        tick=tick,
        time=now,
        host=host,
        workers=tuple(w for w, _, _ in workers),
        processes=MappingProxyType(processes),
        samples=MappingProxyType(samples),
        system=SystemFacts(now, 4096 * MIB, 1024 * MIB, 1024 * MIB, 256 * MIB, 0.0, 0.0),
        errors=errors,
        verdicts=MappingProxyType(verdicts),
    )


async def until(
    pilot,
    condition: Callable[[], object],
    what: str,
    seconds: float = 30,
    seen: Callable[[], object] | None = None,
) -> None:
    """Let the app run until ``condition()`` holds; fail, naming ``what`` (and what was
    ``seen`` instead, when given), after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            instead = f"; saw {seen()!r}" if seen is not None else ""
            raise AssertionError(f"timed out after {seconds:g} s waiting for {what}{instead}")
        await pilot.pause(0.05)


def text_of(widget: Static, width: int = 200) -> str:
    """What a Static shows, as plain text (its content may be a Rich table)."""
    console = Console(width=width, file=io.StringIO(), color_system=None)
    with console.capture() as capture:
        console.print(widget.content)
    return capture.get()


# -- the showcase: every verdict at once, for screenshots and snapshot tests ------------------

SHOWCASE_EVERY = 60.0  # one tick a minute: 40 ticks show 40 minutes of a session

SHOWCASE = [
    (worker("reports@linode-1", 1200, children=4, max_memory_per_child=400 * MIB), "leak"),
    (worker("thumbnails@linode-1", 1300, children=2), "warming"),
    (worker("email@linode-1", 1400, children=1, pool="threads"), "stable"),
    (worker("webhooks@linode-1", 1500, children=2, pool="gevent"), "growing"),
    (worker("exports@linode-1", 1600, children=2), "fd-leak"),
]
RATE = 120 * MIB  # per hour, for the leaking worker's children
GROWING = 30 * MIB  # per hour: not yet sure to be a leak, but its cgroup is near
TASKS = 5000  # per hour, per process that runs tasks


def _rss(kind: str, i: int, pid: int) -> float:
    base = 60 * MIB + (pid % 100) * 3 * MIB
    wave = 3 * MIB * math.sin(i / 2 + pid)
    if kind == "leak":
        return base + wave + RATE * i * SHOWCASE_EVERY / 3600
    if kind == "warming":
        return base + wave + 40 * MIB * (1 - math.exp(-i / 15))
    if kind == "growing":
        return base + wave + GROWING * i * SHOWCASE_EVERY / 3600
    return base + wave


def _verdict(kind: str, i: int, pid: int, limit: Limit | None) -> Verdict:
    minutes = i * SHOWCASE_EVERY / 60
    if kind == "leak":
        level = _rss(kind, i, pid)
        eta = (limit.bytes - level) / RATE * 3600 if limit else None
        return Verdict(
            "leak",
            f"floor rose {RATE * minutes / 60 / MIB:.0f} MiB in {minutes:.0f} min "
            f"(+120.0 MiB/h), {RATE / TASKS / 1024:.1f} KiB/task, steady since 09:20 UTC",
            rate=RATE,
            bytes_per_task=RATE / TASKS,
            rate_ci=(0.9 * RATE, 1.1 * RATE),
            level=level,
            limit=limit,
            eta=eta,
            eta_ci=(0.9 * eta, 1.1 * eta) if eta else None,
        )
    if kind == "warming":
        return Verdict("warming", "growth slowing: +6.0 MiB/h now, +60.0 MiB/h earlier", 6 * MIB)
    if kind == "growing":
        level = _rss(kind, i, pid)
        eta = 20 * MIB / GROWING * 3600  # its cgroup is 20 MiB above it: 40 minutes
        return Verdict(
            "suspect",
            f"floor rising +30.0 MiB/h (+21.0 MiB/h to +39.0 MiB/h) over {minutes:.0f} min; "
            "not yet sure it goes on",
            rate=GROWING,
            rate_ci=(0.7 * GROWING, 1.3 * GROWING),
            level=level,
            limit=Limit(int(level + 20 * MIB), "cgroup"),
            eta=eta,
            eta_ci=(0.77 * eta, 1.43 * eta),
            urgent=True,
        )
    return Verdict("stable", "floor flat at 81.0 MiB (sawtooth 3.0 MiB) over 40 min", 0.0)


FD_LEAK = Verdict("leak", "fds rose 480 in 40 min (+720.0 fds/h), steady since 09:20 UTC", 720)


def showcase(i: int) -> Snapshot:
    """Tick ``i`` of a 40-minute session on a host with five workers."""
    kinds = {w.name: kind for w, kind in SHOWCASE}
    cap = Limit(400 * MIB, "max-memory-per-child", peak=True)

    def per_process(w: Worker, pid: int) -> Verdict:
        kind = kinds[w.name] if pid != w.main_pid else "stable"
        return _verdict(kind, i, pid, cap if w.command.max_memory_per_child else None)

    rows = []
    for w, kind in SHOWCASE:
        child = w.children[0] if w.children else w.main_pid
        total_verdict = _verdict(kind, i, child, None)
        rows.append((w, int(_rss(kind, i, child)), total_verdict))

    def tasks(w: Worker, pid: int) -> int:
        runs_tasks = pid != w.main_pid or w.pool in ("threads", "gevent")  # prefork: children
        return round(TASKS * i * SHOWCASE_EVERY / 3600) if runs_tasks else 0

    return snapshot(
        i,
        rows,
        every=SHOWCASE_EVERY,
        per_process=per_process,
        fd_leaks={"exports@linode-1"},
        tasks=tasks,
    )


@asynccontextmanager
async def running(
    size: tuple[int, int], journal: Journal | None = None
) -> AsyncIterator[tuple[LeakTuiApp, FakeSource, Pilot]]:
    """The app on a FakeSource (journaled if given one), at a terminal size; the test
    pushes the snapshots."""
    source = FakeSource(journal)
    app = LeakTuiApp(source)
    async with app.run_test(size=size) as pilot:
        yield app, source, pilot


def showcase_app() -> tuple[LeakTuiApp, FakeSource]:
    """The app on a FakeSource that ticks once a showcase minute."""
    source = FakeSource()
    source.interval = SHOWCASE_EVERY
    return LeakTuiApp(source), source


async def play_showcase(pilot: Pilot, source: FakeSource, keys: tuple[str, ...] = ()) -> None:
    """Forty showcase minutes, then the keys: what the snapshot tests and screenshots show."""
    for i in range(1, 41):
        source.push(showcase(i))
        await pilot.pause()
    for key in keys:
        await pilot.press(key)
    await pilot.pause()


def showcase_allocs(pid: int) -> dict:
    """An allocs answer for the showcase's leaking child, shaped as the agent's (the figures
    of a real run on the tests' app, moved to a project's paths)."""
    trace = "/srv/proj/.venv/lib/python3.11/site-packages/celery/app/trace.py"
    site = "/srv/proj/proj/reports.py"
    return {
        "ok": True,
        "pid": pid,
        "seconds_traced": 10.0,
        "tasks_during": 14,
        "frames": 4,
        "was_tracing": False,
        "still_tracing": False,
        "traced": [0, 372_000],
        "rss": [152_600_000, 152_990_000],
        "native": False,
        "cost": {"allocation_slowdown": 27.4, "tracemalloc_bytes": 41_000},
        "malloc": None,
        "by_task": [
            {
                "task": "proj.build_report",
                "runs": 1618,
                "bytes_per_run": 25_190,
                "bytes_per_run_ci": [24_800, 25_600],
                "bytes": 40_757_000,
                "share": 0.97,
                "overlapped": 0,
            }
        ],
        "sites": [
            {
                "file": site,
                "line": 42,
                "size": 352_700,
                "count": 14,
                "source": "reports.append(Report(rows))",
                "task": "proj.build_report",
                "traceback": [
                    {"file": trace, "line": 564, "source": "R = retval = fun(*args, **kwargs)"},
                    {"file": trace, "line": 883, "source": "return self.run(*args, **kwargs)"},
                    {"file": site, "line": 42, "source": "reports.append(Report(rows))"},
                ],
            },
            {
                "file": "/usr/lib/python3.11/json/decoder.py",
                "line": 353,
                "size": 6_300,
                "count": 106,
                "source": "obj, end = self.scan_once(s, idx)",
            },
        ],
    }


async def show_allocs(pilot: Pilot) -> None:
    """The worker screen's allocations pane with ``showcase_allocs`` in it, as if ``t``
    had traced the selected child (the showcase has no agent to ask)."""
    from leaktui.tui.widgets.allocs_pane import AllocsPane

    screen = pilot.app.screen
    pid = screen.query_one("ProcessTable").selected
    pane = screen.query_one(AllocsPane)
    pane.pid = pid
    screen._show_pane("allocs")
    pane.post_message(AllocsPane.Traced(pid, showcase_allocs(pid), None))
    await pilot.pause()
    await pilot.pause()


def showcase_growth(pid: int) -> dict:
    """An objgraph growth answer for the showcase's leaking child, shaped as the agent's:
    long qualified type names, as a real project's are."""
    return {
        "ok": True,
        "pid": pid,
        "tasks": 1618,
        "seconds": 0.41,
        "objects": 1_064_321,
        "gc": {"collections": [1550, 140, 12], "uncollectable": 0, "garbage": 0},
        "growth": [
            {"type": "proj.reports.Report", "count": 40_210, "delta": 1_618},
            {"type": "sqlalchemy.orm.state.InstanceState", "count": 40_190, "delta": 1_610},
            {"type": "dict", "count": 181_345, "delta": 3_240},
            {"type": "list", "count": 52_011, "delta": 1_622},
        ],
    }


async def show_growth(pilot: Pilot) -> None:
    """The worker screen's objgraph pane after two fetches of ``showcase_growth``, as if ``g``
    had been pressed twice (the showcase has no agent to ask)."""
    from leaktui.tui.widgets.objgraph_pane import ObjgraphPane

    screen = pilot.app.screen
    pid = screen.query_one("ProcessTable").selected
    pane = screen.query_one(ObjgraphPane)
    pane.pid = pid
    screen._show_pane("objgraph")
    for _ in range(2):
        pane.post_message(ObjgraphPane.Fetched(pid, showcase_growth(pid), None))
        await pilot.pause()
    await pilot.pause()
