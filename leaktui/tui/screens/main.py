"""The main screen: every worker with its trend and verdict, and the system panel."""

from __future__ import annotations

import re
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Input, Static

from leaktui.core.model import Snapshot, Worker
from leaktui.report import no_workers_help
from leaktui.tui.screens.worker import WorkerScreen
from leaktui.tui.typed import monitor_app
from leaktui.tui.widgets.host_chart import HostChart
from leaktui.tui.widgets.key_footer import KeyFooter
from leaktui.tui.widgets.status import StatusLine
from leaktui.tui.widgets.system_panel import SystemPanel
from leaktui.tui.widgets.worker_table import WorkerTable

#: Below this width the system panel goes under the table instead of beside it (the
#: "-narrow" class).
NARROW = 140
#: From this many rows, the host memory chart has room under the worker table ("-tall").
TALL = 32
#: Seconds of the session between two drawings of the host memory chart.
HOST_EVERY = 30.0


class MainScreen(Screen):
    """Follows the app's ``snapshot``; owns the sort order and the filter."""

    CSS_PATH = "main.tcss"
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (NARROW, "-wide")]
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-short"), (TALL, "-tall")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "cursor_down", "Down", key_display="j ↓", show=False, id="down"),
        Binding("k,up", "cursor_up", "Up", key_display="k ↑", show=False, id="up"),
        Binding("m", "sort('rss')", "Sort RSS", id="sort-rss"),
        Binding("r", "sort('growth')", "Sort growth", id="sort-growth"),
        Binding("n", "sort('name')", "Sort name", id="sort-name"),
        Binding("enter", "open", "Open worker", id="open-worker"),
        Binding("slash", "filter", "Filter", key_display="/", id="filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="clear-filter"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sort = "rss"
        self.pattern: re.Pattern[str] | None = None
        self._host_drawn = float("-inf")

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield WorkerTable(id="workers")
                yield HostChart(id="host")
            yield SystemPanel(id="system")
        yield Static(id="empty")
        yield Input(placeholder="filter workers (regex), Enter to keep, Esc to clear", id="filter")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False
        self.watch(self.app, "snapshot", self._follow, init=True)

    # -- following the snapshots -------------------------------------------------------------

    def _follow(self, snapshot: Snapshot | None) -> None:
        if snapshot is None:
            return
        empty = self.query_one("#empty", Static)
        body = self.query_one("#body")
        if not snapshot.workers:
            empty.update(
                no_workers_help(snapshot.host, snapshot.unreadable, monitor_app(self).match)
            )
        empty.display = not snapshot.workers
        body.display = bool(snapshot.workers)
        table = self.query_one(WorkerTable)
        visible = {w.name for w in snapshot.workers if self._shown(w)}
        table.show(snapshot, monitor_app(self).trends, self.sort, visible)
        self._panel()
        # The chart spans the session: drawn once there is a line to draw, then every
        # HOST_EVERY seconds of it (a plot costs the UI thread several milliseconds).
        due = not 0 <= snapshot.time - self._host_drawn < HOST_EVERY  # or a replay went back
        if due and self.query_one(HostChart).show(monitor_app(self).trends, snapshot.time):
            self._host_drawn = snapshot.time

    def _shown(self, worker: Worker) -> bool:
        return self.pattern is None or self.pattern.search(worker.name) is not None

    def _panel(self) -> None:
        snapshot: Snapshot | None = monitor_app(self).snapshot
        selected = self.query_one(WorkerTable).selected
        worker = None
        if snapshot is not None:
            worker = next((w for w in snapshot.workers if w.name == selected), None)
        self.query_one(SystemPanel).show(snapshot, worker)

    @on(WorkerTable.RowHighlighted)
    def _selection_moved(self) -> None:
        self._panel()

    # -- actions -----------------------------------------------------------------------------

    def action_cursor_down(self) -> None:
        self.query_one(WorkerTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(WorkerTable).action_cursor_up()

    def action_open(self) -> None:
        """Drill down into the selected worker."""
        name = self.query_one(WorkerTable).selected
        if name is not None:
            self.app.push_screen(WorkerScreen(name))

    @on(WorkerTable.RowSelected)
    def _row_chosen(self) -> None:
        self.action_open()  # Enter on the table, or a click

    def action_sort(self, by: str) -> None:
        """Sort by RSS (largest first), growth rate (fastest first) or name."""
        self.sort = by
        self._follow(monitor_app(self).snapshot)
        self.notify(f"sorted by {by}", timeout=1.5)

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = ""
        box.display = False
        self.pattern = None
        self.query_one(WorkerTable).focus()
        self._follow(monitor_app(self).snapshot)

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        try:
            self.pattern = re.compile(event.value, re.IGNORECASE) if event.value else None
        except re.error:
            return  # half-typed; keep the last pattern that compiled
        self._follow(monitor_app(self).snapshot)

    @on(Input.Submitted, "#filter")
    def _filter_kept(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = bool(box.value)
        self.query_one(WorkerTable).focus()
