"""The session journal: one transaction per tick, resumable, never writes to a stranger's file."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from types import MappingProxyType

import pytest

from leaktui.core import journal
from leaktui.core.errors import BadInput
from leaktui.core.journal import Journal, JournalError
from leaktui.core.model import ProcessInfo, Sample, Snapshot, Worker, WorkerCommand
from leaktui.core.recording import read_rows


def snapshot(
    tick: int, children: dict[int, float], rss: int = 1000, main: int = 100, name: str = "w1@h"
) -> Snapshot:
    """A worker with a main process and ``children`` (pid -> start time)."""
    t = 1_800_000_000 + tick
    worker = Worker(
        name=name,
        node=name,
        command=WorkerCommand(node=name),
        main_pid=main,
        children=tuple(children),
    )
    processes = {main: ProcessInfo(pid=main, role="main", worker=name, started=1.0)}
    processes |= {
        pid: ProcessInfo(pid=pid, role="child", worker=name, started=started)
        for pid, started in children.items()
    }
    samples = {pid: Sample(pid=pid, time=t, rss=rss + tick) for pid in processes}
    return Snapshot(
        tick=tick,
        time=t,
        host="h",
        workers=(worker,),
        processes=MappingProxyType(processes),
        samples=MappingProxyType(samples),
    )


def test_appends_ticks_and_reads_them_back(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with Journal(path, host="h", interval=1) as store:
        for tick in range(1, 4):
            assert store.append(snapshot(tick, {101: 2.0})) == tick
    rows = list(journal.read_journal(path))
    assert [(r.sample.pid, r.sample.rss, r.role, r.worker) for r in rows] == [
        (100, 1001, "main", "w1@h"),
        (101, 1001, "child", "w1@h"),
        (100, 1002, "main", "w1@h"),
        (101, 1002, "child", "w1@h"),
        (100, 1003, "main", "w1@h"),
        (101, 1003, "child", "w1@h"),
    ]
    assert journal.read_meta(path)["host"] == "h"


def test_a_reused_pid_is_a_new_process(tmp_path: Path) -> None:
    """A recycled child may get a pid seen before; its start time tells them apart."""
    path = tmp_path / "s.sqlite"
    with Journal(path, host="h", interval=1) as store:
        store.append(snapshot(1, {101: 2.0}))
        store.append(snapshot(2, {}))
        store.append(snapshot(3, {101: 9.0}))
    db = sqlite3.connect(path)
    children = db.execute(
        "SELECT pid, started, first_tick, last_tick FROM processes WHERE role = 'child' ORDER BY id"
    ).fetchall()
    assert children == [(101, 2.0, 1, 1), (101, 9.0, 3, 3)]


def test_resuming_a_session_continues_its_ticks(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with Journal(path, host="h", interval=1) as store:
        store.append(snapshot(1, {101: 2.0}))
    with Journal(path, host="h", interval=1) as store:
        assert store.append(snapshot(1, {101: 2.0})) == 2
    assert journal.count_ticks(path) == 2


def test_refuses_a_session_from_another_host(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    Journal(path, host="h", interval=1).close()
    with pytest.raises(JournalError, match="recorded on h, not on other"):
        Journal(path, host="other", interval=1)


def test_refuses_to_append_to_a_journal_from_a_newer_leaktui(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    Journal(path, host="h", interval=1).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = '99' WHERE key = 'version'")
    db.commit()
    db.close()
    with pytest.raises(JournalError, match="journal format 99 is newer"):
        Journal(path, host="h", interval=1)
    with pytest.raises(BadInput, match="journal format 99 is newer"):
        list(read_rows(path))


def test_never_writes_into_a_database_that_is_not_a_journal(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE users (name TEXT)")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(JournalError, match="not a leaktui session journal"):
        Journal(path, host="h", interval=1)
    assert path.read_bytes() == before


def test_journal_files_are_private(tmp_path: Path) -> None:
    path = tmp_path / "new" / "s.sqlite"
    Journal(path, host="h", interval=1).close()
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700


def test_a_process_crash_mid_session_keeps_every_committed_tick(tmp_path: Path) -> None:
    """No close(): the writer just stops, as after kill -9. Committed ticks are all there."""
    path = tmp_path / "s.sqlite"
    store = Journal(path, host="h", interval=1)
    for tick in range(1, 6):
        store.append(snapshot(tick, {101: 2.0}))
    # Simulate the crash: drop the connection without the clean close (no WAL checkpoint).
    store._db.close()
    assert journal.count_ticks(path) == 5
    assert len(list(read_rows(path))) == 10


def test_default_session_path_follows_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    path = journal.new_session_path("linode-1", now=0)
    assert path.parent == tmp_path / "leaktui" / "sessions"
    assert path.name.startswith("linode-1-")
    assert path.suffix == ".sqlite"


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"SQLite format 3\x00" + b"\x00" * 100, "not a leaktui session journal"),
    ],
)
def test_reading_a_damaged_or_foreign_file_is_a_clear_error(
    tmp_path: Path, content: bytes, error: str
) -> None:
    path = tmp_path / "x.sqlite"
    path.write_bytes(content)
    with pytest.raises(BadInput, match=error):
        list(read_rows(path))


def test_reading_a_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=r"nope\.sqlite: no such file"):
        read_rows(tmp_path / "nope.sqlite")


def test_a_full_disk_is_a_clear_error_and_keeps_every_committed_tick(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    store = Journal(path, host="h", interval=1)
    store._db.execute("PRAGMA max_page_count = 12")  # SQLite's own "disk is full"
    children = dict.fromkeys(range(101, 131), 2.0)

    progress = [0]  # the last tick committed

    def fill() -> None:
        for tick in range(1, 10_000):
            store.append(snapshot(tick, children))
            progress[0] = tick

    with pytest.raises(JournalError) as raised:
        fill()
    committed = progress[0]
    assert str(raised.value).startswith(f"{path}: cannot write the session journal")
    assert "full" in str(raised.value)
    store.close()  # best effort: must not raise over the error that led here
    assert committed > 0
    assert journal.count_ticks(path) == committed
    assert len(list(read_rows(path))) == committed * 31


def test_a_journal_keeps_the_thresholds_its_verdicts_were_made_with(tmp_path: Path) -> None:
    from leaktui.core.verdict import Thresholds

    path = tmp_path / "s.sqlite"
    with Journal(path, host="h", interval=1) as store:
        assert journal.read_thresholds(path) is None, "a session from before they were kept"
        store.note_thresholds(Thresholds(min_rate=40 << 20, horizon=3.0))
    assert journal.read_thresholds(path) == Thresholds(min_rate=40 << 20, horizon=3.0)


def test_thresholds_from_a_newer_leaktui_or_damaged_are_handled(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    Journal(path, host="h", interval=1).close()
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT OR REPLACE INTO meta VALUES ('thresholds', ?)",
            ('{"min_rate": 3145728, "some_new_knob": 7}',),
        )
    assert journal.read_thresholds(path).min_rate == 3 << 20, "unknown names are left out"
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '{\"min_rate\": \"fast\"}' WHERE key = 'thresholds'")
    message = f"{path}: the session's verdict thresholds are unreadable"
    with pytest.raises(BadInput, match=re.escape(message)):
        journal.read_thresholds(path)
