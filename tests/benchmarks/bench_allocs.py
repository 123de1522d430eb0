"""What allocs and attach cost a worker: task throughput while tracing, an allocs round
trip, and the time an attach takes.

    python tests/benchmarks/bench_allocs.py [--tasks 200] [--rows 2000] [--rounds 3]
                                            [--frames 1,4,10]

Starts a private redis-server and prefork workers (-c 1) of the tests' app, and stops
every process it starts.

- Throughput: ``--tasks`` runs of ``leakapp.busy`` (a task that builds ``--rows`` dicts
  and dumps them as JSON, keeping nothing) are sent at once, and timed from the first
  send to the child's last finish: without tracing, then inside an allocs window of each
  of ``--frames`` (the window opens before the tasks are sent and closes after the last).
  Rounds alternate the modes, and the median of ``--rounds`` is reported.
- Round trip: ``allocs --seconds 0.5`` on an idle child, minus the half second.
- Attach: ``leaktui attach`` on a worker started without the agent (the main process and
  its child), from the call to both channels answering.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import psutil  # noqa: E402
from harness import find_redis_server, redis_server, send_task, start_worker, wait_for  # noqa: E402

from leaktui.attach import attach  # noqa: E402
from leaktui.remote import ask  # noqa: E402


def tasks_done(pid: int) -> int:
    return ask(pid, {"command": "ping"})["tasks"]


def timed_batch(broker, child: int, count: int, rows: int) -> float:
    """Seconds from the first send to the child's last finish of ``count`` busy tasks."""
    before = tasks_done(child)
    began = time.perf_counter()
    for _ in range(count):
        send_task(broker, "leakapp.busy", rows)
    wait_for(lambda: tasks_done(child) >= before + count, 600, f"{count} tasks", every=0.01)
    return time.perf_counter() - began


def traced_batch(broker, child: int, count: int, rows: int, frames: int) -> float:
    """The same batch inside an allocs window of ``frames`` frames."""
    request = {"command": "allocs", "tasks": count, "seconds": 600, "frames": frames, "limit": 5}
    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(ask, child, request, 660)
        wait_for(lambda: ask(child, {"command": "ping"})["allocs"]["window"], 10, "the window")
        seconds = timed_batch(broker, child, count, rows)
        answer.result(timeout=660)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=200, help="tasks per batch")
    parser.add_argument("--rows", type=int, default=2000, help="dicts each task builds")
    parser.add_argument("--rounds", type=int, default=3, help="batches per mode")
    parser.add_argument(
        "--frames",
        type=lambda text: [int(f) for f in text.split(",")],
        default=[1, 4, 10],
        help="frames per allocation to trace with, comma-separated (default: 1,4,10)",
    )
    args = parser.parse_args()
    if not find_redis_server():
        sys.exit("bench_allocs: needs redis-server on PATH (apt-get install redis-server)")
    with tempfile.TemporaryDirectory() as folder, redis_server(Path(folder)) as broker:
        worker = start_worker(
            Path(folder), broker, ["-c", "1", "-n", "bench-allocs@%h", "-I", "leaktui.agent"]
        )
        try:
            worker.wait_ready()
            child = worker.child_with_agent()
            timed_batch(broker, child, 50, args.rows)  # warm up: imports, caches
            modes: dict[str, int | None] = {"no tracing": None}
            modes |= {f"tracing, {f} frame{'s' if f > 1 else ''}": f for f in args.frames}
            seconds: dict[str, list[float]] = {mode: [] for mode in modes}
            for _ in range(args.rounds):
                for mode, frames in modes.items():
                    if frames is None:
                        seconds[mode].append(timed_batch(broker, child, args.tasks, args.rows))
                    else:
                        seconds[mode].append(
                            traced_batch(broker, child, args.tasks, args.rows, frames)
                        )
            print(
                f"Throughput of one prefork child, {args.tasks} tasks of leakapp.busy "
                f"({args.rows} dicts each), median of {args.rounds} rounds:\n"
            )
            print("| mode | tasks/s | time per task | slower by |")
            print("|---|---|---|---|")
            plain = statistics.median(seconds["no tracing"])
            for mode in modes:
                s = statistics.median(seconds[mode])
                print(
                    f"| {mode} | {args.tasks / s:.0f} | {s / args.tasks * 1000:.2f} ms "
                    f"| {(s / plain - 1) * 100:+.0f} % |"
                )
            trips = []
            for _ in range(5):
                answer = ask(child, {"command": "allocs", "seconds": 0.5}, 30)
                trips.append(answer["round_trip"] - answer["seconds_traced"])
            print(
                f"\nallocs round trip beyond its window (0.5 s, idle child, 5 calls): "
                f"median {statistics.median(trips) * 1000:.0f} ms, "
                f"max {max(trips) * 1000:.0f} ms"
            )
        finally:
            worker.stop()
        times = []
        for i in range(args.rounds):
            bare = start_worker(Path(folder), broker, ["-c", "1", "-n", f"bench-bare{i}@%h"])
            try:
                bare.wait_ready()
                wait_for(lambda b=bare: psutil.Process(b.pid).children() or None, 60, "a child")
                began = time.perf_counter()
                outcomes = attach(bare.pid)
                times.append(time.perf_counter() - began)
                assert all(o.outcome == "loaded" for o in outcomes), outcomes
            finally:
                bare.stop()
        print(
            f"attach (main process and one child, until both channels answer), "
            f"{args.rounds} workers: median {statistics.median(times) * 1000:.0f} ms, "
            f"max {max(times) * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
