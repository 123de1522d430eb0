"""The README's Quickstart, followed word for word on a fresh copy: it installs leaktui into
a new virtual environment and opens the demo, which shows its workers and quits on q."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import termios
import time
from pathlib import Path

import psutil
import pytest
from test_demo import demo_processes

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]


def quickstart_commands() -> list[str]:
    section = ROOT.joinpath("README.md").read_text().split("## Quickstart", 1)[1].split("\n## ")[0]
    return re.findall(r"```sh\n(.*?)\n```", section, re.S)


def fresh_copy(to: Path) -> Path:
    """The files git knows, as a clone would have them (no .venv, no caches)."""
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, files):
        target = to / name.decode()
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name.decode(), target)
    return to


def test_the_quickstart_installs_and_opens_the_demo(tmp_path: Path) -> None:
    demo_command = quickstart_commands()[0]
    assert demo_command.endswith("leaktui demo"), demo_command
    checkout = fresh_copy(tmp_path / "leaktui")
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["TERM"] = "xterm-256color"
    proc = subprocess.Popen(
        ["bash", "-c", demo_command],
        cwd=checkout,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    seen = b""

    def read(until: float) -> None:
        """Drain the terminal (a full one would block the app) for at most ``until``."""
        nonlocal seen
        ready, _, _ = select.select([master], [], [], min(1.0, max(0.0, until)))
        if ready:
            try:
                seen = (seen + os.read(master, 65536))[-200_000:]
            except OSError:  # the other side closed: the app has exited
                time.sleep(0.05)

    def tail() -> str:
        return seen[-3000:].decode(errors="replace")

    try:
        deadline = time.monotonic() + 480  # the install, then the workers' start
        while b"4 workers" not in seen:
            assert proc.poll() is None, tail()
            assert time.monotonic() < deadline, tail()
            read(deadline - time.monotonic())
        os.write(master, b"q")
        deadline = time.monotonic() + 90  # the demo stops its workers before it exits
        while proc.poll() is None and time.monotonic() < deadline:
            read(deadline - time.monotonic())
        assert proc.returncode == 0, tail()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=60)
        for leftover in demo_processes():  # never leave a worker behind, even on failure
            with contextlib.suppress(psutil.Error):
                leftover.kill()
        os.close(master)
    assert (checkout / ".venv" / "bin" / "leaktui").exists()
    assert not demo_processes()
