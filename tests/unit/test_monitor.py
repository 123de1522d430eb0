"""The Monitor's bookkeeping, with fake sources: what it hands on and what it lets go."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterable

import pytest
from harness import run_leaktui

from leaktui.core.discover import Discovery
from leaktui.core.journal import Journal, read_verdicts
from leaktui.core.model import (
    ProcessInfo,
    ProcessLimits,
    Sample,
    Snapshot,
    Worker,
    WorkerCommand,
)
from leaktui.core.monitor import Monitor, run
from leaktui.core.sample import Sampled
from leaktui.core.verdict import Thresholds

MIB = 1 << 20


class FakeHost:
    """One worker; tests change ``children`` and ``gone`` between ticks."""

    def __init__(self) -> None:
        self.children = [11, 12]
        self.gone: set[int] = set()
        self.limit_reads: list[int] = []

    def scan(self) -> Discovery:
        worker = Worker(
            name="w@h",
            node="w@h",
            command=WorkerCommand(node="w@h"),
            main_pid=10,
            children=tuple(self.children),
        )
        processes = {
            pid: ProcessInfo(
                pid=pid, role="main" if pid == 10 else "child", worker="w@h", started=float(pid)
            )
            for pid in worker.pids
        }
        return Discovery((worker,), processes)

    def sample(self, pids: Iterable[int], now: float) -> Sampled:
        pids = list(pids)
        return Sampled(
            {p: Sample(pid=p, time=now, rss=p * 1000) for p in pids if p not in self.gone},
            tuple(p for p in pids if p in self.gone),
        )

    def read(self, pid: int) -> ProcessLimits:
        self.limit_reads.append(pid)
        return ProcessLimits(oom_score=pid)


@pytest.fixture
def host() -> FakeHost:
    return FakeHost()


@pytest.fixture
def monitor(host: FakeHost) -> Monitor:
    return Monitor(hostname="h", discoverer=host, sampler=host, limits_reader=host)


def test_a_process_gone_before_sampling_is_not_listed(host: FakeHost, monitor: Monitor) -> None:
    host.gone = {12}  # exited, or a zombie not yet reaped
    snapshot = monitor.tick()
    assert snapshot.workers[0].children == (11,)
    assert set(snapshot.processes) == {10, 11}
    assert set(snapshot.samples) == {10, 11}


def test_a_worker_whose_main_is_gone_is_dropped(host: FakeHost, monitor: Monitor) -> None:
    host.gone = {10}
    assert monitor.tick().workers == ()


def test_limits_are_read_once_then_attached_each_tick(host: FakeHost, monitor: Monitor) -> None:
    first = monitor.tick()
    second = monitor.tick()
    assert sorted(host.limit_reads) == [10, 11, 12]
    assert second.processes[11].limits == ProcessLimits(oom_score=11)
    assert second.processes[11] is first.processes[11], "unchanged info is not rebuilt"


def test_ended_processes_are_let_go(host: FakeHost, monitor: Monitor) -> None:
    monitor.tick()
    host.children = [13, 14]  # recycled under new pids
    monitor.tick()
    assert {pid for _, pid in monitor.assessment.latest() if pid is not None} == {10, 13, 14}
    assert set(monitor._limits) == {10, 13, 14}
    assert set(monitor._infos) == {10, 13, 14}


class FixedCounts:
    """A TaskCountSource that knows the counts of some processes."""

    def __init__(self, counts: dict[int, int]) -> None:
        self.known = counts
        self.watched: set[int] = set()

    def watch(self, pids: Iterable[int]) -> None:
        self.watched = set(pids)

    def counts(self) -> dict[int, int]:
        return {pid: n for pid, n in self.known.items() if pid in self.watched}


def test_task_counts_reach_the_samples(host: FakeHost) -> None:
    counts = FixedCounts({11: 40})
    monitor = Monitor(
        hostname="h", discoverer=host, sampler=host, limits_reader=host, task_counts=counts
    )
    snapshot = monitor.tick()
    assert counts.watched == {10, 11, 12}, "the processes sampled this tick"
    assert snapshot.samples[11].tasks == 40
    assert snapshot.samples[12].tasks is None, "unknown, not zero"
    assert snapshot.samples[10].tasks is None


def test_snapshots_are_read_only(monitor: Monitor) -> None:
    snapshot = monitor.tick()
    with pytest.raises(TypeError):
        snapshot.samples[99] = Sample(pid=99, time=0, rss=0)  # type: ignore[index]
    with pytest.raises(AttributeError):
        snapshot.tick = 5  # type: ignore[misc]


def test_times_are_whole_milliseconds(host: FakeHost) -> None:
    monitor = Monitor(
        hostname="h",
        discoverer=host,
        sampler=host,
        limits_reader=host,
        clock=lambda: 1_800_000_000.123456,
    )
    assert monitor.tick().time == 1_800_000_000.123


def test_run_coalesces_slow_ticks_instead_of_queueing() -> None:
    calls: list[float] = []

    def slow_tick() -> None:
        calls.append(time.monotonic())
        if len(calls) == 1:
            time.sleep(0.35)  # the first tick overruns three 0.1 s slots

    count = run(slow_tick, interval=0.1, stop=threading.Event(), duration=0.6)
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    assert gaps[0] < 0.05 + 0.35, "the next tick follows at once after an overrun"
    assert count <= 5, "missed slots were not replayed as a burst"


def test_run_stops_when_asked() -> None:
    stop = threading.Event()
    ticks: list[int] = []

    def tick() -> None:
        ticks.append(1)
        if len(ticks) == 3:
            stop.set()

    assert run(tick, interval=0.01, stop=stop) == 3


START = 1_800_000_000.0


class LeakyHost(FakeHost):
    """Child 11 leaks 20 MiB/h from START on; every process has a 1 GiB cgroup limit."""

    def sample(self, pids: Iterable[int], now: float) -> Sampled:
        hours = (now - START) / 3600
        return Sampled(
            {
                p: Sample(
                    pid=p,
                    time=now,
                    rss=int(100 * MIB + (20 * MIB * hours if p == 11 else 0) + (now % 60) * 50_000),
                    num_fds=10,
                )
                for p in pids
            },
            (),
        )

    def read(self, pid: int) -> ProcessLimits:
        return ProcessLimits(cgroup_limit=1 << 30)


def watch_two_hours(
    store: Journal, host: LeakyHost, thresholds: Thresholds | None = None
) -> tuple[Monitor, Snapshot]:
    """A Monitor on ``host``, journaling to ``store``, ticked every 5 simulated seconds."""
    clock = [START]
    monitor = Monitor(
        hostname="h",
        journal=store,
        discoverer=host,
        sampler=host,
        limits_reader=host,
        clock=lambda: clock[0],
        thresholds=thresholds,
    )
    for _ in range(2 * 720):
        snapshot = monitor.tick()
        clock[0] += 5
    return monitor, snapshot


def test_live_verdicts_are_on_every_snapshot_and_in_the_journal(tmp_path) -> None:
    """Two simulated hours at 5 s: child 11 leaks 20 MiB/h under a 1 GiB cgroup."""
    host = LeakyHost()
    with Journal(tmp_path / "s.sqlite", host="h", interval=5) as store:
        monitor, snapshot = watch_two_hours(store, host)
        leaking, steady = snapshot.verdicts[("w@h", 11)], snapshot.verdicts[("w@h", 12)]
        assert leaking.memory.kind == "leak"
        assert leaking.memory.limit.kind == "cgroup"
        assert 30 * 3600 < leaking.memory.eta < 60 * 3600  # ~880 MiB to go at 20 MiB/h
        assert steady.memory.kind == "stable"
        assert snapshot.verdicts[("w@h", None)].memory.kind == "leak"
        host.children = [12, 13]  # 11 recycled: its state goes
        monitor.tick()
        assert ("w@h", 11) not in monitor.assessment.latest()
    journaled = [r for r in read_verdicts(tmp_path / "s.sqlite") if r["pid"] == 11]
    assert journaled[0]["kind"] == "insufficient"
    assert journaled[-1]["kind"] == "leak"
    assert journaled[-1]["limit_kind"] == "cgroup"
    # `leaktui verdict` on the journal knows the limits the processes ran under.
    result = run_leaktui("verdict", "--json", str(tmp_path / "s.sqlite"))
    assert result.returncode == 1, result.stderr
    child = next(v for v in json.loads(result.stdout) if v["pid"] == 11)
    assert child["limit_kind"] == "cgroup"
    assert child["eta_seconds"] > 0


def test_verdicts_on_a_session_use_the_thresholds_it_was_watched_with(tmp_path) -> None:
    """Watched live with --min-rate 50MiB, a 20 MiB/h leak was never called a leak; `leaktui
    verdict` on that session says the same, until it is given another --min-rate."""
    session = tmp_path / "s.sqlite"
    with Journal(session, host="h", interval=5) as store:
        watch_two_hours(store, LeakyHost(), Thresholds(min_rate=50 * MIB))
    shown = {r["kind"] for r in read_verdicts(session) if r["pid"] == 11}
    assert "leak" not in shown
    result = run_leaktui("verdict", "--json", str(session))
    assert result.returncode == 0, result.stdout + result.stderr
    child = next(v for v in json.loads(result.stdout) if v["pid"] == 11)
    assert child["verdict"] != "leak"
    # --min-rate still rules, before or after the command's name.
    assert run_leaktui("verdict", "--min-rate", "2MiB", str(session)).returncode == 1
    assert run_leaktui("--min-rate", "2MiB", "verdict", str(session)).returncode == 1


def test_every_process_and_worker_sum_is_judged_against_the_hosts_free_memory(
    monitor: Monitor,
) -> None:
    snapshot = monitor.tick()
    worker = snapshot.workers[0].name
    (room,) = [lim for lim in monitor.assessment.limits[(worker, None)] if lim.kind == "ram+swap"]
    system = snapshot.system
    assert room.headroom
    free = system.mem_available + system.swap_total - system.swap_used
    assert free - (64 << 20) < room.bytes <= free  # this host's, rounded down to 64 MiB
    assert room in monitor.assessment.limits[(worker, 11)]
