"""Small, fast readers of /proc.

The sampler reads every worker process every tick, so this is the hot path: raw reads of
/proc/PID/status and /proc/PID/stat cost less than half of what psutil's ``oneshot()``
costs for the same metrics (docs/performance.md). Everything that is not per-tick goes
through psutil instead.

Each reader raises ``ProcessGone`` when the process has exited (or became a zombie), and
``PermissionError`` when /proc hides it from us; callers decide what that means.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import NamedTuple

PROC = "/proc"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


class ProcessGone(Exception):
    """The process exited between listing it and reading it."""


def _read_all(fd: int) -> bytes:
    """Read to the end; most /proc files fit in the first read."""
    data = os.read(fd, 8192)
    if len(data) < 8192:
        return data
    chunks = [data]
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


def read(path: str) -> bytes:
    """Read a whole /proc (or /sys) file."""
    fd = os.open(path, os.O_RDONLY)
    try:
        return _read_all(fd)
    finally:
        os.close(fd)


def read_pid_file(pid: int, name: str) -> bytes:
    """Read /proc/PID/NAME, turning a vanished process into ``ProcessGone``."""
    try:
        fd = os.open(f"{PROC}/{pid}/{name}", os.O_RDONLY)
    except (FileNotFoundError, ProcessLookupError) as exc:
        raise ProcessGone(pid) from exc
    try:
        return _read_all(fd)
    except ProcessLookupError as exc:  # exited between open and read
        raise ProcessGone(pid) from exc
    finally:
        os.close(fd)


# Status and Stat are NamedTuples, not frozen dataclasses: they are made for every process
# on every tick, and a frozen dataclass's __init__ costs several times more.


class Stat(NamedTuple):
    """The fields of /proc/PID/stat that leaktui uses."""

    ppid: int
    cpu_ticks: int
    """utime + stime, in clock ticks."""
    start_ticks: int
    """Start time in clock ticks after boot: with the pid, a process's identity."""
    zombie: bool


def read_stat(pid: int) -> Stat:
    raw = read_pid_file(pid, "stat")
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    fields = raw[raw.rindex(b")") + 2 :].split()
    return Stat(
        int(fields[1]),
        int(fields[11]) + int(fields[12]),
        int(fields[19]),
        fields[0] in (b"Z", b"X"),
    )


class Status(NamedTuple):
    """The fields of /proc/PID/status that leaktui uses (sizes in bytes)."""

    rss: int
    vms: int
    swap: int
    threads: int
    uid: int


def _number(raw: bytes, key: bytes) -> int | None:
    """The first number after ``key`` (a find in C beats splitting 55 lines in Python)."""
    start = raw.find(key)
    if start < 0:
        return None
    start += len(key)
    return int(raw[start : raw.find(b"\n", start)].split()[0])


def read_status(pid: int) -> Status:
    """RSS, VMS, swap, threads and uid from /proc/PID/status.

    A zombie, or a kernel thread, has no Vm lines: it holds no memory of its own any more,
    and is reported as gone.
    """
    raw = read_pid_file(pid, "status")
    rss = _number(raw, b"\nVmRSS:")
    if rss is None:
        raise ProcessGone(pid)
    uid = raw.find(b"\nUid:")
    return Status(
        rss * 1024,
        (_number(raw, b"\nVmSize:") or 0) * 1024,
        (_number(raw, b"\nVmSwap:") or 0) * 1024,
        _number(raw, b"\nThreads:") or 1,
        int(raw[uid + 5 : raw.find(b"\n", uid + 5)].split()[1]) if uid >= 0 else -1,
    )


def count_fds(pid: int) -> int:
    """Open file descriptors.

    Since Linux 6.2, stat() of /proc/PID/fd gives the count as its size: one system call
    instead of a listing, and allowed for any user's process. Older kernels report 0 there,
    and the listing, which only the owner (or root) may read, is used instead:
    ``PermissionError`` for another user's process.
    """
    path = f"{PROC}/{pid}/fd"
    try:
        return os.stat(path).st_size or len(os.listdir(path))
    except (FileNotFoundError, ProcessLookupError) as exc:
        raise ProcessGone(pid) from exc


def read_uss(pid: int) -> int:
    """Unique set size (private clean + dirty + hugetlb), from smaps_rollup.

    About ten times the cost of the other metrics, and it grows with the process's size.
    """
    raw = read_pid_file(pid, "smaps_rollup")
    total = 0
    for line in raw.split(b"\n"):
        if line.startswith((b"Private_Clean:", b"Private_Dirty:", b"Private_Hugetlb:")):
            total += int(line.split()[1]) * 1024
    return total


def read_cmdline(pid: int) -> bytes:
    return read_pid_file(pid, "cmdline")


def read_environ_value(pid: int, name: str) -> str | None:
    """One variable of a process's environment, if we may read it (same user or root)."""
    try:
        raw = read_pid_file(pid, "environ")
    except (PermissionError, ProcessGone):
        return None
    prefix = name.encode() + b"="
    for entry in raw.split(b"\0"):
        if entry.startswith(prefix):
            return entry[len(prefix) :].decode("utf-8", "replace")
    return None


@lru_cache(maxsize=1)
def boot_time() -> float:
    """Seconds since the epoch at boot, from /proc/stat's ``btime``."""
    for line in read(f"{PROC}/stat").split(b"\n"):
        if line.startswith(b"btime "):
            return float(line.split()[1])
    return 0.0


def start_time(stat: Stat) -> float:
    """A process's start time in seconds since the epoch."""
    return boot_time() + stat.start_ticks / CLK_TCK
