"""leaktui's own memory over a simulated long session, and the journal's size on disk.

    python tests/benchmarks/bench_long_session.py [--hours 24] [--processes 200]

Feeds the real Monitor (bounded histories, limits, journal) one tick per simulated second
for 200 processes in 25 workers (1 main + 7 children), as fast as it will go. Children
are recycled under new pids every simulated hour, staggered, as --max-tasks-per-child
does, so that ended processes must be let go. Discovery and /proc sampling are replaced by
a synthetic host: they hold no state that grows (see bench_sampler.py for their cost).

Prints leaktui's RSS every few simulated hours (it must level off), the time per tick, and
the journal's size per process-day.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

import psutil

from leaktui.core.discover import Discovery
from leaktui.core.journal import Journal
from leaktui.core.model import ProcessInfo, ProcessLimits, Sample, Worker, WorkerCommand
from leaktui.core.monitor import Monitor
from leaktui.core.sample import Sampled

MIB = 1 << 20


class SyntheticHost:
    """Workers whose children are replaced, with new pids, every ``recycle`` ticks."""

    def __init__(self, processes: int, recycle: int, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        self.recycle = recycle
        self.tick = 0
        self.next_pid = 10_000
        self.workers: list[list[int]] = []  # [main, child, ...]
        self.born: dict[int, int] = {}
        for _ in range(processes // 8):
            self.workers.append([self._pid() for _ in range(8)])

    def _pid(self) -> int:
        self.next_pid += 1
        self.born[self.next_pid] = self.tick
        return self.next_pid

    def scan(self) -> Discovery:
        self.tick += 1
        for group in self.workers:
            for i in range(1, len(group)):
                pid = group[i]
                if (self.tick + pid) % self.recycle == 0:  # staggered recycling
                    del self.born[pid]
                    group[i] = self._pid()
        workers, processes = [], {}
        for n, group in enumerate(self.workers):
            name = f"w{n}@sim"
            workers.append(
                Worker(
                    name=name,
                    node=name,
                    command=WorkerCommand(node=name),
                    main_pid=group[0],
                    children=tuple(group[1:]),
                )
            )
            for pid in group:
                processes[pid] = ProcessInfo(
                    pid=pid,
                    role="main" if pid == group[0] else "child",
                    worker=name,
                    started=float(self.born[pid]),
                )
        return Discovery(tuple(workers), processes)

    def sample(self, pids: Iterable[int], now: float) -> Sampled:
        rng = self.rng
        samples = {}
        for pid in pids:
            age = self.tick - self.born[pid]
            rss = 60 * MIB + age * 1024 + rng.randrange(4 * MIB)  # a slow leak and noise
            samples[pid] = Sample(
                pid=pid,
                time=now,
                rss=rss,
                vms=rss * 4,
                uss=rss // 2 if (self.tick + pid) % 60 == 0 else None,
                swap=0,
                num_fds=14,
                num_threads=3,
                cpu_percent=round(rng.random() * 5, 1),
            )
        return Sampled(samples, ())

    def read(self, pid: int) -> ProcessLimits:
        return ProcessLimits(oom_score=700)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24)
    parser.add_argument("--processes", type=int, default=200)
    args = parser.parse_args()
    ticks = int(args.hours * 3600)
    host = SyntheticHost(args.processes, recycle=3600)
    me = psutil.Process()
    start_time = 1_800_000_000.0
    clock_tick = [0]

    def clock() -> float:
        return start_time + clock_tick[0]

    print(
        f"{args.processes} processes, {args.hours:g} simulated hours at 1 s "
        f"({ticks} ticks), Python {sys.version.split()[0]}\n"
    )
    print("| simulated | leaktui RSS | journal on disk | wall time |\n|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "long.sqlite"
        journal = Journal(path, host="sim", interval=1)
        monitor = Monitor(
            journal=journal,
            hostname="sim",
            clock=clock,
            discoverer=host,
            sampler=host,
            limits_reader=host,
        )
        began = time.perf_counter()
        checkpoint = max(1, ticks // 12)
        for n in range(1, ticks + 1):
            clock_tick[0] = n
            monitor.tick()
            if n % checkpoint == 0 or n == ticks:
                size = sum(f.stat().st_size for f in Path(folder).iterdir())
                print(
                    f"| {n / 3600:5.1f} h | {me.memory_info().rss / MIB:6.1f} MiB | "
                    f"{size / MIB:8.1f} MiB | {time.perf_counter() - began:6.0f} s |",
                    flush=True,
                )
        elapsed = time.perf_counter() - began
        journal.close()
        size = path.stat().st_size
        process_days = args.processes * args.hours / 24
    print(
        f"\n{elapsed / ticks * 1e3:.2f} ms per tick for {args.processes} processes "
        f"(Monitor.tick with journal)"
    )
    print(
        f"journal: {size / MIB:.0f} MiB after close, {size / process_days / MIB:.1f} MiB "
        f"per process-day, {size / (ticks * args.processes):.1f} bytes per sample"
    )
    tracked = [pid for _, pid in monitor.assessment.latest() if pid is not None]
    print(f"processes with verdict state in memory: {len(tracked)} (live processes only)")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
