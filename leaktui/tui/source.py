"""Where Snapshots come from: a background thread ticking a Monitor.

The thread owns the Monitor (and the journal). It hands each Snapshot to ``deliver``, which
the app points at ``post_message``: thread-safe, and nothing the UI reads is ever changed
by this thread. A slow tick makes the next one coalesce (``monitor.run``); an exception
in a tick is reported and sampling goes on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from leaktui.core.model import Snapshot
from leaktui.core.monitor import Monitor, run


class SnapshotSource(Protocol):
    """Anything that delivers Snapshots from its own thread until stopped."""

    interval: float
    recording: Path | None
    """The file that holds every sample delivered so far (a journal or a CSV), for export."""

    def start(self, deliver: Callable[[Snapshot], None], fail: Callable[[str], None]) -> None: ...

    def stop(self) -> None: ...


class LiveSource:
    """Ticks a Monitor every ``interval`` seconds in a daemon thread."""

    def __init__(self, monitor: Monitor, interval: float) -> None:
        self.monitor = monitor
        self.interval = interval
        self.recording = monitor.journal.path if monitor.journal is not None else None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, deliver: Callable[[Snapshot], None], fail: Callable[[str], None]) -> None:
        def tick() -> None:
            try:
                deliver(self.monitor.tick())
            except Exception as exc:  # shown, not fatal: the next tick may well work
                fail(f"{type(exc).__name__}: {exc}")

        self._thread = threading.Thread(
            target=run, args=(tick, self.interval, self._stop), name="leaktui-sampler", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop ticking and wait (bounded) for the tick in progress to finish."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
