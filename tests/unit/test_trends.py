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
