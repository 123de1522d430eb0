"""Sampler cost per process per tick, and journal cost per tick, on 200 live processes.

    python tests/benchmarks/bench_sampler.py [--processes 200] [--ticks 300]

Starts N Python processes that each hold 30 MiB (about a small Celery child), then times:
- leaktui's Sampler with its default metric set (RSS, VMS, swap, threads, fds, CPU; USS
  every 60th tick), per process per tick;
- the same with USS on every tick, and psutil's oneshot() with the same metrics, for scale;
- Discoverer.scan on the host with those processes, first and steady state, per scan;
- Journal.append of those samples (25 workers of 8 processes), per tick.
Prints a table; stops every process it started.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import MappingProxyType

import psutil

from leaktui.core.discover import Discoverer
from leaktui.core.journal import Journal
from leaktui.core.model import ProcessInfo, Snapshot, Worker, WorkerCommand
from leaktui.core.sample import Sampler

HOLDER = "import sys; x = b'\\x01' * (30 << 20); sys.stdin.read()"


def start(procs: list[subprocess.Popen], n: int) -> None:
    """Start ``n`` holders into ``procs`` (so the caller can stop them whatever happens)."""
    procs.extend(
        subprocess.Popen([sys.executable, "-c", HOLDER], stdin=subprocess.PIPE) for _ in range(n)
    )
    deadline = time.monotonic() + 120
    for p in procs:  # wait until each holds its memory
        while psutil.Process(p.pid).memory_info().rss < 30 << 20:
            if time.monotonic() > deadline:
                raise TimeoutError("processes did not start")
            time.sleep(0.01)


def interleaved(variants: dict[str, object], pids: list[int], rounds: int) -> dict[str, list]:
    """CPU µs per process per tick for each variant, run in turn each round.

    CPU time (this thread's), because that is what sampling costs the host; wall time on a
    shared VM also counts the time a neighbour held the core. Interleaving makes what noise
    remains fall on every variant alike.
    """
    out: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, fn in variants.items():
            t0 = time.thread_time()
            fn(pids)
            out[name].append((time.thread_time() - t0) / len(pids) * 1e6)
    return out


def psutil_oneshot(pids: list[int]) -> None:
    for pid in pids:
        p = psutil.Process(pid)
        with p.oneshot():
            p.memory_info()
            p.cpu_percent()
            p.num_threads()
            p.num_fds()


def snapshots(pids: list[int], sampler: Sampler, ticks: int):
    """Real samples, grouped as 25 workers of 1 main + 7 children."""
    groups = [pids[i : i + 8] for i in range(0, len(pids), 8)]
    workers = tuple(
        Worker(
            name=f"w{i}@bench",
            node=f"w{i}@bench",
            command=WorkerCommand(node=f"w{i}@bench"),
            main_pid=g[0],
            children=tuple(g[1:]),
        )
        for i, g in enumerate(groups)
    )
    infos = MappingProxyType(
        {
            pid: ProcessInfo(
                pid=pid, role="main" if pid == w.main_pid else "child", worker=w.name, started=1.0
            )
            for w in workers
            for pid in w.pids
        }
    )
    for tick in range(ticks):
        now = time.time()
        yield Snapshot(
            tick=tick,
            time=now,
            host="bench",
            workers=workers,
            processes=infos,
            samples=MappingProxyType(sampler.sample(pids, now).samples),
        )


def row(name: str, values: list[float], unit: str) -> str:
    values = sorted(values)
    p95 = values[int(len(values) * 0.95) - 1]
    return (
        f"| {name} | {statistics.mean(values):.1f} {unit} | {statistics.median(values):.1f} "
        f"{unit} | {p95:.1f} {unit} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=200)
    parser.add_argument("--ticks", type=int, default=300)
    args = parser.parse_args()
    procs: list[subprocess.Popen] = []
    try:
        start(procs, args.processes)
        pids = [p.pid for p in procs]
        samplers = {
            "Sampler without USS": Sampler(uss_every=10**9),
            "Sampler, default set (USS every 60th tick)": Sampler(),
            "Sampler, USS every tick": Sampler(uss_every=1),
        }
        for sampler in samplers.values():
            sampler.sample(pids, time.time())  # warm: CPU baselines
        variants = {
            name: (lambda ps, s=s: s.sample(ps, time.time())) for name, s in samplers.items()
        }
        variants["psutil oneshot(): memory, CPU, threads, fds"] = psutil_oneshot
        results = [
            (name, values, "µs") for name, values in interleaved(variants, pids, args.ticks).items()
        ]
        first = []
        for _ in range(5):  # a fresh Discoverer: every pid on the host is new
            t0 = time.thread_time()
            Discoverer().scan()
            first.append((time.thread_time() - t0) * 1e3)
        discoverer = Discoverer()
        discoverer.scan()
        steady = []
        for _ in range(args.ticks):  # later scans: only the pid diff
            t0 = time.thread_time()
            discoverer.scan()
            steady.append((time.thread_time() - t0) * 1e3)
        host = len(psutil.pids())
        results.append((f"Discoverer.scan, first ({host} pids on the host)", first, "ms"))
        results.append((f"Discoverer.scan, each later tick ({host} pids)", steady, "ms"))
        with tempfile.TemporaryDirectory() as folder:
            journal = Journal(Path(folder) / "bench.sqlite", host="bench", interval=1)
            times = []
            for snap in snapshots(pids, Sampler(), args.ticks):
                t0 = time.perf_counter()  # wall time: the journal also waits on the disk
                journal.append(snap)
                times.append((time.perf_counter() - t0) * 1e3)
            journal.close()
            results.append((f"Journal.append, one tick of {len(pids)} samples", times, "ms"))
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait()
    print(
        f"{args.processes} processes of 30 MiB, {args.ticks} ticks, "
        f"Python {sys.version.split()[0]}, {psutil.cpu_count()} cores\n"
    )
    print("Sampling: CPU time per process per tick. Journal: wall time per tick.\n")
    print("| what | mean | median | p95 |\n|---|---|---|---|")
    for name, values, unit in results:
        print(row(name, values, unit))
    by_name = {name: values for name, values, _ in results}
    ratio = statistics.median(
        by_name["Sampler, default set (USS every 60th tick)"]
    ) / statistics.median(by_name["psutil oneshot(): memory, CPU, threads, fds"])
    print(f"\nDefault set / psutil oneshot(), medians of this run: {ratio:.2f}")


if __name__ == "__main__":
    main()
