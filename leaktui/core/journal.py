"""The session journal: every tick, appended to an SQLite file in one transaction.

The journal is the full-resolution record of a session, so that nothing is lost when the SSH
connection drops: a session killed at any moment keeps every tick up to its last complete
one. It runs in WAL mode with ``synchronous=NORMAL``, so a commit survives the process being
killed (-9 included) without an fsync per tick; an OS crash can lose the last few ticks but
never corrupts the file.

Opening an existing journal resumes it: ticks continue where it stopped, and processes the
earlier run left open are closed at their last sample.

While a session is being recorded the file has ``-wal`` and ``-shm`` companions; copy all
three, or use ``leaktui export``, to take a live session elsewhere.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import asdict, fields
from pathlib import Path

from leaktui.core.assessment import Assessed, limits_for
from leaktui.core.errors import BadInput, LeaktuiError
from leaktui.core.model import ProcessInfo, ProcessLimits, RLimit, Row, Sample, Snapshot, Worker
from leaktui.core.verdict import Limit, Thresholds

FORMAT = "leaktui-journal"
VERSION = 1
SQLITE_MAGIC = b"SQLite format 3\x00"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ticks (
    tick INTEGER PRIMARY KEY,
    time_ms INTEGER NOT NULL,
    mem_total INTEGER, mem_available INTEGER, swap_total INTEGER, swap_used INTEGER,
    swap_in_per_s REAL, swap_out_per_s REAL,
    psi_some_avg10 REAL, psi_full_avg10 REAL,
    errors TEXT
);
CREATE TABLE IF NOT EXISTS workers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL, node TEXT NOT NULL, main_pid INTEGER NOT NULL,
    app TEXT, pool TEXT, concurrency INTEGER,
    max_tasks_per_child INTEGER, max_memory_per_child INTEGER,
    includes TEXT, cmdline TEXT, first_tick INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS processes (
    id INTEGER PRIMARY KEY,
    pid INTEGER NOT NULL, worker_id INTEGER NOT NULL REFERENCES workers(id),
    role TEXT NOT NULL, started REAL NOT NULL, user TEXT, readable INTEGER NOT NULL,
    limits TEXT,
    first_tick INTEGER NOT NULL, last_tick INTEGER
);
CREATE TABLE IF NOT EXISTS samples (
    tick INTEGER NOT NULL, process INTEGER NOT NULL,
    rss INTEGER NOT NULL, vms INTEGER, uss INTEGER, swap INTEGER,
    num_fds INTEGER, num_threads INTEGER,
    cpu_tenths INTEGER, -- CPU % x 10: an integer takes 1-2 bytes where a REAL takes 8
    tasks INTEGER,
    PRIMARY KEY (tick, process)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS verdicts (  -- written when a verdict changes: the live timeline
    tick INTEGER NOT NULL, worker TEXT, pid INTEGER,  -- pid NULL: the worker's sum
    kind TEXT NOT NULL, fd_kind TEXT,
    rate REAL, rate_low REAL, rate_high REAL, level REAL,
    limit_bytes INTEGER, limit_kind TEXT, eta REAL, reason TEXT
);
"""


def default_session_dir() -> Path:
    """``$XDG_STATE_HOME/leaktui/sessions`` (``~/.local/state/…`` when unset)."""
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "state"
    )
    return Path(state) / "leaktui" / "sessions"


def new_session_path(host: str, now: float | None = None) -> Path:
    """A fresh file name in the default folder, e.g. ``linode-1-20261123-101502.sqlite``."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    folder = default_session_dir()
    path = folder / f"{host}-{stamp}.sqlite"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{host}-{stamp}-{n}.sqlite"
    return path


def is_journal(path: str | os.PathLike[str]) -> bool:
    """Whether the file starts like an SQLite database (else it is read as CSV)."""
    try:
        with open(path, "rb") as f:
            return f.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


class JournalError(LeaktuiError):
    """The journal cannot be written (disk full, permissions): the message names the file."""


class Journal:
    """Appends snapshots to a session file; one instance, one writer."""

    def __init__(self, path: str | os.PathLike[str], host: str, interval: float) -> None:
        self.path = Path(path)
        self.host = host
        try:
            # Sessions hold command lines and host details: keep them to their owner.
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fresh = not self.path.exists() or self.path.stat().st_size == 0
            if fresh:
                os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            # Never touch a database that is not ours: check before creating anything.
            meta = {} if fresh else _meta_of(self._db)
        except (OSError, sqlite3.Error) as exc:
            raise JournalError(f"{self.path}: cannot open the session journal: {exc}") from exc
        if not fresh and meta.get("format") != FORMAT:
            self._db.close()
            raise JournalError(
                f"{self.path}: not a leaktui session journal; choose another --session path"
            )
        if int(meta.get("version", VERSION)) > VERSION:
            self._db.close()
            raise JournalError(
                f"{self.path}: journal format {meta['version']} is newer than "
                f"this leaktui writes ({VERSION}); upgrade leaktui"
            )
        if meta.get("host", host) != host:
            self._db.close()
            raise JournalError(
                f"{self.path}: this session was recorded on {meta['host']}, "
                f"not on {host}; start a new session"
            )
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise JournalError(f"{self.path}: cannot open the session journal: {exc}") from exc
        if fresh:
            from leaktui import __version__

            self._write_meta(
                {
                    "format": FORMAT,
                    "version": str(VERSION),
                    "host": host,
                    "interval": str(interval),
                    "leaktui": __version__,
                    "started": str(time.time()),
                }
            )
        self._tick = self._resume()
        self._workers: dict[tuple[str, int], int] = {}  # (name, main pid) -> id, live only
        self._processes: dict[tuple[int, float], int] = {}  # (pid, started) -> id, live only

    def note_thresholds(self, thresholds: Thresholds) -> None:
        """Keep the thresholds this session's verdicts are made with.

        A later ``leaktui verdict`` or ``replay`` of the journal then makes the verdicts the
        session showed (the demo's, or a ``--min-rate`` given live), not the defaults'. A
        resumed session keeps the last run's.
        """
        self._write_meta({"thresholds": json.dumps(asdict(thresholds))})

    def _write_meta(self, values: dict[str, str]) -> None:
        with self._transaction():
            self._db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", values.items())

    def _resume(self) -> int:
        """Close what an earlier run left open; return the last tick number."""
        with self._transaction():
            self._db.execute(
                "UPDATE processes SET last_tick = (SELECT max(tick) FROM samples "
                "WHERE process = processes.id) WHERE last_tick IS NULL"
            )
        (last,) = self._db.execute("SELECT coalesce(max(tick), 0) FROM ticks").fetchone()
        return last

    def _transaction(self):
        return _Transaction(self._db, self.path)

    @property
    def ticks(self) -> int:
        return self._tick

    def append(self, snapshot: Snapshot) -> int:
        """Write one tick in one transaction; returns its tick number in this journal."""
        tick = self._tick + 1
        sys_ = snapshot.system
        psi = sys_.pressure if sys_ else None
        with self._transaction():
            db = self._db
            db.execute(
                "INSERT INTO ticks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    tick,
                    round(snapshot.time * 1000),
                    sys_ and sys_.mem_total,
                    sys_ and sys_.mem_available,
                    sys_ and sys_.swap_total,
                    sys_ and sys_.swap_used,
                    sys_ and sys_.swap_in_per_s,
                    sys_ and sys_.swap_out_per_s,
                    psi and psi.some_avg10,
                    psi and psi.full_avg10,
                    "\n".join(snapshot.errors) or None,
                ),
            )
            live_workers: dict[tuple[str, int], int] = {}
            worker_ids: dict[str, int] = {}  # name -> id, for this tick's processes
            for worker in snapshot.workers:
                key = (worker.name, worker.main_pid)
                wid = self._workers.get(key) or self._insert_worker(worker, tick)
                live_workers[key] = worker_ids[worker.name] = wid
            live: dict[tuple[int, float], int] = {}
            process_ids: dict[int, int] = {}  # pid -> id, for this tick's samples
            for pid, info in snapshot.processes.items():
                wid = worker_ids.get(info.worker)
                if wid is None:
                    continue
                key = (pid, info.started)
                pid_id = self._processes.get(key) or self._insert_process(info, wid, tick)
                live[key] = process_ids[pid] = pid_id
            ended = [i for key, i in self._processes.items() if key not in live]
            if ended:
                db.executemany(
                    "UPDATE processes SET last_tick = ? WHERE id = ?",
                    [(tick - 1, i) for i in ended],
                )
            self._workers, self._processes = live_workers, live
            db.executemany(
                "INSERT INTO samples VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        tick,
                        process_ids[s.pid],
                        s.rss,
                        s.vms,
                        s.uss,
                        s.swap,
                        s.num_fds,
                        s.num_threads,
                        None if s.cpu_percent is None else round(s.cpu_percent * 10),
                        s.tasks,
                    )
                    for s in snapshot.samples.values()
                    if s.pid in process_ids
                ],
            )
            if snapshot.changes:
                db.executemany(
                    "INSERT INTO verdicts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [_verdict_row(tick, a) for a in snapshot.changes],
                )
        self._tick = tick
        return tick

    def _insert_worker(self, worker: Worker, tick: int) -> int:
        c = worker.command
        cursor = self._db.execute(
            "INSERT INTO workers (name, node, main_pid, app, pool, concurrency, "
            "max_tasks_per_child, max_memory_per_child, includes, cmdline, first_tick) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                worker.name,
                worker.node,
                worker.main_pid,
                c.app,
                worker.pool,
                worker.concurrency,
                c.max_tasks_per_child,
                c.max_memory_per_child,
                ",".join(c.includes) or None,
                worker.cmdline,
                tick,
            ),
        )
        return cursor.lastrowid  # type: ignore[return-value]

    def _insert_process(self, info: ProcessInfo, worker_id: int, tick: int) -> int:
        limits = json.dumps(asdict(info.limits)) if info.limits else None
        cursor = self._db.execute(
            "INSERT INTO processes (pid, worker_id, role, started, user, readable, limits, "
            "first_tick) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                info.pid,
                worker_id,
                info.role,
                info.started,
                info.user,
                int(info.readable),
                limits,
                tick,
            ),
        )
        return cursor.lastrowid  # type: ignore[return-value]

    def close(self) -> None:
        """Close the file; SQLite folds the WAL back into it, leaving one self-contained file.

        Best effort on the way out: marking the open processes ended is a convenience (a
        later open infers it), so a full disk here must not hide the error that led here.
        """
        try:
            if self._processes:
                with self._transaction():
                    self._db.executemany(
                        "UPDATE processes SET last_tick = ? WHERE id = ?",
                        [(self._tick, i) for i in self._processes.values()],
                    )
        except JournalError:
            pass
        finally:
            self._processes = {}
            self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _verdict_row(tick: int, a: Assessed) -> tuple:
    v = a.memory
    low, high = v.rate_ci or (None, None)
    return (
        tick,
        a.worker,
        a.pid,
        v.kind,
        a.fds.kind if a.fds else None,
        v.rate,
        low,
        high,
        v.level,
        v.limit.bytes if v.limit else None,
        v.limit.kind if v.limit else None,
        v.eta,
        v.reason,
    )


def read_limits(path: str | os.PathLike[str]) -> dict[tuple[str, int], list[Limit]]:
    """The limits each recorded process ran under, as the verdicts project them."""
    with closing(_open_for_reading(path)) as db:
        out = {}
        for worker, pid, role, limits, max_memory in db.execute(
            "SELECT w.name, p.pid, p.role, p.limits, w.max_memory_per_child "
            "FROM processes p JOIN workers w ON w.id = p.worker_id ORDER BY p.id"
        ):
            out[(worker, pid)] = limits_for(_process_limits(limits), role, max_memory)
        return out


def _process_limits(text: str | None) -> ProcessLimits | None:
    if not text:
        return None
    d = json.loads(text)
    rlimits = {k: RLimit(**d.pop(k)) for k in ("address_space", "data", "rss", "nofile")}
    return ProcessLimits(**rlimits, **d)


def read_verdicts(path: str | os.PathLike[str]) -> list[dict]:
    """The verdict changes the live monitor journaled, in order."""
    with closing(_open_for_reading(path)) as db:
        db.row_factory = sqlite3.Row
        return [
            dict(r)
            for r in db.execute(
                "SELECT t.time_ms, v.* FROM verdicts v JOIN ticks t ON t.tick = v.tick "
                "ORDER BY v.rowid"
            )
        ]


def _meta_of(db: sqlite3.Connection) -> dict[str, str]:
    """The meta table, or {} when the database has none (it is not a journal)."""
    try:
        return dict(db.execute("SELECT key, value FROM meta"))
    except sqlite3.OperationalError:
        return {}


class _Transaction:
    """BEGIN … COMMIT, rolled back on any exception; errors become JournalError."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db, self._path = db, path

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind, exc, tb) -> None:
        if kind is None:
            try:
                self._db.execute("COMMIT")
                return
            except sqlite3.Error as error:
                exc = error
        # SQLite has already rolled back after some errors (a full disk, for one).
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            raise JournalError(f"{self._path}: cannot write the session journal: {exc}") from exc


# -- reading ---------------------------------------------------------------------------------


def _open_for_reading(path: str | os.PathLike[str]) -> sqlite3.Connection:
    name = os.fspath(path)
    if not os.path.exists(name):
        raise BadInput(f"{name}: no such file")
    try:
        try:
            db = sqlite3.connect(f"file:{name}?mode=ro", uri=True)
            meta = _meta_of(db)
        except sqlite3.OperationalError:
            # A journal whose -shm is missing (copied, or its writer killed) cannot be
            # opened read-only; a plain connection recovers its WAL first.
            db = sqlite3.connect(name)
            meta = _meta_of(db)
    except sqlite3.Error as exc:
        raise BadInput(f"{name}: not a leaktui session journal ({exc})") from exc
    if meta.get("format") != FORMAT:
        db.close()
        raise BadInput(f"{name}: not a leaktui session journal")
    if int(meta.get("version", "0")) > VERSION:
        raise BadInput(
            f"{name}: journal format {meta['version']} is newer than this leaktui "
            f"reads ({VERSION}); upgrade leaktui"
        )
    return db


def read_meta(path: str | os.PathLike[str]) -> dict[str, str]:
    with closing(_open_for_reading(path)) as db:
        return _meta_of(db)


def read_thresholds(path: str | os.PathLike[str]) -> Thresholds | None:
    """The thresholds the session's verdicts were made with; None if it did not keep them.

    Names this leaktui does not know (from a newer one) are left out: they take their
    defaults. Raises BadInput when the stored value is not a table of thresholds.
    """
    text = read_meta(path).get("thresholds")
    if text is None:
        return None
    known = {f.name: type(f.default) for f in fields(Thresholds)}
    try:
        stored = json.loads(text)
        values = {k: v for k, v in stored.items() if k in known}
        for name, value in values.items():
            wanted = (int, float) if known[name] in (int, float) else known[name]
            if isinstance(value, bool) or not isinstance(value, wanted):
                raise ValueError(name)
        return Thresholds(**values)
    except (AttributeError, TypeError, ValueError):
        raise BadInput(
            f"{os.fspath(path)}: the session's verdict thresholds are unreadable: {text[:80]!r}"
        ) from None


def read_journal(path: str | os.PathLike[str]) -> Iterator[Row]:
    """Every sample in the journal, tick by tick and by pid within a tick."""
    db = _open_for_reading(path)
    try:
        host = _meta_of(db).get("host")
        cursor = db.execute(
            "SELECT t.time_ms, w.name, p.pid, p.role, s.rss, s.vms, s.uss, s.swap, s.num_fds, "
            "s.num_threads, s.cpu_tenths, s.tasks "
            "FROM samples s JOIN ticks t ON t.tick = s.tick "
            "JOIN processes p ON p.id = s.process JOIN workers w ON w.id = p.worker_id "
            "ORDER BY s.tick, p.pid"
        )
        for ms, worker, pid, role, rss, vms, uss, swap, fds, threads, cpu, tasks in cursor:
            yield Row(
                sample=Sample(
                    pid=pid,
                    time=ms / 1000,
                    rss=rss,
                    vms=vms,
                    uss=uss,
                    swap=swap,
                    num_fds=fds,
                    num_threads=threads,
                    cpu_percent=None if cpu is None else cpu / 10,
                    tasks=tasks,
                ),
                worker=worker,
                role=role,
                host=host,
            )
    except sqlite3.Error as exc:
        raise BadInput(f"{os.fspath(path)}: the journal is damaged ({exc})") from exc
    finally:
        db.close()


def count_ticks(path: str | os.PathLike[str]) -> int:
    with closing(_open_for_reading(path)) as db:
        return db.execute("SELECT count(*) FROM ticks").fetchone()[0]
