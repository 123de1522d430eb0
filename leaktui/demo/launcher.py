"""Starts the demo: a broker folder, four real workers with the agent, a steady producer.

Everything it starts is stopped, and its temporary folder removed, when the ``Demo``
context ends: normally, on Ctrl-C, on SIGTERM (the caller turns it into SystemExit), and
when the app crashes. Workers run in their own session so a group kill reaches their
pool children too.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from leaktui.core.verdict import Thresholds
from leaktui.taskcount import TaskCounts

#: The demo's workers: node name, pool options, the task the producer feeds it, and its
#: rate (tasks per second).
WORKERS = (
    # Leaks about 1.1 GiB/h: called a leak within 4 minutes on the production thresholds
    # (the first verdict comes at 3 minutes, and at 700 MiB/h the child's start-up now and
    # then left it suspect there), and recycled by Celery at 400 MiB, about 20 minutes in:
    # the limit the verdict counts down to.
    (
        "reports",
        ["-P", "prefork", "-c", "1", "--max-memory-per-child", "409600"],
        "demo.render_report",
        8.0,
    ),
    ("thumbnails", ["-P", "prefork", "-c", "1"], "demo.thumbnail", 10.0),
    ("email", ["-P", "threads", "-c", "4"], "demo.send_email", 5.0),
    ("exports", ["-P", "prefork", "-c", "1"], "demo.export_csv", 2.0),
)


def task_counts() -> TaskCounts:
    """The demo's task counts, asked for four times a floor bin: a count older than its
    bin would read as a process growing while idle. The demo's verdicts are made with the
    production thresholds: its leak is fast and straight enough to be called in minutes."""
    return TaskCounts(every=Thresholds().bin_seconds / 4)


MATCH = "^(reports|thumbnails|email|exports)@leaktui-demo"


@dataclass
class Worker:
    name: str
    proc: subprocess.Popen
    log: Path


class Demo:
    """``with Demo() as demo:`` the workers run and the producer feeds them."""

    def __init__(self, broker: str | None = None) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="leaktui-demo-"))
        self.broker = broker or "filesystem://"
        self.env = {
            **os.environ,
            "LEAKTUI_DEMO_BROKER": self.broker,
            "LEAKTUI_DEMO_FOLDER": str(self.folder / "broker"),
        }
        self.workers: list[Worker] = []
        self._stop = threading.Event()
        self._producer: threading.Thread | None = None

    def __enter__(self) -> Demo:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- starting ---------------------------------------------------------------------------

    def start(self, ready_timeout: float = 90.0) -> None:
        for sub in ("data", "control", "processed"):
            (self.folder / "broker" / sub).mkdir(parents=True, exist_ok=True)
        # The agent's channels go where everyone's do (/tmp/leaktui-UID): a socket's path
        # must stay under 108 bytes, which a folder inside $TMPDIR may not.
        for name, options, _, _ in WORKERS:
            log = self.folder / f"{name}.log"
            argv = [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "leaktui.demo.app",
                "worker",
                "-n",
                f"{name}@leaktui-demo",
                "-Q",
                name,
                "-I",
                "leaktui.agent",
                "-l",
                "info",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                *options,
            ]
            with open(log, "wb") as out:
                proc = subprocess.Popen(
                    argv,
                    env=self.env,
                    cwd=self.folder,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            self.workers.append(Worker(name, proc, log))
        deadline = time.monotonic() + ready_timeout
        for worker in self.workers:
            while " ready." not in worker.log.read_text(errors="replace"):
                if worker.proc.poll() is not None:
                    tail = worker.log.read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"demo worker {worker.name} exited:\n{tail}")
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"demo worker {worker.name} not ready in {ready_timeout:g} s"
                    )
                time.sleep(0.1)
        self._producer = threading.Thread(target=self._produce, name="demo-producer", daemon=True)
        self._producer.start()

    def _produce(self) -> None:
        """Each worker gets its task at its rate, on its own queue, until stopped."""
        from celery import Celery

        from leaktui.demo.app import settings

        app = Celery("leaktui-demo-producer", set_as_current=False)
        app.conf.update(settings(self.broker, self.env["LEAKTUI_DEMO_FOLDER"]))

        rng = random.Random(7)
        period = 0.05
        credit = {name: 0.0 for name, *_ in WORKERS}
        number = 0
        with app.connection_for_write() as connection:
            while not self._stop.wait(period):
                for name, _, task, rate in WORKERS:
                    credit[name] += rate * period
                    while credit[name] >= 1:
                        credit[name] -= 1
                        number += 1
                        args = {
                            "demo.render_report": (number,),
                            "demo.thumbnail": (rng.randrange(450),),
                            "demo.send_email": (f"user{number}@example.com",),
                            "demo.export_csv": (number,),
                        }[task]
                        with contextlib.suppress(Exception):  # a hiccup must not end the demo
                            app.send_task(
                                task,
                                args=args,
                                routing_key=name,
                                queue=name,
                                connection=connection,
                            )

    # -- stopping ---------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the producer and every worker (their pool children too); remove the folder."""
        self._stop.set()
        if self._producer is not None:
            self._producer.join(timeout=5)
        # All at once: one by one, each warm shutdown waited for the one before it, and the
        # last worker outlived the demo by up to a minute.
        for worker in self.workers:
            _signal_group(worker.proc, signal.SIGTERM)
        deadline = time.monotonic() + 10.0
        for worker in self.workers:
            stop_group(worker.proc, grace=max(deadline - time.monotonic(), 0.0), signalled=True)
        self.workers.clear()
        shutil.rmtree(self.folder, ignore_errors=True)


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)


def stop_group(proc: subprocess.Popen, grace: float = 10.0, signalled: bool = False) -> None:
    """SIGTERM the worker's whole session (warm shutdown; ``signalled``: already sent), then
    SIGKILL what is left after ``grace`` seconds."""
    if proc.poll() is None:
        if not signalled:
            _signal_group(proc, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # pool children that outlived their parent
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)
