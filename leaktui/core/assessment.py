"""Verdicts for a whole recording: each process, each worker's sum, and open files.

Rows are read once, in the order they were recorded, and fed to one LeakTracker per
process (memory and fds) and per worker (the sum of its processes at each tick, and the
tasks they finished, those of ended processes included: what matters when children are
recycled under new pids). Each verdict is therefore the one that was known at that moment,
and the timeline lists them as they changed.

A worker whose children Celery recycles (``--max-tasks-per-child``,
``--max-memory-per-child``) hides a leak twice over: each child lives too briefly for a
verdict of its own, and the sum falls back at every recycling. So each worker's children
are also laid end to end: the growth of every child since it started, added up, is one
series that keeps rising when each child leaks, however often they are replaced.
"""

from __future__ import annotations

import zlib
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, field, replace

from leaktui.core.model import ProcessLimits, Role, Row
from leaktui.core.verdict import LeakTracker, Limit, Thresholds, Verdict

#: An fd count rising by fewer than this many per hour is not called a leak.
FD_MIN_RATE = 10.0


def limits_for(
    limits: ProcessLimits | None, role: Role | None, max_memory_per_child: int | None
) -> list[Limit]:
    """The ceilings a process's RSS will meet: its cgroup, RLIMIT_DATA, Celery's own limit.

    RLIMIT_AS bounds virtual size, not RSS, so it is shown with the ulimits, not projected.
    """
    out = []
    if limits is not None and limits.cgroup_limit is not None:
        out.append(Limit(limits.cgroup_limit, "cgroup"))
    if limits is not None and limits.data.soft is not None:
        out.append(Limit(limits.data.soft, "rlimit-data"))
    if role == "child" and max_memory_per_child is not None:
        # Celery checks a child's RSS after each task: the sawtooth's peak, not its floor.
        out.append(Limit(max_memory_per_child, "max-memory-per-child", peak=True))
    return out


@dataclass(frozen=True, slots=True)
class Assessed:
    """One process's (or, with ``pid`` None, one worker's) verdicts at a moment."""

    worker: str | None
    pid: int | None
    time: float
    memory: Verdict
    fds: Verdict | None = None

    @property
    def fd_leak(self) -> bool:
        """Open files keep growing."""
        return self.fds is not None and self.fds.kind == "leak"

    @property
    def leaking(self) -> bool:
        """Memory or open files leak: what ``leaktui verdict`` exits 1 for."""
        return self.memory.kind == "leak" or self.fd_leak


#: Verdicts from least to most worrying, to pick the worker's between two series.
SEVERITY = {"insufficient": 0, "stable": 1, "warming": 2, "suspect": 3, "leak": 4}


@dataclass(slots=True)
class _Chain:
    """A worker's children laid end to end: each one's growth since it started, summed."""

    tracker: LeakTracker
    first: dict[int, tuple[float, float]] = field(default_factory=dict)
    """Per live child: when it was first seen, and its RSS then."""
    last: dict[int, float] = field(default_factory=dict)
    seen: set[int] = field(default_factory=set)
    carried: float = 0.0
    """The growth of the children that have ended."""
    base: float | None = None
    lives: list[float] = field(default_factory=list)
    """How long the last few ended children lived, seconds."""

    def add(self, time: float, pid: int, rss: float) -> None:
        self.first.setdefault(pid, (time, rss))
        self.last[pid] = rss
        self.seen.add(pid)
        if self.base is None:
            self.base = rss

    def close_tick(self, time: float) -> Verdict:
        """Fold the children not seen this tick into ``carried``; feed the tick's total."""
        for pid in [p for p in self.last if p not in self.seen]:
            born, start = self.first.pop(pid)
            self.carried += self.last.pop(pid) - start
            self.lives = [*self.lives[-7:], time - born]
        self.seen.clear()
        growth = sum(rss - self.first[pid][1] for pid, rss in self.last.items())
        return self.tracker.add(time, (self.base or 0.0) + self.carried + growth)

    @property
    def recycled(self) -> bool:
        return bool(self.lives)

    def worse(self, whole: Verdict, together: Verdict) -> Verdict:
        """The worker's verdict: its sum's, or its children's laid end to end when they
        are recycled and say more."""
        if not self.recycled or SEVERITY[together.kind] <= SEVERITY[whole.kind]:
            return whole
        return replace(
            together,
            level=whole.level,  # the chain's own level is a sum of growths, not a size
            reason=f"children recycled after about {self.life()}, laid end to end: "
            f"{together.reason}",
        )

    def noted(self, child: Verdict) -> Verdict:
        """A child's verdict, saying why it is none yet when its life is too short for one."""
        if not self.recycled or child.kind not in ("insufficient", "suspect", "warming"):
            return child
        return replace(
            child,
            reason=f"{child.reason}; its worker's children are recycled after about "
            f"{self.life()}, so the worker's verdict judges them together",
        )

    def life(self) -> str:
        minutes = sorted(self.lives)[len(self.lives) // 2] / 60
        return f"{minutes:.0f} min"


@dataclass(slots=True)
class _Subject:
    memory: LeakTracker
    fds: LeakTracker | None
    last: Assessed | None = None


@dataclass
class Assessment:
    """Feed rows; read the verdicts now (``current``) and how they changed (``changes``)."""

    thresholds: Thresholds = field(default_factory=Thresholds)
    limits: dict[tuple[str | None, int | None], list[Limit]] = field(default_factory=dict)
    """Limits per (worker, pid); (worker, None) for a worker's sum."""
    _subjects: dict[tuple[str | None, int | None], _Subject] = field(default_factory=dict)
    _sums: dict[str | None, float] = field(default_factory=dict)
    _sum_time: float | None = None
    _tasks: dict[str, dict[int, int]] = field(default_factory=dict)
    """Per worker, each process's latest task count."""
    _tasks_before: dict[str, int] = field(default_factory=dict)
    """Per worker, the tasks of its processes that have ended (live: ``retain``)."""
    _chains: dict[str, _Chain] = field(default_factory=dict)

    def _subject(self, worker: str | None, pid: int | None) -> _Subject:
        key = (worker, pid)
        subject = self._subjects.get(key)
        if subject is None:
            # Spread the series' refits over a bin's width, the same way on every run.
            phase = zlib.crc32(f"{worker}/{pid}".encode()) / 2**32 * self.thresholds.bin_seconds
            fds = None
            if pid is not None:
                fd_thresholds = replace(
                    self.thresholds, min_rate=FD_MIN_RATE, min_relative=0.0, unit="fds"
                )
                fds = LeakTracker(fd_thresholds, phase=phase / 2)
            subject = self._subjects[key] = _Subject(
                LeakTracker(self.thresholds, self.limits.get(key, ()), phase=phase), fds
            )
        return subject

    def feed(self, rows: Iterable[Row]) -> Iterator[Assessed]:
        """Consume rows; yield an Assessed each time a verdict changes (the timeline)."""
        for row in rows:
            s = row.sample
            if self._sum_time is not None and s.time != self._sum_time:
                yield from self._flush_sums()
            self._sum_time = s.time
            if row.worker is not None:
                self._sums[row.worker] = self._sums.get(row.worker, 0) + s.rss
                if s.tasks is not None:
                    self._tasks.setdefault(row.worker, {})[s.pid] = s.tasks
            subject = self._subject(row.worker, s.pid)
            memory = subject.memory.add(s.time, s.rss, s.tasks)
            if row.worker is not None and row.role == "child":
                chain = self._chain(row.worker)
                chain.add(s.time, s.pid, s.rss)
                memory = chain.noted(memory)
            fds = None
            if subject.fds is not None:  # an unknown count (None) leaves the fd verdict as is
                fds = (
                    subject.fds.verdict if s.num_fds is None else subject.fds.add(s.time, s.num_fds)
                )
            changed = _record(subject, Assessed(row.worker, s.pid, s.time, memory, fds))
            if changed is not None:
                yield changed
        yield from self._flush_sums()

    def _chain(self, worker: str) -> _Chain:
        chain = self._chains.get(worker)
        if chain is None:
            phase = zlib.crc32(f"{worker}/children".encode()) / 2**32 * self.thresholds.bin_seconds
            chain = self._chains[worker] = _Chain(LeakTracker(self.thresholds, phase=phase))
        return chain

    def _flush_sums(self) -> Iterator[Assessed]:
        now = self._sum_time or 0.0
        for worker, total in self._sums.items():
            subject = self._subject(worker, None)
            verdict = subject.memory.add(now, total, self._worker_tasks(worker))
            chain = self._chains.get(worker) if worker is not None else None
            if chain is not None:
                together = chain.close_tick(now)
                verdict = chain.worse(verdict, together)
            changed = _record(subject, Assessed(worker, None, now, verdict))
            if changed is not None:
                yield changed
        self._sums = {}

    def _worker_tasks(self, worker: str | None) -> int | None:
        """Tasks the worker has finished: its processes' counts, those that ended included,
        so the total keeps rising when children are recycled. None when none is known."""
        if worker is None or (worker not in self._tasks and worker not in self._tasks_before):
            return None
        return self._tasks_before.get(worker, 0) + sum(self._tasks.get(worker, {}).values())

    def set_limits(self, worker: str | None, pid: int | None, limits: list[Limit]) -> None:
        """The limits a process (or worker sum) runs under; they may change while it runs."""
        self.limits[(worker, pid)] = limits
        subject = self._subjects.get((worker, pid))
        if subject is not None:
            subject.memory.limits = limits

    def retain(self, pids: Container[int]) -> None:
        """Keep only the processes in ``pids`` (worker sums stay): a live monitor must not
        grow with every pid it has ever seen."""
        for key in [
            k
            for k in self._subjects.keys() | self.limits.keys()
            if k[1] is not None and k[1] not in pids
        ]:
            self._subjects.pop(key, None)
            self.limits.pop(key, None)
        for worker, counts in self._tasks.items():
            for pid in [pid for pid in counts if pid not in pids]:
                self._tasks_before[worker] = self._tasks_before.get(worker, 0) + counts.pop(pid)

    def latest(self) -> dict[tuple[str | None, int | None], Assessed]:
        """The verdict each live series has now (without closing its open bin)."""
        return {key: s.last for key, s in self._subjects.items() if s.last is not None}

    def current(self) -> list[Assessed]:
        """The verdicts at the end: each series' open bin closed and judged."""
        out = []
        for (worker, pid), subject in self._subjects.items():
            memory = subject.memory.finish()
            chain = self._chains.get(worker) if worker is not None else None
            if chain is not None and pid is None:
                memory = chain.worse(memory, chain.tracker.finish())
            elif chain is not None:
                memory = chain.noted(memory)
            fds = subject.fds.finish() if subject.fds else None
            time = subject.last.time if subject.last else 0.0
            out.append(Assessed(worker, pid, time, memory, fds))
        return sorted(out, key=lambda a: (a.worker or "", a.pid is None, a.pid or 0))


def _record(subject: _Subject, now: Assessed) -> Assessed | None:
    """Remember the latest; return it if either verdict's kind changed."""
    last, subject.last = subject.last, now
    if last is None:
        return now
    fd_kind = now.fds.kind if now.fds else None
    last_fd = last.fds.kind if last.fds else None
    if now.memory.kind != last.memory.kind or fd_kind != last_fd:
        return now
    return None
