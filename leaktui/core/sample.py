"""Per-process metrics for one tick.

Default set per process: RSS, VMS, swap and threads (/proc/PID/status), CPU (/proc/PID/stat,
as a delta since the previous tick), open fds (a listing of /proc/PID/fd), and USS
(/proc/PID/smaps_rollup) on every ``uss_every``-th tick only, staggered by pid so that no
single tick pays for all of them. A process that exits mid-read is reported as gone, never
raised; one we may only partly read (another user's) gets ``None`` for what is hidden.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from leaktui.core import procfs
from leaktui.core.model import Sample

#: USS costs ten times the rest (smaps_rollup walks the page tables): by default it is read
#: every 60th tick per process, once a minute at the default 1 s interval.
DEFAULT_USS_EVERY = 60


@dataclass(frozen=True, slots=True)
class Sampled:
    """One tick's samples, and the pids that turned out to be gone."""

    samples: dict[int, Sample]
    gone: tuple[int, ...]


class Sampler:
    """Remembers each pid's previous CPU time, so it can report CPU % per tick."""

    def __init__(self, uss_every: int = DEFAULT_USS_EVERY) -> None:
        if uss_every < 1:
            raise ValueError("uss_every must be at least 1")
        self.uss_every = uss_every
        self._tick = 0
        # pid -> (start ticks, cpu ticks, monotonic time): start ticks detect a reused pid.
        self._cpu: dict[int, tuple[int, int, float]] = {}

    def sample(self, pids: Iterable[int], now: float) -> Sampled:
        """Sample ``pids``; ``now`` (wall time) stamps the samples, CPU uses a monotonic clock."""
        mono = time.monotonic()
        samples: dict[int, Sample] = {}
        gone: list[int] = []
        tick = self._tick
        self._tick += 1
        for pid in pids:
            try:
                samples[pid] = self._one(pid, now, mono, (tick + pid) % self.uss_every == 0)
            except (procfs.ProcessGone, PermissionError, ValueError, IndexError):
                # ValueError/IndexError: a torn read of a process that is exiting.
                gone.append(pid)
        for pid in self._cpu.keys() - samples.keys():
            del self._cpu[pid]
        return Sampled(samples, tuple(gone))

    def _one(self, pid: int, now: float, mono: float, with_uss: bool) -> Sample:
        status = procfs.read_status(pid)
        stat = procfs.read_stat(pid)
        if stat.zombie:
            raise procfs.ProcessGone(pid)
        try:
            fds: int | None = procfs.count_fds(pid)
        except PermissionError:
            fds = None
        uss = None
        if with_uss:
            try:
                uss = procfs.read_uss(pid)
            except PermissionError:
                uss = None
        cpu = None
        previous = self._cpu.get(pid)
        if previous is not None and previous[0] == stat.start_ticks and mono > previous[2]:
            cpu = round(
                (stat.cpu_ticks - previous[1]) / procfs.CLK_TCK / (mono - previous[2]) * 100, 1
            )
        self._cpu[pid] = (stat.start_ticks, stat.cpu_ticks, mono)
        return Sample(
            pid=pid,
            time=now,
            rss=status.rss,
            vms=status.vms,
            uss=uss,
            swap=status.swap,
            num_fds=fds,
            num_threads=status.threads,
            cpu_percent=cpu,
        )
