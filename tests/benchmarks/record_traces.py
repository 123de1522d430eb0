"""Record labelled RSS traces from real Celery workers, for bench_verdicts.py.

    python tests/benchmarks/record_traces.py [--minutes 40] [--out tests/benchmarks/traces/real]

Needs the bench extra (`pip install -e '.[bench]'`: Django, SQLAlchemy, requests). Starts
one worker per scenario on a private redis-server, each loading leaktui's agent (so the
samples carry task counts) and fed its own kind of task by one producer thread, and
records them all with leaktui's own Monitor every second. Writes one sample CSV per
scenario, named by its label, and ``scenarios.json``: for each, whether it leaks, when the
leak begins (seconds after the first sample), which series a verdict is read from (the
pool child, the main process of a pool without children, or the worker's sum when
children are recycled), and what it does.

The traces in ``traces/*.csv`` (5 s sampling, one child each) were made by this script's
first version, which is in the project's history.

Every process it starts is stopped at the end, also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from harness import publisher, redis_server, start_worker  # noqa: E402

from leaktui.core import csvfile, journal  # noqa: E402
from leaktui.core.atomic import atomic_write  # noqa: E402
from leaktui.core.journal import Journal  # noqa: E402
from leaktui.core.monitor import Monitor, run  # noqa: E402
from leaktui.taskcount import TaskCounts  # noqa: E402

#: The late leak begins this many seconds after the recording does.
LATE_ONSET = 12 * 60


@dataclass(frozen=True)
class Scenario:
    label: str
    pool: list[str]
    """The worker's pool options."""
    task: str
    every: float
    """Seconds between two tasks."""
    args: Callable[[random.Random, float], tuple]
    """The task's arguments, from a random source and the recording's start."""
    leak: bool
    subject: str
    """Where the verdict is read: ``child``, ``main`` or ``worker`` (the sum)."""
    what: str
    onset: float = 0.0
    """Seconds after the recording's start when the leak begins."""


SCENARIOS = [
    Scenario(
        "leak-list-prefork",
        ["-P", "prefork", "-c", "1"],
        "scenarios.keep",
        0.5,
        lambda rng, t0: (12,),
        True,
        "child",
        "a module-level list, 12 KiB per task, 2 tasks/s (~85 MiB/h)",
    ),
    Scenario(
        "leak-list-threads",
        ["-P", "threads", "-c", "4"],
        "scenarios.keep",
        0.25,
        lambda rng, t0: (4,),
        True,
        "main",
        "the same on the threads pool, 4 KiB per task, 4 tasks/s (~57 MiB/h)",
    ),
    Scenario(
        "leak-list-gevent",
        ["-P", "gevent", "-c", "8"],
        "scenarios.keep",
        0.25,
        lambda rng, t0: (2,),
        True,
        "main",
        "the same on the gevent pool, 2 KiB per task, 4 tasks/s (~28 MiB/h)",
    ),
    Scenario(
        "leak-django-debug",
        ["-P", "prefork", "-c", "1"],
        "scenarios.django_query",
        0.5,
        lambda rng, t0: (rng.randrange(10**6),),
        True,
        "child",
        "Django with DEBUG = True logging a 3 KiB query per task, 2 tasks/s",
    ),
    Scenario(
        "leak-sqlalchemy",
        ["-P", "prefork", "-c", "1"],
        "scenarios.orm_report",
        0.5,
        lambda rng, t0: (rng.randrange(10**6),),
        True,
        "child",
        "a long-lived SQLAlchemy session whose identity map keeps every report",
    ),
    Scenario(
        "leak-native",
        ["-P", "prefork", "-c", "1"],
        "scenarios.native",
        0.5,
        lambda rng, t0: (4,),
        True,
        "child",
        "C malloc with no free, 4 KiB per task, 2 tasks/s (~28 MiB/h)",
    ),
    Scenario(
        "leak-late",
        ["-P", "prefork", "-c", "1"],
        "scenarios.keep_after",
        0.5,
        lambda rng, t0: (8, t0 + LATE_ONSET),
        True,
        "child",
        f"nothing kept for {LATE_ONSET // 60} min, then 8 KiB per task (~56 MiB/h)",
        onset=LATE_ONSET,
    ),
    Scenario(
        "leak-recycled",
        ["-P", "prefork", "-c", "2", "--max-tasks-per-child", "400"],
        "scenarios.keep",
        0.5,
        lambda rng, t0: (24,),
        True,
        "worker",
        "24 KiB per task, children recycled after 400 tasks (every 3.3 min: one child "
        "takes them all)",
    ),
    Scenario(
        "lru-cache",
        ["-P", "prefork", "-c", "1"],
        "scenarios.cached",
        0.5,
        lambda rng, t0: (rng.randrange(2500),),
        False,
        "child",
        "an LRU cache of 2000 entries of 8 KiB, keys drawn from 2500: fills, slower "
        "and slower, then stops",
    ),
    Scenario(
        "transient",
        ["-P", "prefork", "-c", "1"],
        "scenarios.transient",
        2.0,
        lambda rng, t0: (rng.choice((16, 64, 128)),),
        False,
        "child",
        "16 to 128 MiB allocated, touched and freed by each task",
    ),
    Scenario(
        "gc-cycles",
        ["-P", "prefork", "-c", "1"],
        "scenarios.cycles",
        0.5,
        lambda rng, t0: (rng.randrange(500, 3000),),
        False,
        "child",
        "garbage in reference cycles, freed when the collector runs",
    ),
    Scenario(
        "requests-session",
        ["-P", "threads", "-c", "4"],
        "scenarios.http_get",
        0.25,
        lambda rng, t0: (),
        False,
        "main",
        "a requests.Session per task, never closed, nothing keeps it",
    ),
    Scenario(
        "light",
        ["-P", "prefork", "-c", "2"],
        "scenarios.noop",
        0.5,
        lambda rng, t0: (),
        False,
        "child",
        "a task that does nothing",
    ),
]


class _Page(BaseHTTPRequestHandler):
    body = b"x" * (16 << 10)

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=40)
    parser.add_argument("--out", type=Path, default=HERE / "traces" / "real")
    parser.add_argument("--only", help="a comma-separated list of labels to record")
    args = parser.parse_args()
    chosen = [s for s in SCENARIOS if not args.only or s.label in args.only.split(",")]
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as stack:
        work = Path(folder)
        broker = stack.enter_context(redis_server(work))
        http = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
        stack.callback(http.server_close)
        threading.Thread(target=http.serve_forever, daemon=True).start()
        stack.callback(http.shutdown)
        os.environ["SCENARIO_HTTP"] = f"http://127.0.0.1:{http.server_address[1]}/"
        workers = [
            start_worker(
                work,
                broker,
                [*s.pool, "-I", "leaktui.agent", "-n", f"{s.label}@%h", "-Q", s.label],
                global_args=["-A", "scenarios"],
            )
            for s in chosen
        ]
        stop = threading.Event()
        try:
            for w in workers:
                w.wait_ready()
            client = publisher(broker, "producer")
            rng = random.Random(42)
            start = time.time()

            def produce() -> None:
                due = {s.label: start for s in chosen}
                with client.connection_for_write() as connection:
                    while not stop.wait(0.05):
                        now = time.time()
                        for s in chosen:
                            while due[s.label] <= now:
                                client.send_task(
                                    s.task,
                                    args=s.args(rng, start),
                                    queue=s.label,
                                    connection=connection,
                                )
                                due[s.label] += s.every

            producer = threading.Thread(target=produce, daemon=True)
            producer.start()
            session = work / "traces.sqlite"
            with Journal(session, host="bench", interval=1) as store, TaskCounts() as counts:
                monitor = Monitor(
                    journal=store,
                    hostname="bench",
                    match="|".join(f"^{s.label}@" for s in chosen),
                    task_counts=counts,
                )
                ticks = run(monitor.tick, 1.0, stop, duration=args.minutes * 60)
            stop.set()
            producer.join(timeout=10)
            rows = list(journal.read_journal(session))
            labels = args.out / "scenarios.json"
            # With --only, the other scenarios' labels stay as they were.
            manifest = json.loads(labels.read_text()) if labels.exists() else {}
            for s in chosen:
                mine = [r for r in rows if r.worker and r.worker.startswith(f"{s.label}@")]
                csvfile.write_csv(mine, args.out / f"{s.label}.csv")
                first = min(r.sample.time for r in mine)
                entry = asdict(s)
                for key in ("label", "task", "args", "every"):
                    entry.pop(key)
                entry["onset"] = round(max(0.0, start + s.onset - first), 1)
                manifest[s.label] = entry
                print(f"{s.label}: {len(mine)} rows", flush=True)
            with atomic_write(labels) as handle:
                json.dump(manifest, handle, indent=1)
            print(f"{ticks} ticks over {args.minutes:g} min", flush=True)
        finally:
            stop.set()
            for w in workers:
                w.stop()


if __name__ == "__main__":
    main()
