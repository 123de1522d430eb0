"""Record labelled RSS traces from real Celery workers, for bench_verdicts.py.

    python tests/benchmarks/record_traces.py [--minutes 120] [--out tests/benchmarks/traces]

Starts five prefork workers (-c 1, so one child runs every task) on a private redis-server
(kombu's filesystem transport as a fallback: it can kill a worker that reads a message
file while it is being written, celery/kombu#1551), each fed one kind of task every 2 s,
and records them with leaktui's own Monitor every 5 s. A leak is called after 45 minutes of
evidence, so record well beyond that. Writes one sample CSV per worker, named by its label:

- leak-list-fast: a global list that is never cleared, 24 KiB per task (~42 MiB/h)
- leak-list-slow: the same, 2 KiB per task (~3.5 MiB/h)
- lru-cache: a bounded LRU cache of 400 entries of 256 KiB (fills, then stays)
- temporary: 64 MiB allocated and freed by every task
- light: a task that does nothing

Every process it starts is stopped at the end, also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import tempfile
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from harness import (  # noqa: E402
    filesystem_broker,
    find_redis_server,
    publisher,
    redis_server,
    start_worker,
)

from leaktui.core import csvfile, journal  # noqa: E402
from leaktui.core.journal import Journal  # noqa: E402
from leaktui.core.monitor import Monitor, run  # noqa: E402

# label -> (task, args maker)
WORKLOAD = {
    "leak-list-fast": ("leakapp.keep_kib", lambda rng: (24,)),
    "leak-list-slow": ("leakapp.keep_kib", lambda rng: (2,)),
    "lru-cache": ("leakapp.cached", lambda rng: (rng.randrange(2000), 256, 400)),
    "temporary": ("leakapp.temporary", lambda rng: (64,)),
    "light": ("leakapp.noop", lambda rng: ()),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=120)
    parser.add_argument("--out", type=Path, default=HERE / "traces")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as stack:
        work = Path(folder)
        if find_redis_server():
            broker = stack.enter_context(redis_server(work))
        else:
            broker = filesystem_broker(work / "broker")
        workers = [
            start_worker(work, broker, ["-c", "1", "-n", f"{label}@%h", "-Q", label])
            for label in WORKLOAD
        ]
        stop = threading.Event()
        try:
            for w in workers:
                w.wait_ready()
            client = publisher(broker, "producer")
            rng = random.Random(42)

            def produce() -> None:
                with client.connection_for_write() as connection:
                    while not stop.wait(2.0):
                        for label, (task, make) in WORKLOAD.items():
                            client.send_task(
                                task, args=make(rng), queue=label, connection=connection
                            )

            producer = threading.Thread(target=produce, daemon=True)
            producer.start()
            session = work / "traces.sqlite"
            with Journal(session, host="bench", interval=5) as store:
                monitor = Monitor(
                    journal=store,
                    hostname="bench",
                    match="|".join(f"^{label}@" for label in WORKLOAD),
                )
                ticks = run(monitor.tick, 5.0, stop, duration=args.minutes * 60)
            stop.set()
            producer.join(timeout=10)
            rows = list(journal.read_journal(session))
            for label in WORKLOAD:
                mine = [r for r in rows if r.worker and r.worker.startswith(f"{label}@")]
                csvfile.write_csv(mine, args.out / f"{label}.csv")
                print(f"{label}: {len(mine)} rows", flush=True)
            print(f"{ticks} ticks over {args.minutes:g} min", flush=True)
        finally:
            stop.set()
            for w in workers:
                w.stop()


if __name__ == "__main__":
    main()
