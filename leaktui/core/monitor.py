"""One tick: discover -> sample -> journal -> Snapshot, and the loop that repeats it.

The Monitor owns all mutable state (what discovery has seen, CPU counters, bounded
histories) and is driven from one thread only. What leaves it is an immutable Snapshot.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Protocol

from leaktui.core import procfs
from leaktui.core.assessment import Assessed, Assessment, limits_for
from leaktui.core.discover import Discoverer, Discovery
from leaktui.core.journal import Journal
from leaktui.core.model import (
    ProcessInfo,
    ProcessLimits,
    Row,
    Sample,
    Snapshot,
    SystemFacts,
    Worker,
)
from leaktui.core.sample import DEFAULT_USS_EVERY, Sampled, Sampler
from leaktui.core.system import LimitsReader, SystemReader
from leaktui.core.verdict import Limit, Thresholds

#: Limits rarely change; each process's are read again every this many ticks.
LIMITS_EVERY = 30


class DiscoverySource(Protocol):
    def scan(self) -> Discovery: ...


class SampleSource(Protocol):
    def sample(self, pids: Iterable[int], now: float) -> Sampled: ...


class LimitsSource(Protocol):
    def read(self, pid: int) -> ProcessLimits: ...


class TaskCountSource(Protocol):
    """Tasks finished per process (``leaktui.taskcount.TaskCounts`` asks leaktui's agent)."""

    def watch(self, pids: Iterable[int]) -> None: ...
    def counts(self) -> Mapping[int, int]: ...


class Monitor:
    """Produces one Snapshot per call to ``tick()``; journals it when given a Journal."""

    def __init__(
        self,
        *,
        journal: Journal | None = None,
        hostname: str | None = None,
        match: str | None = None,
        uss_every: int = DEFAULT_USS_EVERY,
        clock: Callable[[], float] = time.time,
        discoverer: DiscoverySource | None = None,
        sampler: SampleSource | None = None,
        limits_reader: LimitsSource | None = None,
        thresholds: Thresholds | None = None,
        task_counts: TaskCountSource | None = None,
    ) -> None:
        """The readers default to this host's; benchmarks and tests may pass their own.

        Task counts come only from ``task_counts``: without it, samples carry none.
        """
        self.host = hostname or socket.gethostname()
        self.journal = journal
        self._clock = clock
        self._discoverer: DiscoverySource = discoverer or Discoverer(
            hostname=self.host, match=match
        )
        self._sampler: SampleSource = sampler or Sampler(uss_every=uss_every)
        self._system = SystemReader()
        self._limits_reader: LimitsSource = limits_reader or LimitsReader()
        self._task_counts = task_counts
        self._limits: dict[int, ProcessLimits] = {}
        # pid -> (discovery's info, limits, the two merged): merged again only on a change.
        self._infos: dict[int, tuple[ProcessInfo, ProcessLimits | None, ProcessInfo]] = {}
        self._last_discovery: Discovery | None = None
        self._last_system: SystemFacts | None = None
        self._tick = 0
        self.assessment = Assessment(thresholds or Thresholds())
        """Live verdicts, per process and per worker sum; for the sampler thread only."""
        if journal is not None:
            journal.note_thresholds(self.assessment.thresholds)

    @property
    def last_unreadable(self) -> int:
        """How many processes /proc would not show us in the last scan (hidepid)."""
        return len(self._last_discovery.unreadable) if self._last_discovery else 0

    def tick(self) -> Snapshot:
        """Run one tick. Raises JournalError if the journal cannot be written."""
        now = round(self._clock() * 1000) / 1000  # whole milliseconds, as stored
        self._tick += 1
        errors: list[str] = []
        try:
            found = self._last_discovery = self._discoverer.scan()
        except Exception as exc:  # discovery must not stop sampling what we already know
            errors.append(f"discovery failed: {exc}")
            found = self._last_discovery or Discovery((), {})
        sampled = self._sampler.sample(found.processes, now)
        if sampled.gone:
            found = _without(found, set(sampled.gone))
        samples = sampled.samples
        if self._task_counts is not None:
            self._task_counts.watch(samples.keys())
            samples = _with_tasks(samples, self._task_counts.counts())
        processes = self._attach_limits(found, errors)
        try:
            system = self._last_system = self._system.read(now)
        except OSError as exc:
            errors.append(f"cannot read system memory: {exc}")
            system = self._last_system
        changes = self._judge(found.workers, processes, samples, system)
        snapshot = Snapshot(
            tick=self._tick,
            time=now,
            host=self.host,
            workers=found.workers,
            processes=MappingProxyType(processes),
            samples=MappingProxyType(samples),
            system=system,
            errors=tuple(errors),
            verdicts=MappingProxyType(self.assessment.latest()),
            changes=changes,
            unreadable=len(found.unreadable),
        )
        if self.journal is not None:
            self.journal.append(snapshot)
        return snapshot

    def _judge(
        self,
        workers: tuple[Worker, ...],
        processes: dict[int, ProcessInfo],
        samples: Mapping[int, Sample],
        system: SystemFacts | None,
    ) -> tuple[Assessed, ...]:
        """Feed this tick to the verdicts; forget processes that ended; return the changes."""
        self.assessment.retain(processes)
        host = host_room(system)
        max_memory = {w.name: w.command.max_memory_per_child for w in workers}
        for pid, info in processes.items():
            limits = limits_for(info.limits, info.role, max_memory.get(info.worker)) + host
            if self.assessment.limits.get((info.worker, pid)) != limits:
                self.assessment.set_limits(info.worker, pid, limits)
        for worker in workers:  # the sum of a worker's processes, against what they share
            main = processes.get(worker.main_pid)
            limits = limits_for(main.limits if main else None, None, None) + host
            limits = [lim for lim in limits if lim.kind != "rlimit-data"]  # that one is per process
            if self.assessment.limits.get((worker.name, None)) != limits:
                self.assessment.set_limits(worker.name, None, limits)
        rows = [
            Row(s, processes[pid].worker, processes[pid].role, self.host)
            for pid, s in samples.items()
            if pid in processes
        ]
        return tuple(self.assessment.feed(rows))

    def _attach_limits(self, found: Discovery, errors: list[str]) -> dict[int, ProcessInfo]:
        """Read limits for new processes and, spread over ticks, refresh the others."""
        out: dict[int, ProcessInfo] = {}
        for pid, info in found.processes.items():
            limits = self._limits.get(pid)
            if limits is None or (self._tick + pid) % LIMITS_EVERY == 0:
                try:
                    limits = self._limits[pid] = self._limits_reader.read(pid)
                except procfs.ProcessGone:
                    pass  # it is leaving; keep what we knew for this last tick
                except OSError as exc:
                    errors.append(f"pid {pid}: cannot read its limits: {exc}")
            cached = self._infos.get(pid)
            if (
                cached is not None
                and (cached[0] is info or cached[0] == info)
                and cached[1] == limits
            ):
                out[pid] = cached[2]
            else:
                out[pid] = replace(info, limits=limits)
                self._infos[pid] = (info, limits, out[pid])
        for pid in self._limits.keys() - found.processes.keys():
            del self._limits[pid]
        for pid in self._infos.keys() - found.processes.keys():
            del self._infos[pid]
        return out


#: The host's free memory is rounded down to this, so its limit changes only now and then.
HOST_ROOM_STEP = 64 << 20


def host_room(system: SystemFacts | None) -> list[Limit]:
    """The room every process shares: available RAM plus free swap, as a headroom limit."""
    if system is None:
        return []
    room = system.mem_available + max(0, system.swap_total - system.swap_used)
    return [Limit(room // HOST_ROOM_STEP * HOST_ROOM_STEP, "ram+swap", headroom=True)]


def _with_tasks(samples: dict[int, Sample], counts: Mapping[int, int]) -> dict[int, Sample]:
    """Samples with each process's task count, where it is known."""
    if not counts:
        return samples
    return {
        pid: replace(s, tasks=counts[pid]) if s.tasks is None and pid in counts else s
        for pid, s in samples.items()
    }


def _without(found: Discovery, gone: set[int]) -> Discovery:
    """Discovery minus processes that exited (or became zombies) before they were sampled.

    A worker whose main process is gone is dropped whole: it is shutting down.
    """
    workers = tuple(
        replace(w, children=tuple(c for c in w.children if c not in gone))
        for w in found.workers
        if w.main_pid not in gone
    )
    kept = {pid for w in workers for pid in w.pids}
    processes = {pid: info for pid, info in found.processes.items() if pid in kept}
    return replace(found, workers=workers, processes=processes)


def run(
    tick: Callable[[], object],
    interval: float,
    stop: threading.Event,
    duration: float | None = None,
) -> int:
    """Call ``tick`` every ``interval`` seconds until ``stop`` is set or ``duration`` passes.

    A tick that overruns its slot is followed at once by the next one: missed slots
    coalesce into one, they never queue. Returns the number of ticks run.
    """
    count = 0
    start = time.monotonic()
    deadline = None if duration is None else start + duration
    due = start
    while not stop.is_set():
        tick()
        count += 1
        now = time.monotonic()
        due = max(due + interval, now)
        if deadline is not None:
            if now >= deadline:
                break
            due = min(due, deadline)
        if stop.wait(due - now):
            break
    return count
