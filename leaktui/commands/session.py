"""The one place a live session is opened: its journal, the agent's task counts, and the
Monitor that samples into them. The monitor, ``record`` and the demo all sample this way."""

from __future__ import annotations

import argparse
import contextlib
import signal
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from leaktui.core.journal import Journal
    from leaktui.core.monitor import Monitor
    from leaktui.core.verdict import Thresholds
    from leaktui.taskcount import TaskCounts


@dataclass(frozen=True)
class Live:
    monitor: Monitor
    journal: Journal
    path: Path
    """Where the journal is: printed when the session ends, for export."""


@contextlib.contextmanager
def live_session(
    *,
    interval: float,
    match: str | None,
    thresholds: Thresholds,
    path: Path | str | None = None,
    counts: TaskCounts | None = None,
) -> Iterator[Live]:
    """A Monitor journaling to ``path`` (a new file in the sessions folder when None), with
    the agent's task counts (``counts``, or the default ones); all closed on exit."""
    from leaktui.core import journal
    from leaktui.core.monitor import Monitor
    from leaktui.taskcount import TaskCounts

    host = socket.gethostname()
    where = Path(path) if path else journal.new_session_path(host)
    with (
        journal.Journal(where, host=host, interval=interval) as store,
        counts if counts is not None else TaskCounts() as tasks,
    ):
        monitor = Monitor(
            journal=store, hostname=host, match=match, thresholds=thresholds, task_counts=tasks
        )
        yield Live(monitor, store, where)


def live_session_for(args: argparse.Namespace) -> contextlib.AbstractContextManager[Live]:
    """The session the monitor's options ask for: --interval, --match, --min-rate, --session."""
    from leaktui.commands.options import thresholds

    return live_session(
        interval=args.interval,
        match=args.match,
        thresholds=thresholds(args),
        path=args.session,
    )


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP (the SSH session went away) end a headless run cleanly."""

    def handler(signum: int, frame: object) -> None:
        stop.set()

    names = ("SIGINT", "SIGTERM", "SIGHUP")
    previous = {name: signal.signal(getattr(signal, name), handler) for name in names}
    try:
        yield
    finally:
        for name, old in previous.items():
            signal.signal(getattr(signal, name), old)
