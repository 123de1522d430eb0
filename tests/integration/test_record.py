"""Sampling, the journal and `leaktui record` on real workers: growth, recycling, kill -9."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from harness import Broker, run_leaktui, send_task, stop_process, tick_until, wait_for

from leaktui.core import csvfile, journal
from leaktui.core.journal import Journal
from leaktui.core.monitor import Monitor

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

MIB = 1 << 20


def _series(path: Path) -> dict[int, list[int]]:
    rss: dict[int, list[int]] = defaultdict(list)
    for row in journal.read_journal(path):
        rss[row.sample.pid].append(row.sample.rss)
    return rss


@pytest.mark.parametrize("broker_name", ["filesystem", "redis"])
def test_a_task_that_keeps_memory_shows_as_rss_growth_in_the_journal(
    request: pytest.FixtureRequest, workers, tmp_path: Path, broker_name: str
) -> None:
    broker: Broker = request.getfixturevalue(
        "fs_broker" if broker_name == "filesystem" else "redis_broker"
    )
    worker = workers.start(broker, ["-c", "1", "-n", f"grow-{broker_name}@%h"])
    worker.wait_ready()
    session = tmp_path / "session.sqlite"
    with Journal(session, host="testhost", interval=0.1) as store:
        monitor = Monitor(journal=store, hostname="testhost", match=f"grow-{broker_name}@")
        first = tick_until(
            monitor,
            lambda s: any(len(w.children) == 1 for w in s.workers),
            20,
            "the worker and its child",
        )
        child = first.workers[0].children[0]
        baseline = first.samples[child].rss
        for _ in range(4):
            send_task(broker, "leakapp.hoard", 20)
        tick_until(
            monitor,
            lambda s: child in s.samples and s.samples[child].rss >= baseline + 75 * MIB,
            60,
            "the child's RSS to grow by 80 MiB",
        )
    recorded = _series(session)[child]
    assert recorded[0] == baseline
    assert max(recorded) - recorded[0] >= 75 * MIB
    # The main process ran no task: it did not grow like the child.
    main = first.workers[0].main_pid
    assert max(_series(session)[main]) - _series(session)[main][0] < 20 * MIB


def test_recycled_children_are_followed_without_error(
    workers, fs_broker: Broker, tmp_path: Path
) -> None:
    worker = workers.start(fs_broker, ["-c", "2", "--max-tasks-per-child", "1", "-n", "recycle@%h"])
    worker.wait_ready()
    session = tmp_path / "session.sqlite"
    seen_children: set[int] = set()
    with Journal(session, host="testhost", interval=0.1) as store:
        monitor = Monitor(journal=store, hostname="testhost", match="recycle@")
        tick_until(
            monitor,
            lambda s: s.workers and len(s.workers[0].children) == 2,
            20,
            "two pool children",
        )
        # Each task lasts a second: a child recycled after a 1 ms task may live for a
        # fraction of a tick, and no monitor sampling at an interval sees every one of those.
        for _ in range(4):
            send_task(fs_broker, "leakapp.pause", 1.0)

        def recycled(snapshot) -> bool:
            for w in snapshot.workers:
                seen_children.update(w.children)
                # Every process listed is sampled: one that exited, or is a zombie not yet
                # reaped, is not listed as a live child.
                assert set(w.pids) <= set(snapshot.samples)
            return len(seen_children) >= 5 and len(snapshot.workers[0].children) == 2

        last = tick_until(monitor, recycled, 90, "children to be recycled")
    db = sqlite3.connect(session)
    rows = db.execute("SELECT pid, role, first_tick, last_tick FROM processes").fetchall()
    pids = {pid for pid, _, _, _ in rows}
    assert seen_children <= pids
    ended = [r for r in rows if r[0] not in last.workers[0].pids]
    assert len(ended) >= 3
    assert all(last_tick is not None and last_tick >= first for _, _, first, last_tick in ended)
    assert {role for _, role, _, _ in rows} == {"main", "child"}
    # Each process's samples stay within its own lifetime.
    for pid, first, last_tick in db.execute(
        "SELECT p.pid, min(s.tick), max(s.tick) FROM samples s "
        "JOIN processes p ON p.id = s.process GROUP BY p.id"
    ):
        row = next(r for r in rows if r[0] == pid)
        assert row[2] <= first
        assert row[3] is None or last_tick <= row[3]


def test_export_and_read_back_give_what_was_recorded(
    workers, fs_broker: Broker, tmp_path: Path
) -> None:
    workers.start(fs_broker, ["-c", "2", "-n", "export@%h"]).wait_ready()
    session = tmp_path / "session.sqlite"
    with Journal(session, host="testhost", interval=0.05) as store:
        monitor = Monitor(journal=store, hostname="testhost", match="export@", uss_every=3)
        tick_until(
            monitor,
            lambda s: store.ticks >= 12 and s.workers and len(s.workers[0].children) == 2,
            30,
            "12 ticks",
            interval=0.05,
        )
    out = tmp_path / "out.csv"
    result = run_leaktui("export", str(session), "-o", str(out))
    assert result.returncode == 0, result.stderr
    recorded = list(journal.read_journal(session))
    assert len(recorded) >= 12 * 3
    assert list(csvfile.read_csv(out)) == recorded
    # USS is read every third tick, not every tick; CPU from the second tick on.
    uss = [r.sample.uss for r in recorded]
    assert any(u is None for u in uss)
    assert any(u is not None for u in uss)
    assert any(r.sample.cpu_percent is not None for r in recorded)
    assert out.read_text().splitlines()[0] == ",".join(csvfile.COLUMNS)


def _record(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen, Path, Path]:
    session, out = tmp_path / "session.sqlite", tmp_path / "out.csv"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "leaktui",
            "record",
            "-o",
            str(out),
            "--session",
            str(session),
            "--interval",
            "0.1",
            "--match",
            "rec@",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    return proc, session, out


def _ticks(session: Path) -> int:
    try:
        return journal.count_ticks(session)
    except Exception:
        return 0  # not created yet


def test_record_killed_mid_run_leaves_a_readable_journal(
    workers, fs_broker: Broker, tmp_path: Path
) -> None:
    workers.start(fs_broker, ["-c", "1", "-n", "rec@%h"]).wait_ready()
    proc, session, out = _record(tmp_path)
    try:
        wait_for(lambda: _ticks(session) >= 8, 30, "8 journaled ticks")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        stop_process(proc)
    rows = list(journal.read_journal(session))
    ticks = journal.count_ticks(session)
    assert ticks >= 8
    assert len(rows) >= 2 * (ticks - 1)  # main + child in every complete tick
    assert not out.exists(), "the CSV is written whole at the end, never half"
    assert not list(tmp_path.glob(".out.csv.*")), "no temporary file left behind"
    recovered = tmp_path / "recovered.csv"
    result = run_leaktui("export", str(session), "-o", str(recovered))
    assert result.returncode == 0, result.stderr
    assert len(list(csvfile.read_csv(recovered))) == len(rows)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_record_stops_cleanly_with_a_complete_csv(
    workers, fs_broker: Broker, tmp_path: Path, sig: signal.Signals
) -> None:
    workers.start(fs_broker, ["-P", "threads", "-c", "1", "-n", "rec@%h"]).wait_ready()
    proc, session, out = _record(tmp_path)
    try:
        wait_for(lambda: _ticks(session) >= 5, 30, "5 journaled ticks")
        os.kill(proc.pid, sig)
        _, err = proc.communicate(timeout=30)
    finally:
        stop_process(proc)
    assert proc.returncode == 0, err
    rows = list(csvfile.read_csv(out))
    assert rows == list(journal.read_journal(session))
    assert len(rows) >= 5
    assert {r.worker for r in rows} == {f"rec@{os.uname().nodename}"}
    assert b"wrote" in err


def test_record_with_duration_stops_by_itself(workers, fs_broker: Broker, tmp_path: Path) -> None:
    workers.start(fs_broker, ["-P", "threads", "-c", "1", "-n", "rec@%h"]).wait_ready()
    proc, session, out = _record(tmp_path, "--duration", "1")
    try:
        _, err = proc.communicate(timeout=30)
    finally:
        stop_process(proc)
    assert proc.returncode == 0, err
    ticks = journal.count_ticks(session)
    assert 6 <= ticks <= 12  # 1 s at 0.1 s, plus the last tick at the deadline
    assert len(list(csvfile.read_csv(out))) == ticks
