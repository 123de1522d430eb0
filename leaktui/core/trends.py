"""RSS over time for every live process and worker, folded from Snapshots as they arrive.

The UI draws sparklines and charts from this; it is fed the same way live and in replay,
on whichever single thread consumes the Snapshots. Each series is a bounded ``Series``,
and series of processes and workers that are gone are dropped, so it stays bounded
however long the session.
"""

from __future__ import annotations

from leaktui.core.history import Series
from leaktui.core.model import Snapshot


class Trends:
    """Per-pid and per-worker (the sum of its processes) RSS series."""

    def __init__(self, recent: int = 600, max_bins: int = 240) -> None:
        self._recent = recent
        self._max_bins = max_bins
        self.processes: dict[int, Series] = {}
        self.workers: dict[str, Series] = {}
        self.host: dict[str, Series] = {}
        """The machine over the session: ``ram`` in use, ``swap`` in use, and ``workers``,
        the RSS of every worker process summed."""
        self.ram_total: int | None = None
        self.first: float | None = None
        """When the first snapshot was taken: the sparklines span from here to ``last``."""
        self.last: float | None = None
        # pid -> (RSS, USS) at its first sample that read USS, and at its latest.
        self._private: dict[int, tuple[tuple[int, int], tuple[int, int]]] = {}

    def _series(self) -> Series:
        return Series(recent=self._recent, max_bins=self._max_bins)

    def observe(self, snapshot: Snapshot) -> None:
        """Add one tick; forget what this tick no longer shows."""
        if self.first is None:
            self.first = snapshot.time
        self.last = snapshot.time
        for pid, sample in snapshot.samples.items():
            series = self.processes.get(pid)
            if series is None:
                series = self.processes[pid] = self._series()
            series.append(sample.time, sample.rss)
            if sample.uss is not None:
                now = (sample.rss, sample.uss)
                seen = self._private.get(pid)
                self._private[pid] = (seen[0] if seen else now, now)
        for worker in snapshot.workers:
            total = sum(snapshot.samples[p].rss for p in worker.pids if p in snapshot.samples)
            series = self.workers.get(worker.name)
            if series is None:
                series = self.workers[worker.name] = self._series()
            series.append(snapshot.time, total)
        self._observe_host(snapshot)
        for pid in self.processes.keys() - snapshot.samples.keys():
            del self.processes[pid]
            self._private.pop(pid, None)
        for name in self.workers.keys() - {w.name for w in snapshot.workers}:
            del self.workers[name]

    def _observe_host(self, snapshot: Snapshot) -> None:
        values = {"workers": sum(s.rss for s in snapshot.samples.values())}
        system = snapshot.system
        if system is not None:
            values["ram"] = system.mem_total - system.mem_available
            values["swap"] = system.swap_used
            self.ram_total = system.mem_total
        for name, value in values.items():
            series = self.host.get(name)
            if series is None:
                series = self.host[name] = self._series()
            series.append(snapshot.time, value)

    def unshared(self, pid: int) -> tuple[int, int] | None:
        """(bytes by which USS outgrew RSS since the pid was first seen, RSS now): pages
        a pool child shared with the main process and has since copied, which RSS counts
        either way; None before a USS read."""
        seen = self._private.get(pid)
        if seen is None:
            return None
        (rss0, uss0), (rss1, uss1) = seen
        return (uss1 - uss0) - (rss1 - rss0), rss1

    @staticmethod
    def overview(series: Series | None, width: int) -> list[float]:
        """The whole series in at most ``width`` values, oldest first: what a sparkline shows.

        Each value is the mean of an equal slice of the time covered, so the line spans the
        session however long it is, and a slow leak shows as a slope, not as noise.
        """
        if series is None:
            return []
        points = series.points()
        if len(points) <= width:
            return [value for _, value in points]
        first, last = points[0][0], points[-1][0]
        step = (last - first) / width or 1.0
        sums = [0.0] * width
        counts = [0] * width
        for t, value in points:
            slot = min(width - 1, int((t - first) / step))
            sums[slot] += value
            counts[slot] += 1
        out: list[float] = []
        for total, n in zip(sums, counts, strict=True):
            out.append(total / n if n else (out[-1] if out else points[0][1]))
        return out
