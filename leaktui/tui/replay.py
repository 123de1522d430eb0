"""``leaktui replay``: the same app over a recording, with a time cursor.

Step, jump to the start or the end, play at a chosen speed; the verdicts shown are those
known at that moment, because the recording is replayed through the same engine.
"""

from __future__ import annotations

import time
from typing import ClassVar

from textual.binding import Binding, BindingType

from leaktui.tui.app import LeakTuiApp
from leaktui.tui.source import ReplaySource


class ReplayApp(LeakTuiApp):
    """The monitor, driven by a ReplaySource's cursor instead of the clock."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "pause", "Play/stop", id="play"),
        # Priority: the tables' own arrows and Home/End would take these keys first.
        Binding("right,l", "step(1)", "Step", key_display="→ l", priority=True, id="step"),
        Binding("left,h", "step(-1)", "Back", key_display="← h", priority=True, id="back-step"),
        Binding("shift+right", "step(60)", "+60 ticks", show=False, priority=True, id="step-60"),
        Binding("shift+left", "step(-60)", "-60 ticks", show=False, priority=True, id="back-60"),
        Binding("home", "seek(1)", "Start", priority=True, id="start"),
        Binding("end", "seek_end", "End", priority=True, id="end"),
        Binding("plus,equals_sign", "faster(1)", "Faster", key_display="+", id="faster"),
        Binding("minus", "faster(-1)", "Slower", key_display="-", id="slower"),
    ]

    source: ReplaySource

    def on_mount(self) -> None:
        # Textual calls LeakTuiApp.on_mount too (handlers run for each class): not again here.
        self.set_interval(0.25, self._show_cursor)

    def watch_snapshot(self) -> None:
        self._show_cursor()

    def _show_cursor(self) -> None:
        s = self.source
        state = "▶" if s.playing else "■"
        moment = ""
        if self.latest is not None:
            moment = time.strftime(" · %Y-%m-%d %H:%M:%S UTC", time.gmtime(self.latest.time))
        self.cursor = f"replay {state} ×{s.speed} · tick {s.position}/{s.info.ticks}{moment}"

    def action_pause(self) -> None:
        """Play or stop: in a replay, space moves the cursor instead of freezing it."""
        self.source.play(not self.source.playing)
        self._show_cursor()

    def action_step(self, ticks: int) -> None:
        self.source.play(False)
        self.source.step(ticks)

    def action_seek(self, tick: int) -> None:
        self.source.play(False)
        self.source.seek(tick)

    def action_seek_end(self) -> None:
        self.action_seek(self.source.info.ticks)

    def action_faster(self, steps: int) -> None:
        self.source.faster(steps)
        self._show_cursor()
