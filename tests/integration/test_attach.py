"""leaktui attach on real workers started without the agent: every process gets it, the
worker carries on through many attaches, and what cannot be attached to says why."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import pwd
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from harness import send_task, wait_for

from leaktui.attach import AttachError, attach
from leaktui.commands import main
from leaktui.core.discover import Discoverer
from leaktui.remote import ask, has_agent

CAN_ATTACH = sys.platform == "linux" and (
    sys.version_info >= (3, 14) or platform.machine() == "x86_64"
)
pytestmark = [
    pytest.mark.integration,
    pytest.mark.usefixtures("runtime_dir"),
    pytest.mark.timeout(240),
    pytest.mark.skipif(not CAN_ATTACH, reason="attach: sys.remote_exec, or ptrace on x86-64"),
]


def pool_of(pid: int, size: int) -> list[int]:
    def ready() -> list[int] | None:
        kids = sorted(c.pid for c in psutil.Process(pid).children())
        return kids if len(kids) == size else None

    return wait_for(ready, 60, f"{size} pool children")


def test_attach_loads_the_agent_into_the_main_process_and_every_child(
    workers, fs_broker, capsys
) -> None:
    worker = workers.start(fs_broker, ["-c", "2", "-n", "attach@%h"])
    worker.wait_ready()
    kids = pool_of(worker.pid, 2)
    assert not any(has_agent(p) for p in [worker.pid, *kids])
    assert main(["attach", str(kids[0]), "--json"]) == 0  # any process of the worker will do
    outcomes = json.loads(capsys.readouterr().out)
    assert [(o["pid"], o["outcome"]) for o in outcomes] == [
        (worker.pid, "loaded"),
        (kids[0], "loaded"),
        (kids[1], "loaded"),
    ]
    assert main(["ps", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    processes = {p["pid"]: p for w in listed["workers"] for p in w["processes"]}
    assert all(processes[p]["agent"] for p in [worker.pid, *kids])
    for pid in kids:
        ask(pid, {"command": "growth", "limit": 200})  # a baseline
    send_task(fs_broker, "leakapp.keep_things", 3000)
    ran = wait_for(
        lambda: next((p for p in kids if ask(p, {"command": "ping"})["tasks"] == 1), None),
        60,
        "a child to run the task",
    )
    growth = ask(ran, {"command": "growth", "limit": 200})["growth"]
    assert {"type": "leakapp.LeakyThing", "count": 3000, "delta": 3000} in growth
    assert main(["attach", str(worker.pid)]) == 0  # once is enough: the rest say so
    assert capsys.readouterr().out.count("agent already loaded") == 3


def test_a_recycled_child_of_an_attached_worker_has_the_agent(workers, fs_broker) -> None:
    worker = workers.start(fs_broker, ["-c", "1", "--max-tasks-per-child", "1", "-n", "re@%h"])
    worker.wait_ready()
    (first,) = pool_of(worker.pid, 1)
    assert main(["attach", str(worker.pid)]) == 0
    send_task(fs_broker, "leakapp.noop")
    wait_for(lambda: not psutil.pid_exists(first), 60, "the child to be recycled")
    (second,) = wait_for(
        lambda: [p for p in pool_of(worker.pid, 1) if p != first and has_agent(p)] or None,
        60,
        "the new child's channel",
    )
    assert ask(second, {"command": "ping"})["ok"]


def test_twenty_injections_leave_a_busy_worker_working(workers, fs_broker) -> None:
    """attach stops each process for a moment: twenty times into each process of a worker
    that is running tasks, and then the attach itself."""
    from leaktui.attach.ptrace import run_python

    worker = workers.start(fs_broker, ["-c", "2", "-n", "busy@%h"])
    worker.wait_ready()
    kids = pool_of(worker.pid, 2)
    for _ in range(300):
        send_task(fs_broker, "leakapp.pause", 0.02)
    for _ in range(20):
        for pid in [worker.pid, *kids]:
            assert run_python(pid, "pass") in ("now", "queued")
    assert main(["attach", str(worker.pid)]) == 0
    assert pool_of(worker.pid, 2) == kids  # no child died or was replaced
    done = lambda: sum(ask(p, {"command": "ping"})["tasks"] for p in kids)  # noqa: E731
    before = done()
    for _ in range(10):
        send_task(fs_broker, "leakapp.noop")
    wait_for(lambda: done() >= before + 10, 120, "the worker to keep finishing tasks")
    assert worker.proc.poll() is None
    assert "Traceback" not in worker.log.read_text()


def test_a_process_that_is_not_a_celery_worker_is_refused(capsys) -> None:
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as other:
        try:
            assert main(["attach", str(other.pid)]) == 1
            err = capsys.readouterr().err
            assert f"pid {other.pid} is not a process of a Celery worker" in err
            assert err.count("\n") == 1
        finally:
            other.kill()


@pytest.mark.parametrize("pool", ["threads", "gevent"])
def test_attach_to_a_threads_or_gevent_worker(workers, fs_broker, pool: str) -> None:
    worker = workers.start(fs_broker, ["-P", pool, "-c", "4", "-n", f"attach-{pool}@%h"])
    worker.wait_ready()
    assert main(["attach", str(worker.pid)]) == 0
    send_task(fs_broker, "leakapp.keep_things", 500)
    wait_for(lambda: ask(worker.pid, {"command": "ping"})["tasks"] == 1, 60, "the task to run")
    common = ask(worker.pid, {"command": "common", "limit": 200})["common"]
    assert {"type": "leakapp.LeakyThing", "count": 500} in common


def test_a_thread_waiting_in_read_runs_the_code_and_goes_on_reading(tmp_path) -> None:
    """The system call it waited in is restarted with its own arguments: it still reads
    what comes next, whole."""
    from leaktui.attach.ptrace import run_python

    r, w = os.pipe()
    marker = tmp_path / "ran"
    reader = subprocess.Popen(
        [sys.executable, "-c", f"import os; print(os.read({r}, 100).decode(), flush=True)"],
        pass_fds=(r,),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        os.close(r)
        wait_for(
            lambda: Path(f"/proc/{reader.pid}/wchan").read_text() == "anon_pipe_read", 10, "read"
        )
        assert run_python(reader.pid, f"open({str(marker)!r}, 'w').write('yes')") == "now"
        wait_for(marker.exists, 10, "the code to run")
        os.write(w, b"hello")
        out, _ = reader.communicate(timeout=10)
        assert out == "hello\n"
        assert reader.returncode == 0
    finally:
        os.close(w)
        reader.kill()
        reader.wait()


def test_a_process_of_another_python_is_refused_before_it_is_touched() -> None:
    """Another interpreter's functions are elsewhere: leaktui says which file differs and
    never stops the process."""
    from leaktui.attach.ptrace import InjectError, run_python

    mine = Path(sys.executable).resolve()
    candidates = [Path("/usr/bin/python3"), *Path.home().glob(".pyenv/versions/3.*/bin/python3")]
    other = next((p for p in candidates if p.exists() and p.resolve() != mine), None)
    if other is None:
        pytest.skip("no second Python on this machine")
    with subprocess.Popen([str(other), "-c", "import time; time.sleep(60)"]) as proc:
        try:
            with pytest.raises(InjectError, match=r"does not run the same .* as leaktui"):
                run_python(proc.pid, "pass")
            status = Path(f"/proc/{proc.pid}/status").read_text()
            assert "TracerPid:\t0" in status
        finally:
            proc.kill()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root, to become another user")
# 3.12+: the forked child only runs code already imported, and exits.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_worker_of_another_user_is_refused_with_what_to_do(workers, fs_broker) -> None:
    worker = workers.start(fs_broker, ["-c", "1", "-n", "attach-owner@%h"])
    worker.wait_ready()
    said = as_user(pwd.getpwnam("nobody").pw_uid, lambda: attach(worker.pid))
    assert said == (
        f"pid {worker.pid} belongs to user root: run leaktui attach as that user "
        f"(sudo -u root leaktui attach {worker.pid}) or as root"
    )
    assert not has_agent(worker.pid)


def as_user(uid: int, call) -> str:
    """The message of the AttachError that ``call`` raises in a forked child running as
    ``uid``: the code under test is already in memory, so the other user needs no access
    to this interpreter's files. Bounded: the child is killed after 30 s."""
    Discoverer().scan()  # its lazy imports (celery's node names), done while files are ours
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            try:
                call()
                message = "no error"
            except AttachError as exc:
                message = str(exc)
            except Exception as exc:  # shown in the failed assertion
                message = f"{type(exc).__name__}: {exc}"
            os.write(write, message.encode())
        finally:
            os._exit(0)
    os.close(write)
    try:
        with os.fdopen(read, "rb") as pipe:
            wait_for(lambda: select.select([pipe], [], [], 0)[0], 30, "the other user's attach")
            return pipe.read().decode()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)


@pytest.mark.skipif(shutil.which("unshare") is None or os.geteuid() != 0, reason="unshare, root")
def test_a_worker_in_another_mount_namespace_is_refused_before_it_is_touched(
    workers, fs_broker, capsys
) -> None:
    worker = workers.start(
        fs_broker,
        ["-c", "1", "-n", "attach-container@%h"],
        wrap=lambda argv: ["unshare", "--mount", *argv],  # a container's view of the files
    )
    worker.wait_ready()
    assert main(["attach", str(worker.pid)]) == 1
    err = capsys.readouterr().err
    assert f"pid {worker.pid} runs in another container (mount namespace)" in err
    assert err.count("\n") == 1
    assert not has_agent(worker.pid)
    assert worker.proc.poll() is None


GIL_BOUND = r"""
import threading, time
def spin():
    while True:
        sum(range(1000))
for _ in range(3):
    threading.Thread(target=spin, daemon=True).start()
n = 0
while True:
    time.sleep(0.0001)  # and then waits for the GIL, in a futex, most of the time
    n += 1
    if n % 50 == 0:
        print(n, flush=True)
"""


def test_a_main_thread_waiting_for_the_gil_gets_a_queued_call_and_goes_on() -> None:
    """Stopped inside its wait for the GIL, a thread must not be made to take the GIL
    again from there: it never came back (every time, before the fix). Such a wait is in
    the process's own memory, unlike a prefork child's semaphore, so the code is queued."""
    from leaktui.attach.ptrace import run_python

    with subprocess.Popen(
        [sys.executable, "-c", GIL_BOUND], stdout=subprocess.PIPE, bufsize=0
    ) as target:
        try:
            assert target.stdout.readline()  # running
            outcomes = set()
            for _ in range(30):
                outcomes.add(run_python(target.pid, "pass"))
                time.sleep(0.02)  # the queue of pending calls holds 32
            assert "queued" in outcomes
            os.set_blocking(target.stdout.fileno(), False)
            lines: list[bytes] = []

            def read() -> None:
                with contextlib.suppress(BlockingIOError, TypeError):
                    lines.extend((target.stdout.read() or b"").splitlines())

            read()
            lines.clear()  # what it printed before and during the injections

            def progressed() -> bool:
                read()
                return len(lines) >= 2

            wait_for(progressed, 30, "the main thread to go on after the injections")
        finally:
            target.kill()
