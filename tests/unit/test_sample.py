"""The sampler on real processes: what it reads matches the kernel, and exits never raise."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil
import pytest
from harness import stop_process, wait_for

from leaktui.core.sample import Sampler

MIB = 1 << 20

# A child that allocates on request and opens files, and reports when it has.
CHILD = """
import sys, tempfile
kept, files = [], []
for line in sys.stdin:
    cmd, n = line.split()
    if cmd == "alloc":
        kept.append(b"\\x01" * (int(n) << 20))
    elif cmd == "open":
        files += [tempfile.TemporaryFile() for _ in range(int(n))]
    elif cmd == "spin":
        end = __import__("time").process_time() + float(n)
        while __import__("time").process_time() < end:
            pass
    print("ok", flush=True)
"""


@pytest.fixture
def child():
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )

    def ask(command: str) -> None:
        proc.stdin.write(command + "\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "ok"

    proc.ask = ask
    ask("alloc 0")  # its first answer: Python is running, not a fork still to exec
    try:
        yield proc
    finally:
        stop_process(proc, grace=2)


def test_metrics_match_the_kernel(child) -> None:
    child.ask("alloc 1")
    sampled = Sampler(uss_every=1).sample([child.pid], now=time.time())
    sample = sampled.samples[child.pid]
    info = psutil.Process(child.pid).memory_full_info()
    assert sample.rss == info.rss
    assert sample.vms == info.vms
    assert sample.uss == info.uss
    assert sample.swap == info.swap
    assert sample.num_fds == psutil.Process(child.pid).num_fds()
    assert sample.num_threads == 1
    assert sample.cpu_percent is None, "no CPU figure before a second reading"


def test_rss_growth_and_open_files_show(child) -> None:
    sampler = Sampler()
    before = sampler.sample([child.pid], now=time.time()).samples[child.pid]
    child.ask("alloc 50")
    child.ask("open 20")
    after = sampler.sample([child.pid], now=time.time()).samples[child.pid]
    assert after.rss - before.rss >= 48 * MIB
    assert after.num_fds - before.num_fds == 20


def test_cpu_percent_of_a_busy_process(child) -> None:
    sampler = Sampler()
    sampler.sample([child.pid], now=time.time())
    child.ask("spin 0.3")
    sample = sampler.sample([child.pid], now=time.time()).samples[child.pid]
    assert sample.cpu_percent is not None
    assert sample.cpu_percent > 20


def test_uss_is_read_every_nth_tick_only(child) -> None:
    sampler = Sampler(uss_every=4)
    uss = [sampler.sample([child.pid], now=time.time()).samples[child.pid].uss for _ in range(8)]
    assert sum(u is not None for u in uss) == 2


def test_exited_and_zombie_processes_are_gone_not_errors() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        # Not yet reaped, it is a zombie, as a recycled child is for a moment.
        wait_for(
            lambda: psutil.Process(proc.pid).status() == psutil.STATUS_ZOMBIE,
            10,
            "the child to exit",
        )
        sampled = Sampler().sample([proc.pid], now=time.time())
        assert sampled.gone == (proc.pid,)
    finally:
        proc.wait(timeout=10)
    sampled = Sampler().sample([proc.pid, 1], now=time.time())
    assert sampled.gone == (proc.pid,)
    assert 1 in sampled.samples
