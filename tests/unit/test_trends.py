"""Trends: the bounded series the charts draw, and the USS a child copied since first seen."""

from __future__ import annotations

from leaktui.core.model import Sample, Snapshot
from leaktui.core.trends import Trends

MIB = 1 << 20


def snapshot(time: float, *samples: Sample) -> Snapshot:
    return Snapshot(
        tick=int(time), time=time, host="h", workers=(), samples={s.pid: s for s in samples}
    )


def test_uss_that_outgrows_rss_is_counted_from_the_first_uss_read() -> None:
    trends = Trends()
    trends.observe(snapshot(0, Sample(7, 0, rss=100 * MIB)))  # no USS on this tick
    assert trends.unshared(7) is None
    trends.observe(snapshot(1, Sample(7, 1, rss=100 * MIB, uss=10 * MIB)))
    assert trends.unshared(7) == (0, 100 * MIB)
    trends.observe(snapshot(2, Sample(7, 2, rss=104 * MIB)))
    trends.observe(snapshot(3, Sample(7, 3, rss=104 * MIB, uss=64 * MIB)))
    assert trends.unshared(7) == (50 * MIB, 104 * MIB)  # 54 MiB more USS, 4 MiB of it new


def test_a_pid_that_is_gone_is_forgotten() -> None:
    trends = Trends()
    trends.observe(snapshot(0, Sample(7, 0, rss=MIB, uss=MIB)))
    trends.observe(snapshot(1))
    assert trends.unshared(7) is None
    assert 7 not in trends.processes


def test_the_host_series_follow_ram_swap_and_the_workers_sum() -> None:
    from leaktui.core.model import SystemFacts

    trends = Trends()
    for t, available in ((0, 3 << 30), (60, 2 << 30)):
        system = SystemFacts(
            time=t, mem_total=4 << 30, mem_available=available, swap_total=1 << 30, swap_used=0
        )
        samples = {7: Sample(7, t, rss=100 * MIB), 8: Sample(8, t, rss=50 * MIB)}
        trends.observe(
            Snapshot(tick=t, time=t, host="h", workers=(), samples=samples, system=system)
        )
    assert [v for _, v in trends.host["ram"].points()] == [1 << 30, 2 << 30]
    assert [v for _, v in trends.host["workers"].points()] == [150 * MIB, 150 * MIB]
    assert trends.ram_total == 4 << 30
    assert (trends.first, trends.last) == (0, 60)
