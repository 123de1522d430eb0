"""A recording (journal or CSV) played back as the Snapshots it was made of.

Rows are read in order and grouped into ticks by timestamp; each tick becomes a Snapshot
with the verdicts known at that moment (the same Assessment the live monitor and
``leaktui verdict --timeline`` use), so every screen works on recorded sessions too. A
recording streams: nothing but the verdict state is held, however long it is.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import MappingProxyType

from leaktui.core import journal
from leaktui.core.assessment import Assessment
from leaktui.core.errors import BadInput
from leaktui.core.model import ProcessInfo, Row, Snapshot, Worker, WorkerCommand
from leaktui.core.recording import read_rows
from leaktui.core.verdict import Thresholds


@dataclass(frozen=True, slots=True)
class Recording:
    """What is known about a recording before playing it: where, how long, how many ticks."""

    path: str
    host: str
    ticks: int
    start: float
    end: float

    @property
    def interval(self) -> float:
        """The average time between ticks: the pace of playback at speed 1."""
        return (self.end - self.start) / (self.ticks - 1) if self.ticks > 1 else 1.0


def survey(path: str | os.PathLike[str]) -> Recording:
    """One pass over the recording's timestamps. Raises BadInput or JournalError."""
    ticks, host, start, end, last = 0, None, None, None, None
    for row in read_rows(path):
        t = row.sample.time
        if t != last:
            ticks += 1
            last = t
            start = t if start is None else start
            end = t
        host = host or row.host
    if not ticks or start is None or end is None:
        raise BadInput(f"{os.fspath(path)}: the recording holds no samples")
    return Recording(os.fspath(path), host or "unknown host", ticks, start, end)


@dataclass
class Player:
    """Streams a recording's ticks as Snapshots; ``snapshots()`` starts from the beginning."""

    recording: Recording
    thresholds: Thresholds = field(default_factory=Thresholds)

    def snapshots(self) -> Iterator[Snapshot]:
        """Every tick, in order, with the verdicts as they were known at that tick."""
        path = self.recording.path
        limits = journal.read_limits(path) if journal.is_journal(path) else {}
        assessment = Assessment(self.thresholds, dict(limits))
        started: dict[int, float] = {}
        by_time = itertools.groupby(read_rows(path), key=lambda r: r.sample.time)
        for index, (t, group) in enumerate(by_time, start=1):
            rows = list(group)
            for _ in assessment.feed(rows):
                pass
            live = {r.sample.pid for r in rows}
            assessment.retain(live)
            for pid in started.keys() - live:
                del started[pid]
            yield _snapshot(index, t, self.recording.host, rows, assessment, started)


def _snapshot(
    tick: int,
    t: float,
    host: str,
    rows: list[Row],
    assessment: Assessment,
    started: dict[int, float],
) -> Snapshot:
    """One tick's rows as a Snapshot: workers from the names and roles the rows carry."""
    members: dict[str, list[Row]] = {}
    for row in rows:
        members.setdefault(row.worker or f"pid {row.sample.pid}", []).append(row)
    workers, processes, samples = [], {}, {}
    for name, group in members.items():
        mains = [r.sample.pid for r in group if r.role == "main"]
        main = mains[0] if mains else min(r.sample.pid for r in group)
        children = tuple(sorted(r.sample.pid for r in group if r.sample.pid != main))
        node = name.split("/", 1)[0]
        workers.append(Worker(name, node, WorkerCommand(node=node), main, children))
        for row in group:
            pid = row.sample.pid
            first = started.setdefault(pid, t)
            role = "main" if pid == main else "child"
            processes[pid] = ProcessInfo(pid, role, name, first)
            samples[pid] = row.sample
    return Snapshot(
        tick=tick,
        time=t,
        host=host,
        workers=tuple(sorted(workers, key=lambda w: w.name)),
        processes=MappingProxyType(processes),
        samples=MappingProxyType(samples),
        verdicts=MappingProxyType(assessment.latest()),
    )
