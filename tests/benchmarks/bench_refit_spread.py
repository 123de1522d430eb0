"""Cost per tick of live verdicts for 200 processes, and how evenly the refits spread.

    python tests/benchmarks/bench_refit_spread.py [--processes 200] [--ticks 1800]

Feeds an Assessment one tick per second for 200 processes in 25 workers (425 series:
memory and fds of each process, each worker's sum), all started on the same tick, and
prints the mean, p99 and worst time per tick. Every series refits when one of its bins
closes; with one phase per series those refits are spread over the bin's width instead of
landing on the same tick. ``--aligned`` runs with every phase at zero, for comparison.
"""

from __future__ import annotations

import argparse
import random
import time

from leaktui.core import assessment as assessment_module
from leaktui.core.assessment import Assessment
from leaktui.core.model import Row, Sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=200)
    parser.add_argument("--ticks", type=int, default=1800)
    parser.add_argument("--aligned", action="store_true", help="no phases (the old way)")
    args = parser.parse_args()
    if args.aligned:
        assessment_module.zlib.crc32 = lambda data: 0  # every phase zero
    subject = Assessment()
    rng = random.Random(1)
    times = []
    for tick in range(args.ticks):
        t = 1.8e9 + tick
        rows = [
            Row(
                Sample(pid=p, time=t, rss=100_000_000 + rng.randrange(4_000_000), num_fds=10),
                f"w{p // 8}@h",
                "child",
                "h",
            )
            for p in range(args.processes)
        ]
        began = time.perf_counter()
        for _ in subject.feed(rows):
            pass
        times.append(time.perf_counter() - began)
    times.sort()
    mean = sum(times) / len(times)
    print("| processes | ticks at 1 s | bins | mean per tick | p99 | worst |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {args.processes} | {args.ticks} | {'aligned' if args.aligned else 'phased'} | "
        f"{mean * 1e3:.2f} ms | {times[int(0.99 * len(times))] * 1e3:.1f} ms | "
        f"{times[-1] * 1e3:.1f} ms |"
    )


if __name__ == "__main__":
    main()
