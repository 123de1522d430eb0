"""Verdicts across many series: refits spread over time, sums per worker, bounded state."""

from __future__ import annotations

from collections import Counter

import pytest

from leaktui.core.assessment import Assessment
from leaktui.core.model import Row, Sample
from leaktui.core.verdict import judging


def rows_at(t: float, pids: range, rss: int = 100 << 20) -> list[Row]:
    return [
        Row(Sample(pid=p, time=t, rss=rss, num_fds=10), f"w{p // 8}@h", "child", "h") for p in pids
    ]


def test_series_started_together_do_not_all_refit_on_the_same_tick(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    refits: Counter[float] = Counter()
    real = judging.judge
    clock = [0.0]

    def counting(*args, **kwargs):
        refits[clock[0]] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(judging, "judge", counting)
    assessment = Assessment()
    for tick in range(300):  # five minutes at 1 s, 100 processes and their worker sums
        clock[0] = 1.8e9 + tick
        list(assessment.feed(rows_at(clock[0], range(100))))
    per_tick = sorted(refits.values())
    assert sum(per_tick) > 1000, "every series refits once a minute"
    assert per_tick[-1] < 40, "no tick pays for all of them at once"


def test_a_worker_sum_is_the_sum_of_its_processes_at_each_tick() -> None:
    assessment = Assessment()
    for tick in range(3):
        list(assessment.feed(rows_at(1.8e9 + tick * 60, range(8), rss=10 << 20)))
    tracker = assessment._subjects[("w0@h", None)].memory
    tracker.finish()
    assert {b.low for b in tracker._bins} == {80 << 20}


def test_ended_processes_are_forgotten() -> None:
    assessment = Assessment()
    list(assessment.feed(rows_at(1.8e9, range(8))))
    assessment.set_limits("w0@h", 9, [])  # limits of a process never sampled go too
    assessment.retain(set(range(8)) - {3})
    assert ("w0@h", 9) not in assessment.limits
    assert ("w0@h", 3) not in assessment.latest()
    assert ("w0@h", None) in assessment.latest(), "the worker's sum goes on"


def worker_rows(t: float, counts: dict[int, int | None], rss: int) -> list[Row]:
    """One tick of worker ``w@h``: each pid's task count (None: unknown), all at ``rss``."""
    return [
        Row(Sample(pid=pid, time=t, rss=rss, tasks=tasks), "w@h", "child", "h")
        for pid, tasks in counts.items()
    ]


def test_a_worker_sum_knows_its_cost_per_task() -> None:
    """Two children, a task every 10 s each, each task keeping 20 KiB: 20 KiB per task."""
    assessment = Assessment()
    for tick in range(720):  # two hours at 10 s
        rss = (100 << 20) + tick * 20 * 1024
        list(assessment.feed(worker_rows(1.8e9 + tick * 10, {11: tick, 12: tick}, rss)))
    (worker,) = [a for a in assessment.current() if a.pid is None]
    assert worker.memory.kind == "leak"
    assert worker.memory.bytes_per_task == pytest.approx(20 * 1024, rel=0.05)
    assert "20.0 KiB/task" in worker.memory.reason


def test_a_worker_total_of_tasks_keeps_rising_when_children_are_recycled() -> None:
    assessment = Assessment()
    list(assessment.feed(worker_rows(1.8e9, {11: 50, 12: 40}, 100 << 20)))
    assessment.retain({12})  # 11 ended after 50 tasks; 13 replaces it
    list(assessment.feed(worker_rows(1.8e9 + 60, {12: 41, 13: None}, 100 << 20)))
    list(assessment.feed(worker_rows(1.8e9 + 120, {12: 42, 13: 1}, 100 << 20)))
    tracker = assessment._subjects[("w@h", None)].memory
    tracker.finish()
    assert [b.tasks for b in tracker._bins] == [90, 91, 93]


def test_a_worker_without_task_counts_has_none() -> None:
    assessment = Assessment()
    list(assessment.feed(worker_rows(1.8e9, {11: None, 12: None}, 100 << 20)))
    tracker = assessment._subjects[("w@h", None)].memory
    tracker.finish()
    assert [b.tasks for b in tracker._bins] == [None]


def _recycled(leak_per_hour: int, hours: float = 1.0) -> Assessment:
    """Worker ``w@h``: a main process and one child at a time, replaced every 5 minutes;
    each child starts at 45 MiB and grows ``leak_per_hour`` bytes an hour, every second."""
    assessment = Assessment()
    for tick in range(int(hours * 3600)):
        t = 1.8e9 + tick
        child, age = 100 + tick // 300, tick % 300
        rows = [
            Row(Sample(pid=10, time=t, rss=60 << 20), "w@h", "main", "h"),
            Row(Sample(pid=child, time=t, rss=(45 << 20) + age * leak_per_hour // 3600),
                "w@h", "child", "h"),
        ]  # fmt: skip
        list(assessment.feed(rows))
        assessment.retain({10, child})
    return assessment


def test_children_recycled_too_soon_for_a_verdict_are_judged_together() -> None:
    """Each child lives 5 minutes and grows 8 MiB: too little, too briefly, for a verdict
    of its own, and the worker's sum falls back at each recycling. Laid end to end, the
    children grow 100 MiB/h, and that is the worker's verdict."""
    assessment = _recycled(100 << 20)
    verdicts = assessment.latest()
    worker = verdicts[("w@h", None)].memory
    assert worker.kind == "leak"
    assert worker.rate == pytest.approx(100 << 20, rel=0.1)
    assert "children recycled after about 5 min, laid end to end" in worker.reason
    child = max(pid for _, pid in verdicts if pid is not None and pid != 10)
    assert verdicts[("w@h", child)].memory.kind != "leak"
    assert "the worker's verdict judges them together" in verdicts[("w@h", child)].memory.reason


def test_recycled_children_that_keep_nothing_leave_the_worker_stable() -> None:
    assessment = _recycled(0)
    assert assessment.latest()[("w@h", None)].memory.kind == "stable"
