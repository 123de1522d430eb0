"""Small, fast readers of /proc.

The sampler reads every worker process every tick, so this is the hot path: raw reads of
/proc/PID/status and /proc/PID/stat cost about 25 µs together where psutil's
``oneshot()`` with the same metrics costs about 90 µs (see FACTS.md). Everything that is
not per-tick goes through psutil instead.

Each reader raises ``ProcessGone`` when the process has exited (or became a zombie), and
``PermissionError`` when /proc hides it from us; callers decide what that means.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

PROC = "/proc"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


class ProcessGone(Exception):
    """The process exited between listing it and reading it."""


def read(path: str) -> bytes:
    """Read a whole /proc file in one system call where it fits (most do)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        data = os.read(fd, 8192)
        if len(data) < 8192:
            return data
        chunks = [data]
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_pid_file(pid: int, name: str) -> bytes:
    """Read /proc/PID/NAME, turning a vanished process into ``ProcessGone``."""
    try:
        return read(f"{PROC}/{pid}/{name}")
    except (FileNotFoundError, ProcessLookupError) as exc:
        raise ProcessGone(pid) from exc


@dataclass(frozen=True, slots=True)
class Stat:
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
        ppid=int(fields[1]),
        cpu_ticks=int(fields[11]) + int(fields[12]),
        start_ticks=int(fields[19]),
        zombie=fields[0] in (b"Z", b"X"),
    )


@dataclass(frozen=True, slots=True)
class Status:
    """The fields of /proc/PID/status that leaktui uses (sizes in bytes)."""

    rss: int
    vms: int
    swap: int
    threads: int
    uid: int


_STATUS_KEYS = (b"VmRSS:", b"VmSize:", b"VmSwap:", b"Threads:", b"Uid:")


def read_status(pid: int) -> Status:
    """RSS, VMS, swap, threads and uid from /proc/PID/status.

    A zombie, or a kernel thread, has no Vm lines: it holds no memory of its own any more,
    and is reported as gone.
    """
    raw = read_pid_file(pid, "status")
    found: dict[bytes, bytes] = {}
    for line in raw.split(b"\n"):
        key = line[: line.find(b":") + 1]
        if key in _STATUS_KEYS:
            found[key] = line[len(key) :]
            if len(found) == len(_STATUS_KEYS):
                break
    if b"VmRSS:" not in found:
        raise ProcessGone(pid)
    return Status(
        rss=int(found[b"VmRSS:"].split()[0]) * 1024,
        vms=int(found.get(b"VmSize:", b"0 kB").split()[0]) * 1024,
        swap=int(found.get(b"VmSwap:", b"0 kB").split()[0]) * 1024,
        threads=int(found.get(b"Threads:", b"1").split()[0]),
        uid=int(found[b"Uid:"].split()[1]) if b"Uid:" in found else -1,  # effective uid
    )


def count_fds(pid: int) -> int:
    """Open file descriptors; ``PermissionError`` for another user's process."""
    try:
        return len(os.listdir(f"{PROC}/{pid}/fd"))
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
