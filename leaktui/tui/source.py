"""Where Snapshots come from: a Monitor ticking live, or a recording played back.

Each source runs in its own thread and never touches the UI. It puts Snapshots into a
Mailbox, which posts one message when the first arrives; the app takes everything that
arrived since, in order. So a slow UI coalesces ticks without losing any: every snapshot
still reaches the sparklines, and the screen draws the newest once.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from leaktui.core.model import Snapshot
from leaktui.core.monitor import Monitor, run
from leaktui.core.replay import Player, Recording

#: Snapshots kept for a UI that has stalled; older ones are dropped (bounded memory).
MAILBOX_LIMIT = 3600


class Mailbox:
    """Thread-safe hand-over of Snapshots from a source's thread to the UI thread."""

    def __init__(self, notify: Callable[[], None], limit: int = MAILBOX_LIMIT) -> None:
        self._notify = notify
        self._lock = threading.Lock()
        self._items: deque[Snapshot] = deque(maxlen=limit)
        self._errors: list[str] = []
        self._reset = False
        self._pending = False

    def put(self, snapshot: Snapshot) -> None:
        self._deposit(lambda: self._items.append(snapshot))

    def fail(self, error: str) -> None:
        """A tick failed: shown to the user, not fatal."""
        self._deposit(lambda: self._errors.append(error))

    def reset(self) -> None:
        """What was delivered before no longer holds (a replay jumped back): start over."""

        def clear() -> None:
            self._items.clear()
            self._reset = True

        self._deposit(clear)

    def _deposit(self, change: Callable[[], None]) -> None:
        with self._lock:
            change()
            notify, self._pending = not self._pending, True
        if notify:
            self._notify()

    def take(self) -> tuple[bool, list[Snapshot], list[str]]:
        """Everything since the last take: (reset first?, snapshots, errors)."""
        with self._lock:
            taken = (self._reset, list(self._items), self._errors)
            self._items.clear()
            self._errors, self._reset, self._pending = [], False, False
        return taken


class SnapshotSource(Protocol):
    """Anything that fills a Mailbox from its own thread until stopped."""

    interval: float
    recording: Path | None
    """The file that holds every sample delivered so far (a journal or a CSV), for export."""

    def start(self, mailbox: Mailbox) -> None: ...

    def stop(self) -> None: ...


class LiveSource:
    """Ticks a Monitor every ``interval`` seconds in a daemon thread."""

    def __init__(self, monitor: Monitor, interval: float) -> None:
        self.monitor = monitor
        self.interval = interval
        self.recording = monitor.journal.path if monitor.journal is not None else None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, mailbox: Mailbox) -> None:
        def tick() -> None:
            try:
                mailbox.put(self.monitor.tick())
            except Exception as exc:  # shown, not fatal: the next tick may well work
                mailbox.fail(f"{type(exc).__name__}: {exc}")

        self._thread = threading.Thread(
            target=run, args=(tick, self.interval, self._stop), name="leaktui-sampler", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop ticking and wait (bounded) for the tick in progress to finish."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


class ReplaySource:
    """Plays a recording: a cursor the UI moves, and playback at a chosen speed.

    The UI sends commands (``step``, ``seek``, ``play``, ``speed``); the thread moves the
    cursor. Going back replays from the start (verdicts are known only by having seen
    everything before), after ``Mailbox.reset``.
    """

    SPEEDS = (1, 2, 5, 10, 30, 60, 300, 1800, 3600)

    def __init__(self, recording: Recording, player: Player | None = None) -> None:
        self.info = recording
        self.player = player or Player(recording)
        self.interval = recording.interval
        self.recording: Path | None = Path(recording.path)
        self.position = 0
        """Ticks delivered (0 before the first); read by the UI for the status line."""
        self.playing = False
        self.speed = 10
        self._commands: queue.Queue[tuple[str, int]] = queue.Queue()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -- commands, from the UI thread ----------------------------------------------------------

    def step(self, ticks: int) -> None:
        self._commands.put(("step", ticks))

    def seek(self, tick: int) -> None:
        self._commands.put(("seek", tick))

    def play(self, playing: bool) -> None:
        self.playing = playing
        self._commands.put(("wake", 0))

    def faster(self, steps: int) -> None:
        """Move ``steps`` along SPEEDS (negative: slower)."""
        index = self.SPEEDS.index(self.speed) if self.speed in self.SPEEDS else 3
        self.speed = self.SPEEDS[max(0, min(len(self.SPEEDS) - 1, index + steps))]

    def start(self, mailbox: Mailbox) -> None:
        self._thread = threading.Thread(
            target=self._run, args=(mailbox,), name="leaktui-replay", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()  # also ends a long seek between two ticks
        self._commands.put(("stop", 0))
        if self._thread is not None:
            self._thread.join(timeout=10)

    # -- the thread ---------------------------------------------------------------------------

    def _run(self, mailbox: Mailbox) -> None:
        stream = self.player.snapshots()
        target = 1  # show the first tick at once
        while True:
            if self.position != target:
                if target < self.position:
                    stream, self.position = self.player.snapshots(), 0
                    mailbox.reset()
                try:
                    while self.position < target and not self._stopping.is_set():
                        mailbox.put(next(stream))
                        self.position += 1
                except StopIteration:
                    target = self.position  # the end: stay there
                    self.playing = False
                except Exception as exc:  # a file that changed under us: say so, stop there
                    mailbox.fail(f"replay stopped: {exc}")
                    target, self.playing = self.position, False
            wait = self.interval / self.speed if self.playing else None
            try:
                command, value = self._commands.get(timeout=wait)
            except queue.Empty:
                target = min(self.info.ticks, self.position + 1)
                continue
            if command == "stop":
                return
            if command == "step":
                target = max(1, min(self.info.ticks, self.position + value))
            elif command == "seek":
                target = max(1, min(self.info.ticks, value))
