"""Task counts from the agent inside real workers, through the Monitor to the journal and CSV."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import Broker, send_task, tick_until

from leaktui.core import csvfile, journal
from leaktui.core.journal import Journal
from leaktui.core.monitor import Monitor
from leaktui.taskcount import TaskCounts

pytestmark = [
    pytest.mark.integration,
    pytest.mark.usefixtures("runtime_dir"),
    pytest.mark.timeout(120),
]


def test_a_prefork_childs_tasks_reach_the_journal_and_the_csv(
    fs_broker: Broker, workers, tmp_path: Path
) -> None:
    worker = workers.start(fs_broker, ["-c", "1", "-n", "counts@%h", "-I", "leaktui.agent"])
    worker.wait_ready()
    child = worker.child_with_agent()
    session = tmp_path / "session.sqlite"
    with (
        Journal(session, host="testhost", interval=0.1) as store,
        TaskCounts(every=0.1) as counts,
    ):
        monitor = Monitor(journal=store, hostname="testhost", match="^counts@", task_counts=counts)
        tick_until(monitor, lambda s: s.samples.get(child) and s.samples[child].tasks == 0, 60, "0")
        for _ in range(3):
            send_task(fs_broker, "leakapp.noop")
        last = tick_until(monitor, lambda s: s.samples[child].tasks == 3, 60, "three tasks")
        # Prefork: the tasks run in the child; the main process finishes none.
        assert last.samples[worker.pid].tasks == 0
    out = tmp_path / "out.csv"
    csvfile.write_csv(journal.read_journal(session), out)
    rows = [r for r in csvfile.read_csv(out) if r.sample.pid == child]
    assert rows[-1].sample.tasks == 3
    known = [r.sample.tasks for r in rows if r.sample.tasks is not None]
    assert known == sorted(known), "a cumulative count, in order"


def test_without_the_agent_task_counts_stay_unknown(fs_broker: Broker, workers) -> None:
    worker = workers.start(fs_broker, ["-c", "1", "-n", "nocounts@%h"])
    worker.wait_ready()
    with TaskCounts(every=0.1) as counts:
        monitor = Monitor(hostname="testhost", match="^nocounts@", task_counts=counts)
        first = tick_until(monitor, lambda s: s.workers and s.workers[0].children, 60, "a child")
        (child,) = first.workers[0].children
        send_task(fs_broker, "leakapp.noop")
        counts.poll()  # a whole round, after the child was watched: it has no channel
        snapshot = monitor.tick()
    assert snapshot.samples[child].tasks is None, "unknown, not zero"
    assert snapshot.samples[worker.pid].tasks is None
