"""Discovery stays cheap: a settled pid is never parsed again, a young one is watched."""

from __future__ import annotations

import subprocess
import sys

import pytest
from harness import stop_process

from leaktui.core import discover, procfs
from leaktui.core.discover import Discoverer, boot_clock


def _age(pid: int) -> float:
    """Seconds since the process started; 0 if it has exited meanwhile."""
    try:
        return boot_clock() - procfs.read_stat(pid).start_ticks / procfs.CLK_TCK
    except procfs.ProcessGone:
        return 0.0


@pytest.fixture
def cmdline_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    reads: list[int] = []
    real = procfs.read_cmdline

    def counting(pid: int) -> bytes:
        reads.append(pid)
        return real(pid)

    monkeypatch.setattr(discover.procfs, "read_cmdline", counting)
    return reads


def test_a_settled_host_costs_no_command_line_reads(cmdline_reads: list[int]) -> None:
    later = boot_clock() + 3600  # every process on the host is old by then
    discoverer = Discoverer(clock=lambda: later)
    discoverer.scan()
    assert len(cmdline_reads) > 10, "the first scan reads every pid"
    cmdline_reads.clear()
    discoverer.scan()
    discoverer.scan()
    assert cmdline_reads == []


def test_only_a_young_process_is_looked_at_again(cmdline_reads: list[int]) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"],
        stdin=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        discoverer = Discoverer()
        discoverer.scan()
        cmdline_reads.clear()
        discoverer.scan()
        assert proc.pid in cmdline_reads, "a process a second old may still exec celery"
        assert [p for p in cmdline_reads if _age(p) > 6] == [], "settled pids are left alone"
    finally:
        stop_process(proc, grace=2)
