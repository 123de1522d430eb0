"""The monitor app: takes Snapshots from its source and fans them out through reactives.

The source's thread never touches the UI: it fills a Mailbox, which posts SnapshotsReady;
the app takes every snapshot since the last message, folds each into the trends (so no
sparkline point is lost when ticks coalesce) and sets ``snapshot`` to the newest; screens
follow it with ``watch``. Pausing freezes the display only: sampling, the journal and the
trends go on, and resuming shows the newest snapshot at once.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen

from leaktui.core import csvfile
from leaktui.core.errors import BadInput
from leaktui.core.journal import JournalError
from leaktui.core.model import Snapshot
from leaktui.core.recording import read_rows
from leaktui.core.trends import Trends
from leaktui.tui.dialogs.export import ExportDialog
from leaktui.tui.messages import SnapshotsReady
from leaktui.tui.screens.help import HelpScreen
from leaktui.tui.screens.main import MainScreen
from leaktui.tui.source import Mailbox, SnapshotSource


class LeakTuiApp(App[None]):
    """leaktui's live monitor of one host's Celery workers."""

    TITLE = "leaktui"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("question_mark", "help", "Help", key_display="?", id="help"),
        Binding("space,p", "pause", "Pause", key_display="space", id="pause"),
        Binding("e", "export", "Export", tooltip="Export the session so far to CSV", id="export"),
    ]

    # The screens and widgets watch these and redraw what they show; repainting the whole
    # screen on every tick (a reactive's default) would render every widget again.
    snapshot: reactive[Snapshot | None] = reactive(None, always_update=False, repaint=False)
    paused: reactive[bool] = reactive(False, repaint=False)
    error: reactive[str | None] = reactive(None, repaint=False)
    cursor: reactive[str | None] = reactive(None, repaint=False)
    """Where a replay stands; None when live."""

    def __init__(
        self,
        source: SnapshotSource,
        match: str | None = None,
        broker: str | None = None,
        broker_options: dict | None = None,
    ) -> None:
        super().__init__()
        self.source = source
        self.interval = source.interval
        self.match = match
        self.broker = broker
        """Where to reach the agent when a process's local channel is out of reach."""
        self.broker_options = broker_options
        self.trends = Trends()
        self.latest: Snapshot | None = None
        self.mailbox = Mailbox(lambda: self.post_message(SnapshotsReady()))

    def on_mount(self) -> None:
        self.push_screen(MainScreen())
        self.source.start(self.mailbox)

    def on_unmount(self) -> None:
        self.source.stop()

    @on(SnapshotsReady)
    def _snapshots_ready(self) -> None:
        reset, snapshots, errors = self.mailbox.take()
        if reset:
            self.trends = Trends()
        for snapshot in snapshots:
            self.trends.observe(snapshot)
        if snapshots:
            if self.latest is None:
                # Textual, Rich and the first screen are built: what lives for the whole
                # session. Frozen, the collector's full passes skip it and take a few
                # milliseconds instead of tens, which would miss a frame.
                gc.freeze()
            self.latest = snapshots[-1]
            self.error = self.latest.errors[0] if self.latest.errors else None
            if not self.paused:
                self.snapshot = self.latest
        if errors:
            self.error = errors[-1]

    def action_pause(self) -> None:
        """Freeze the display (sampling and the journal go on); again to resume."""
        self.paused = not self.paused
        if not self.paused and self.latest is not None:
            self.snapshot = self.latest

    def action_export(self) -> None:
        """Write every sample of the session so far to a CSV the user names."""
        recording = self.source.recording
        if recording is None:
            self.notify("nothing to export: this session keeps no journal", severity="warning")
            return
        host = self.latest.host if self.latest else "leaktui"
        stamp = time.strftime("%Y%m%d-%H%M%S")
        default = Path.cwd() / f"leaktui-{host}-{stamp}.csv"

        def chosen(path: Path | None) -> None:
            if path is not None:
                self._export(recording, path)

        self.push_screen(ExportDialog(default), chosen)

    @work(thread=True, exclusive=True, group="export")
    def _export(self, recording: Path, path: Path) -> None:
        """In a thread: a long session takes a while to write, the UI must not wait."""
        try:
            rows = csvfile.write_csv(read_rows(recording), path)
        except (OSError, BadInput, JournalError) as exc:
            self.call_from_thread(self.notify, f"export failed: {exc}", severity="error")
            return
        self.call_from_thread(self.notify, f"exported {rows} samples to {path}", timeout=6)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        keys = [  # a tooltip is the longer description the footer has no room for
            (b.key_display or self.get_key_display(b), b.tooltip or b.description)
            for b in self._documented(self.screen)
        ]
        self.push_screen(HelpScreen(keys))

    def _documented(self, screen: Screen) -> Iterable[Binding]:
        """leaktui's own keys on ``screen`` and app-wide, each key once, nearest first.

        Read from the classes' BINDINGS (ours all carry an id), not from what is active: a
        focused table's own Enter or arrows would hide the screen's, and its generic
        cursor keys are not worth a line in the help.
        """
        seen: set[str] = set()
        for node in (screen, self):
            for cls in type(node).__mro__:
                for binding in cls.__dict__.get("BINDINGS", ()):
                    if not isinstance(binding, Binding) or not binding.id:
                        continue
                    keys = binding.key.split(",")
                    if seen.isdisjoint(keys) and binding.description:
                        seen.update(keys)
                        yield binding

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every key's action in the command palette too: the mouse or keys, never needed."""
        yield from super().get_system_commands(screen)
        for active in screen.active_bindings.values():
            binding = active.binding
            if binding.description and binding.id:
                yield SystemCommand(
                    binding.description,
                    f"key: {binding.key_display or binding.key}",
                    lambda node=active.node, action=binding.action: self.run_action(action, node),
                )
