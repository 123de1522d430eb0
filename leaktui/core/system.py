"""Machine-wide memory facts and the limits a process runs under.

RAM and swap come from /proc/meminfo, swap traffic from /proc/vmstat, pressure from
/proc/pressure/memory (PSI, Linux 4.20+). Limits come from /proc/PID/limits (readable for
any user's process, unlike prlimit(2)) and from the process's memory cgroup, v2 or v1,
taking the tightest limit of the cgroup and its ancestors: that is the one the OOM killer
enforces.

Readers take a ``root`` so the cgroup layouts we cannot create here (v2 on a v1 host, a
container's mount root) are tested on a folder laid out like /sys and /proc.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from leaktui.core import procfs
from leaktui.core.model import Pressure, ProcessLimits, RLimit, SystemFacts

# cgroup v1 reports "no limit" as the largest page-aligned signed 64-bit value.
_V1_UNLIMITED = 1 << 62


def _kv_lines(raw: bytes) -> dict[bytes, int]:
    """``Key: 123 kB`` or ``key 123`` lines into a dict of the first number."""
    out: dict[bytes, int] = {}
    for line in raw.split(b"\n"):
        parts = line.replace(b":", b" ").split()
        if len(parts) >= 2 and parts[1].isdigit():
            out[parts[0]] = int(parts[1])
    return out


def read_pressure(root: str = "/") -> Pressure | None:
    """Memory PSI, or ``None`` where the kernel does not provide it."""
    try:
        raw = procfs.read(os.path.join(root, "proc/pressure/memory"))
    except OSError:
        return None
    values: dict[str, float] = {}
    for line in raw.decode().splitlines():
        kind, *fields = line.split()
        for field in fields:
            key, _, value = field.partition("=")
            if key in ("avg10", "avg60"):
                values[f"{kind}_{key}"] = float(value)
    try:
        return Pressure(
            values["some_avg10"],
            values["some_avg60"],
            values.get("full_avg10", 0.0),
            values.get("full_avg60", 0.0),
        )
    except KeyError:
        return None


class SystemReader:
    """Reads SystemFacts; keeps the previous swap counters to turn them into rates."""

    def __init__(self, root: str = "/") -> None:
        self._root = root
        self._previous: tuple[float, int, int] | None = None

    def read(self, now: float) -> SystemFacts:
        meminfo = _kv_lines(procfs.read(os.path.join(self._root, "proc/meminfo")))
        vmstat = _kv_lines(procfs.read(os.path.join(self._root, "proc/vmstat")))
        kib = 1024
        mem_total = meminfo.get(b"MemTotal", 0) * kib
        # MemAvailable exists since Linux 3.14; before that, free + cache is the usual estimate.
        available = meminfo.get(b"MemAvailable")
        if available is None:
            available = meminfo.get(b"MemFree", 0) + meminfo.get(b"Cached", 0)
        swap_total = meminfo.get(b"SwapTotal", 0) * kib
        swap_used = swap_total - meminfo.get(b"SwapFree", 0) * kib
        swap_in, swap_out = vmstat.get(b"pswpin", 0), vmstat.get(b"pswpout", 0)
        in_rate = out_rate = None
        if self._previous is not None:
            then, prev_in, prev_out = self._previous
            elapsed = now - then
            if elapsed > 0:
                in_rate = max(0, swap_in - prev_in) * procfs.PAGE_SIZE / elapsed
                out_rate = max(0, swap_out - prev_out) * procfs.PAGE_SIZE / elapsed
        self._previous = (now, swap_in, swap_out)
        return SystemFacts(
            time=now,
            mem_total=mem_total,
            mem_available=available * kib,
            swap_total=swap_total,
            swap_used=swap_used,
            swap_in_per_s=in_rate,
            swap_out_per_s=out_rate,
            pressure=read_pressure(self._root),
        )


# -- rlimits ---------------------------------------------------------------------------------

_LIMIT_LINE = re.compile(r"^(?P<name>Max [a-z ]+?)\s{2,}(?P<soft>\S+)\s+(?P<hard>\S+)")
_LIMIT_NAMES = {
    "Max address space": "address_space",
    "Max data size": "data",
    "Max resident set": "rss",
    "Max open files": "nofile",
}


def _limit_value(text: str) -> int | None:
    return None if text == "unlimited" else int(text)


def parse_limits(text: str) -> dict[str, RLimit]:
    """The rlimits leaktui cares about, from the text of /proc/PID/limits."""
    out: dict[str, RLimit] = {}
    for line in text.splitlines():
        match = _LIMIT_LINE.match(line)
        if match and match["name"] in _LIMIT_NAMES:
            out[_LIMIT_NAMES[match["name"]]] = RLimit(
                _limit_value(match["soft"]), _limit_value(match["hard"])
            )
    return out


# -- cgroups ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CgroupMount:
    version: int
    root: str
    """The cgroup path mounted (``/`` on a host, deeper inside some containers)."""
    mount_point: str


def cgroup_mounts(root: str = "/") -> list[CgroupMount]:
    """Mounted memory cgroup hierarchies, v1 (memory controller) and v2, from mountinfo."""
    mounts = []
    try:
        text = procfs.read(os.path.join(root, "proc/self/mountinfo")).decode()
    except OSError:
        return mounts
    for line in text.splitlines():
        left, sep, right = line.partition(" - ")
        if not sep:
            continue
        fields, tail = left.split(), right.split()
        if len(fields) < 5 or len(tail) < 3:
            continue
        fstype, superopts = tail[0], tail[2].split(",")
        mount_point = os.path.join(root, fields[4].lstrip("/"))
        if fstype == "cgroup2":
            mounts.append(CgroupMount(2, fields[3], mount_point))
        elif fstype == "cgroup" and "memory" in superopts:
            mounts.append(CgroupMount(1, fields[3], mount_point))
    return mounts


def memory_cgroup(cgroup_text: str) -> tuple[int, str] | None:
    """(version, path) of the memory cgroup in the text of /proc/PID/cgroup.

    A v1 memory controller wins over the v2 entry: on hybrid hosts, v1 holds the memory
    controller and the unified hierarchy has none.
    """
    v2 = None
    for line in cgroup_text.splitlines():
        hierarchy, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if "memory" in controllers.split(","):
            return 1, path
        if hierarchy == "0" and controllers == "":
            v2 = (2, path)
    return v2


def _read_limit(directory: str, version: int) -> int | None:
    name = "memory.max" if version == 2 else "memory.limit_in_bytes"
    try:
        text = procfs.read(os.path.join(directory, name)).decode().strip()
    except OSError:
        return None
    if text == "max" or not text.isdigit():
        return None
    value = int(text)
    return None if version == 1 and value >= _V1_UNLIMITED else value


def cgroup_limit(version: int, path: str, mounts: list[CgroupMount]) -> int | None:
    """The tightest memory limit on the cgroup at ``path`` or any of its ancestors."""
    mount = next((m for m in mounts if m.version == version), None)
    if mount is None:
        return None
    relative = path
    if mount.root != "/" and (path == mount.root or path.startswith(mount.root + "/")):
        relative = path[len(mount.root) :]
    directory = os.path.normpath(os.path.join(mount.mount_point, relative.lstrip("/")))
    tightest = None
    while True:
        limit = _read_limit(directory, version)
        if limit is not None and (tightest is None or limit < tightest):
            tightest = limit
        if os.path.normpath(directory) == os.path.normpath(mount.mount_point):
            return tightest
        parent = os.path.dirname(directory)
        if parent == directory or not parent.startswith(mount.mount_point):
            return tightest
        directory = parent


class LimitsReader:
    """Reads a process's ProcessLimits; reads the cgroup mounts once."""

    def __init__(self, root: str = "/") -> None:
        self._root = root
        self._mounts: list[CgroupMount] | None = None

    def read(self, pid: int) -> ProcessLimits:
        """Raises ``procfs.ProcessGone`` if the process has exited."""
        proc = os.path.join(self._root, "proc", str(pid))
        try:
            limits = parse_limits(procfs.read(os.path.join(proc, "limits")).decode())
        except (FileNotFoundError, ProcessLookupError) as exc:
            raise procfs.ProcessGone(pid) from exc
        except PermissionError:
            limits = {}
        try:
            oom_score: int | None = int(procfs.read(os.path.join(proc, "oom_score")))
        except (OSError, ValueError):
            oom_score = None
        cgroup = limit = None
        try:
            found = memory_cgroup(procfs.read(os.path.join(proc, "cgroup")).decode())
        except OSError:
            found = None
        if found is not None:
            if self._mounts is None:
                self._mounts = cgroup_mounts(self._root)
            version, cgroup = found
            limit = cgroup_limit(version, cgroup, self._mounts)
        return ProcessLimits(oom_score=oom_score, cgroup=cgroup, cgroup_limit=limit, **limits)
