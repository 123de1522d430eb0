"""Discovery against real Celery workers, started every way they are started in production."""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
from harness import (
    Broker,
    RunningWorker,
    celery_program,
    filesystem_broker,
    run_leaktui,
    start_worker,
    wait_for,
)

from leaktui.core.discover import Discoverer
from leaktui.core.model import Worker
from leaktui.core.monitor import Monitor

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

HOST = socket.gethostname()
SHORT = HOST.split(".")[0]
NOFILE = 1234
FD_COUNT_BY_STAT = os.stat("/proc/self/fd").st_size > 0


def _low_nofile() -> None:
    """Run in the worker before exec: a ulimit -n that leaktui must report."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE, NOFILE))


@dataclass(frozen=True)
class Spec:
    """A worker to start and what leaktui must say about it."""

    args: list[str]
    node: str
    pool: str
    concurrency: int
    children: int
    launcher: str = "script"
    setproctitle: bool = True
    global_args: list[str] | None = None
    low_nofile: bool = False
    extra: dict = field(default_factory=dict)


FLEET = {
    # celery -A leakapp worker …, titled by setproctitle, with memory and task limits.
    "prefork-titled": Spec(
        [
            "-c",
            "2",
            "-n",
            "pf@%h",
            "--max-memory-per-child",
            "200000",
            "--max-tasks-per-child",
            "50",
        ],
        node=f"pf@{HOST}",
        pool="prefork",
        concurrency=2,
        children=2,
        low_nofile=True,
        extra={"max_memory_per_child": 200000 * 1024, "max_tasks_per_child": 50},
    ),
    # python -m celery --app=leakapp worker --pool=threads …: long options with '='.
    "threads-module": Spec(
        ["--pool=threads", "--concurrency=3", "--hostname=th@%h"],
        node=f"th@{HOST}",
        pool="threads",
        concurrency=3,
        children=0,
        launcher="module",
        global_args=["--app=leakapp"],
    ),
    # gevent, without setproctitle, node name from %n.
    "gevent-plain": Spec(
        ["-P", "gevent", "-c", "5", "-n", "gv@%n"],
        node=f"gv@{SHORT}",
        pool="gevent",
        concurrency=5,
        children=0,
        setproctitle=False,
    ),
    # No -n at all, no setproctitle: children carry the main's exact command line.
    "prefork-plain": Spec(
        ["-c", "2"],
        node=f"celery@{HOST}",
        pool="prefork",
        concurrency=2,
        children=2,
        setproctitle=False,
    ),
}


@pytest.fixture(scope="module", params=["filesystem", "redis"])
def fleet(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, RunningWorker]]:
    workdir = tmp_path_factory.mktemp(f"fleet-{request.param}")
    broker: Broker = (
        filesystem_broker(workdir / "broker")
        if request.param == "filesystem"
        else request.getfixturevalue("redis_broker")
    )
    started: dict[str, RunningWorker] = {}
    try:
        for name, spec in FLEET.items():
            started[name] = start_worker(
                workdir,
                broker,
                spec.args,
                launcher=spec.launcher,
                setproctitle=spec.setproctitle,
                global_args=spec.global_args,
                preexec=_low_nofile if spec.low_nofile else None,
            )
        for worker in started.values():
            worker.wait_ready()
        yield started
    finally:
        for worker in started.values():
            worker.stop()


def _found(main_pid: int, expected_children: int) -> Worker | None:
    """Scan until the worker shows with all its pool children (they start before 'ready')."""
    for worker in Discoverer().scan().workers:
        if worker.main_pid == main_pid and len(worker.children) == expected_children:
            return worker
    return None


@pytest.mark.parametrize("name", list(FLEET))
def test_finds_each_worker_with_its_node_pool_and_pids(
    fleet: dict[str, RunningWorker], name: str
) -> None:
    spec, running = FLEET[name], fleet[name]
    worker = wait_for(lambda: _found(running.pid, spec.children), 20, f"{name} to be discovered")
    assert worker.node == spec.node
    assert worker.pool == spec.pool
    assert worker.concurrency == spec.concurrency
    assert worker.command.app == "leakapp"
    expected_children = sorted(p.pid for p in psutil.Process(running.pid).children())
    assert list(worker.children) == expected_children
    for key, value in spec.extra.items():
        assert getattr(worker.command, key) == value


def test_titles_are_set_only_where_setproctitle_is_installed(
    fleet: dict[str, RunningWorker],
) -> None:
    """The fleet really covers both process shapes (else the test above proves less)."""
    titled = psutil.Process(fleet["prefork-titled"].pid).cmdline()[0]
    plain = psutil.Process(fleet["prefork-plain"].pid).cmdline()
    assert titled.startswith("[celeryd: pf@")
    assert not plain[0].startswith("[celeryd")
    child = psutil.Process(fleet["prefork-plain"].pid).children()[0]
    assert child.cmdline() == plain, "untitled children carry the main's command line"


def test_monitor_reports_limits_and_roles(fleet: dict[str, RunningWorker]) -> None:
    main = fleet["prefork-titled"].pid
    wait_for(lambda: _found(main, 2), 20, "prefork-titled to be discovered")
    snapshot = Monitor().tick()
    worker = next(w for w in snapshot.workers if w.main_pid == main)
    roles = {pid: snapshot.processes[pid].role for pid in worker.pids}
    assert roles == {main: "main", **dict.fromkeys(worker.children, "child")}
    for pid in worker.pids:
        limits = snapshot.processes[pid].limits
        assert limits is not None
        assert limits.nofile.soft == NOFILE
        sample = snapshot.samples[pid]
        # Read a moment apart, so equal within a little allocator movement.
        assert abs(sample.rss - psutil.Process(pid).memory_info().rss) < 4 << 20
        assert sample.num_fds is not None
        assert 0 < sample.num_fds <= NOFILE


def test_ps_json_lists_the_fleet(fleet: dict[str, RunningWorker]) -> None:
    for name, spec in FLEET.items():
        wait_for(
            lambda s=spec, n=name: _found(fleet[n].pid, s.children), 20, f"{name} to be discovered"
        )
    result = run_leaktui("ps", "--json")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    document = json.loads(out)
    assert document["host"] == HOST
    by_main = {
        next(p["pid"] for p in w["processes"] if p["role"] == "main"): w
        for w in document["workers"]
    }
    for name, spec in FLEET.items():
        entry = by_main[fleet[name].pid]
        assert entry["worker"] == spec.node
        assert entry["pool"] == spec.pool
        assert entry["concurrency"] == spec.concurrency
        assert entry["app"] == "leakapp"
        assert len(entry["processes"]) == 1 + spec.children
        for process in entry["processes"]:
            assert process["rss_bytes"] > 10 << 20
            assert process["agent"] is False


# -- the ways workers are really started -------------------------------------------------


def test_finds_a_worker_that_execs_celery_after_being_seen(
    tmp_path: Path, fs_broker: Broker
) -> None:
    """supervisord and systemd fork first and exec celery later: the first look is not final."""

    def via_shell(argv: list[str]) -> list[str]:
        return ["sh", "-c", 'sleep 1; exec "$@"', "sh", *argv]

    worker = start_worker(
        tmp_path, fs_broker, ["-P", "threads", "-c", "1", "-n", "late@%h"], wrap=via_shell
    )
    try:
        discoverer = Discoverer()
        first = discoverer.scan()
        assert all(w.main_pid != worker.pid for w in first.workers), "seen before exec"
        found = wait_for(
            lambda: next((w for w in discoverer.scan().workers if w.main_pid == worker.pid), None),
            30,
            "the exec'd worker to be discovered",
        )
        assert found.node == f"late@{HOST}"
    finally:
        worker.stop()


def test_finds_workers_started_by_celery_multi(tmp_path: Path, fs_broker: Broker) -> None:
    """`celery multi start`, what the Celery docs' systemd unit runs: detached workers."""
    env = {
        **os.environ,
        **fs_broker.app_env(),
        "PYTHONPATH": str(Path(__file__).parents[1] / "apps"),
    }
    base = [*celery_program("script"), "multi"]
    options = [
        "-A",
        "leakapp",
        f"--pidfile={tmp_path}/%n.pid",
        f"--logfile={tmp_path}/%n%I.log",
        "-c",
        "2",
        "--without-mingle",
        "--without-gossip",
    ]
    subprocess.run(
        [*base, "start", "m1", *options],
        env=env,
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=60,
    )
    pidfile = tmp_path / "m1.pid"  # in multi, %n is the short name
    try:
        pid = wait_for(
            lambda: pidfile.exists() and pidfile.read_text().strip(),
            30,
            "celery multi to write its pidfile",
        )
        worker = wait_for(lambda: _found(int(pid), 2), 30, "the detached worker to be found")
        assert worker.node == f"m1@{HOST}"
        assert worker.concurrency == 2
    finally:
        subprocess.run(
            [*base, "stopwait", "m1", *options],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            timeout=60,
        )
        if pidfile.exists():  # stopwait failed: do not leave the worker behind
            pid_text = pidfile.read_text().strip()
            if pid_text.isdigit():
                for proc in [
                    psutil.Process(int(pid_text)),
                    *psutil.Process(int(pid_text)).children(),
                ]:
                    proc.send_signal(signal.SIGKILL)


def test_other_users_workers_are_shown_without_crashing(tmp_path: Path, fs_broker: Broker) -> None:
    """Run `leaktui ps` as `nobody` against root's worker: listed, marked, no traceback."""
    if os.geteuid() != 0:
        pytest.skip("needs root, to run leaktui as another user")
    setpriv = subprocess.run(["sh", "-c", "command -v setpriv"], capture_output=True, text=True)
    if setpriv.returncode != 0:
        pytest.skip("setpriv (util-linux) is not installed")
    as_nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    probe = subprocess.run(
        [*as_nobody, sys.executable, "-c", "import leaktui"], capture_output=True, timeout=30
    )
    if probe.returncode != 0:
        pytest.skip("user nobody cannot import leaktui from this checkout")
    worker = start_worker(tmp_path, fs_broker, ["-c", "1", "-n", "root@%h"])
    try:
        worker.wait_ready()
        wait_for(lambda: _found(worker.pid, 1), 20, "the worker to be discovered")
        env = {**os.environ, "HOME": "/tmp"}
        result = run_leaktui("ps", "--json", env=env, as_user=as_nobody)
        assert result.returncode == 0, result.stderr
        entry = next(
            w for w in json.loads(result.stdout)["workers"] if w["worker"] == f"root@{HOST}"
        )
        for process in entry["processes"]:
            assert process["user"] == "root"
            assert process["readable"] is False
            if FD_COUNT_BY_STAT:  # Linux 6.2+ tells anyone the count
                assert process["num_fds"] > 0
            else:  # older kernels: /proc/PID/fd is not ours to list
                assert process["num_fds"] is None
            assert process["rss_bytes"] > 0  # but status is world-readable
        text = run_leaktui("ps", env=env, as_user=as_nobody)
        assert "(no access)" in text.stdout
        assert "Traceback" not in text.stderr
    finally:
        worker.stop()
