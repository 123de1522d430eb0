"""Round trip of an objgraph growth call, locally and through Redis, by heap size.

    python tests/benchmarks/bench_agent.py [--calls 10]

Starts a private redis-server and one prefork worker (-c 1) with leaktui's agent, then
grows its child to about 100k and 1M tracked objects (LeakyThing instances kept in a
global) and times ``growth`` requests: over the child's local channel, and as a Celery
remote-control command through Redis that the main process relays to the child. Reports
the round trip and the time the agent itself spent (``seconds`` in the answer). Stops
every process it starts.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import psutil  # noqa: E402
from harness import find_redis_server, redis_server, send_task, start_worker, wait_for  # noqa: E402

from leaktui.remote import ask, ask_broker  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10, help="calls per path and size")
    args = parser.parse_args()
    if not find_redis_server():
        sys.exit("bench_agent: needs redis-server on PATH (apt-get install redis-server)")
    with tempfile.TemporaryDirectory() as folder, redis_server(Path(folder)) as broker:
        worker = start_worker(
            Path(folder), broker, ["-c", "1", "-n", "bench-agent@%h", "-I", "leaktui.agent"]
        )
        try:
            worker.wait_ready()
            node = f"bench-agent@{socket.gethostname()}"
            child = worker.child_with_agent()
            print("| tracked objects | path | round trip, median | p95 | in the process |")
            print("|---|---|---|---|---|")
            held = 0
            for target in (100_000, 1_000_000):
                send_task(broker, "leakapp.keep_things", target - held)
                held = target
                wait_for(
                    lambda n=target: ask(child, {"command": "growth", "limit": 5})["objects"] > n,
                    300,
                    f"{target} objects",
                    every=1.0,
                )
                trips: dict[str, list[float]] = {"local": [], "redis": []}
                inside: dict[str, list[float]] = {"local": [], "redis": []}
                objects = 0
                for _ in range(args.calls):  # the two paths in turn, so drift hits both
                    for path in ("local", "redis"):
                        began = time.perf_counter()
                        request = {"command": "growth", "limit": 20}
                        if path == "local":
                            answer = ask(child, request, timeout=120)
                        else:
                            answer = ask_broker(broker.url, child, request, node=node, timeout=120)
                        trips[path].append(time.perf_counter() - began)
                        inside[path].append(answer["seconds"])
                        objects = answer["objects"]
                for path in ("local", "redis"):
                    ordered = sorted(trips[path])
                    p95 = ordered[int(0.95 * (len(ordered) - 1))]
                    spent = statistics.median(inside[path])
                    print(
                        f"| {objects:,} | {path} | {statistics.median(ordered) * 1000:.0f} ms "
                        f"| {p95 * 1000:.0f} ms | {spent * 1000:.0f} ms |",
                        flush=True,
                    )
            rss = psutil.Process(child).memory_info().rss
            print(f"\nthe child's RSS with 1M objects: {rss / (1 << 20):.0f} MiB")
        finally:
            worker.stop()


if __name__ == "__main__":
    main()
