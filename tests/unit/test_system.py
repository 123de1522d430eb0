"""System facts and limits, on the real /proc and on cgroup layouts this host does not have."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from harness import stop_process

from leaktui.core.model import RLimit
from leaktui.core.system import (
    LimitsReader,
    SystemReader,
    cgroup_limit,
    cgroup_mounts,
    memory_cgroup,
    parse_limits,
)

GIB = 1 << 30


def test_system_facts_match_psutil() -> None:
    facts = SystemReader().read(now=1.0)
    vm, swap = psutil.virtual_memory(), psutil.swap_memory()
    assert facts.mem_total == vm.total
    assert abs(facts.mem_available - vm.available) < 256 << 20
    assert facts.swap_total == swap.total
    assert facts.swap_in_per_s is None, "no rate before a second reading"


def test_swap_rates_come_from_two_readings() -> None:
    reader = SystemReader()
    reader.read(now=1.0)
    second = reader.read(now=2.0)
    assert second.swap_in_per_s is not None
    assert second.swap_in_per_s >= 0
    assert second.swap_out_per_s is not None


def test_pressure_is_read_where_the_kernel_has_it() -> None:
    facts = SystemReader().read(now=1.0)
    if Path("/proc/pressure/memory").exists():
        assert facts.pressure is not None
        assert 0 <= facts.pressure.some_avg10 <= 100
    else:
        assert facts.pressure is None


def test_limits_of_a_real_process() -> None:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (321, 654))
        resource.setrlimit(resource.RLIMIT_AS, (8 * GIB, resource.RLIM_INFINITY))

    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"],
        stdin=subprocess.PIPE,
        preexec_fn=limit,
        start_new_session=True,
    )
    try:
        limits = LimitsReader().read(proc.pid)
    finally:
        stop_process(proc, grace=2)
    assert limits.nofile == RLimit(321, 654)
    assert limits.address_space == RLimit(8 * GIB, None)
    assert limits.oom_score is not None
    assert limits.cgroup is not None


LIMITS_TEXT = """\
Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max data size             unlimited            unlimited            bytes
Max resident set          unlimited            unlimited            bytes
Max open files            1024                 524288               files
Max address space         4294967296           unlimited            bytes
"""


def test_parse_limits() -> None:
    assert parse_limits(LIMITS_TEXT) == {
        "data": RLimit(None, None),
        "rss": RLimit(None, None),
        "nofile": RLimit(1024, 524288),
        "address_space": RLimit(4294967296, None),
    }


# -- cgroups on a folder laid out like a host ------------------------------------------------


def _tree(root: Path, mountinfo: str, files: dict[str, str]) -> None:
    (root / "proc/self").mkdir(parents=True)
    (root / "proc/self/mountinfo").write_text(mountinfo)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


V2_MOUNTINFO = "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
V1_MOUNTINFO = (
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
)


def test_cgroup_v2_takes_the_tightest_ancestor(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        V2_MOUNTINFO,
        {
            "sys/fs/cgroup/system.slice/memory.max": str(2 * GIB),
            "sys/fs/cgroup/system.slice/celery.service/memory.max": "max",
        },
    )
    found = memory_cgroup("0::/system.slice/celery.service\n")
    assert found == (2, "/system.slice/celery.service")
    assert cgroup_limit(*found, cgroup_mounts(str(tmp_path))) == 2 * GIB


def test_cgroup_v2_unlimited(tmp_path: Path) -> None:
    _tree(tmp_path, V2_MOUNTINFO, {"sys/fs/cgroup/user.slice/memory.max": "max"})
    assert cgroup_limit(2, "/user.slice", cgroup_mounts(str(tmp_path))) is None


def test_cgroup_v1_on_a_hybrid_host(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        V1_MOUNTINFO,
        {
            "sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712",
            "sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": str(512 << 20),
        },
    )
    found = memory_cgroup("12:pids:/docker/abc\n4:memory:/docker/abc\n0::/docker/abc\n")
    assert found == (1, "/docker/abc"), "the v1 memory controller wins on a hybrid host"
    assert cgroup_limit(*found, cgroup_mounts(str(tmp_path))) == 512 << 20


def test_cgroup_inside_a_container_whose_mount_root_is_its_own_cgroup(tmp_path: Path) -> None:
    mountinfo = "35 31 0:32 /docker/abc /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n"
    _tree(tmp_path, mountinfo, {"sys/fs/cgroup/memory/memory.limit_in_bytes": str(256 << 20)})
    assert cgroup_limit(1, "/docker/abc", cgroup_mounts(str(tmp_path))) == 256 << 20


@pytest.mark.parametrize("text", ["", "garbage\n", "5:cpu:/x\n"])
def test_no_memory_cgroup(text: str) -> None:
    assert memory_cgroup(text) is None
