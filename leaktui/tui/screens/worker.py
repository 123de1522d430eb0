"""The worker screen: each pool process, a chart of the selected one, why its verdict, and
what the agent sees inside it (objgraph, allocations)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import ContentSwitcher, Static

from leaktui.core.diagnosis import diagnose
from leaktui.core.model import Snapshot, Worker
from leaktui.tui.typed import monitor_app
from leaktui.tui.widgets.allocs_pane import AllocsPane
from leaktui.tui.widgets.key_footer import KeyFooter
from leaktui.tui.widgets.objgraph_pane import ObjgraphPane
from leaktui.tui.widgets.process_table import ProcessTable
from leaktui.tui.widgets.rss_chart import RssChart
from leaktui.tui.widgets.status import StatusLine

#: Seconds between objgraph fetches when auto-refresh is on.
AUTO_REFRESH = 10.0
#: Below this many rows the diagnosis alone fills the side column (the "-short" class):
#: the panes' hint gives way to it.
SHORT = 32


class WorkerScreen(Screen):
    """Drill-down into one worker; follows the app's snapshots like the main screen."""

    CSS_PATH = "worker.tcss"
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-short"), (SHORT, "-tall")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding(
            "g",
            "objgraph",
            "objgraph",
            tooltip="objgraph: the Python types that grow in the selected process",
            id="objgraph",
        ),
        Binding(
            "t",
            "allocs",
            "allocs",
            tooltip="allocations: trace the selected process for 10 s, the lines that keep memory",
            id="allocs",
        ),
        Binding(
            "a",
            "auto_refresh",
            "Auto",
            tooltip="objgraph again every 10 s (a again to stop)",
            id="objgraph-auto",
        ),
        Binding("c", "chart", "Chart", id="worker-chart"),
        Binding("j,down", "cursor_down", "Down", key_display="j ↓", show=False, id="worker-down"),
        Binding("k,up", "cursor_up", "Up", key_display="k ↑", show=False, id="worker-up"),
    ]

    def __init__(self, worker: str) -> None:
        super().__init__()
        self.worker_name = worker
        self._auto: Timer | None = None

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        yield Static(id="title")
        yield ProcessTable(id="processes")
        with Horizontal(id="lower"):
            yield RssChart(id="chart")
            with Vertical(id="side"):
                with VerticalScroll(id="reason-box"):  # scrolls where the screen is short
                    yield Static(id="reason")
                with ContentSwitcher(initial="objgraph", id="panes"):
                    yield ObjgraphPane(id="objgraph")
                    yield AllocsPane(id="allocs")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.watch(self.app, "snapshot", self._follow, init=True)
        self.query_one(ProcessTable).focus()

    def _worker(self, snapshot: Snapshot | None) -> Worker | None:
        if snapshot is None:
            return None
        return next((w for w in snapshot.workers if w.name == self.worker_name), None)

    def _follow(self, snapshot: Snapshot | None) -> None:
        worker = self._worker(snapshot)
        title = self.query_one("#title", Static)
        if snapshot is None or worker is None:
            title.update(Text(f"{self.worker_name}: not running any more (Esc goes back)"))
            return
        title.update(
            Text.assemble(
                (worker.name, "bold"),
                f" · {worker.pool}",
                f" · concurrency {worker.concurrency}" if worker.concurrency else "",
                (f"  {worker.cmdline}", "dim"),
                overflow="ellipsis",
                no_wrap=True,
            )
        )
        self.query_one(ProcessTable).show(snapshot, worker, monitor_app(self).trends)
        self._selected()

    def _selected(self) -> None:
        snapshot: Snapshot | None = monitor_app(self).snapshot
        pid = self.query_one(ProcessTable).selected
        if snapshot is None or pid is None:
            return
        assessed = snapshot.verdicts.get((self.worker_name, pid))
        verdict = assessed.memory if assessed else None
        series = monitor_app(self).trends.processes.get(pid)
        self.query_one(RssChart).show(series, verdict, snapshot.time)
        reason = Text()
        reason.append(f"pid {pid}\n", style="bold")
        reason.append(verdict.reason if verdict else "no verdict yet")
        fds = assessed.fds if assessed is not None else None
        if fds is not None:
            reason.append(f"\nopen files: {fds.kind}: {fds.reason}")
        fetches = self.query_one(ObjgraphPane).fetches_for(pid)
        sites = self.query_one(AllocsPane).answer_for(pid)
        worker = self._worker(snapshot)
        limit = worker.command.max_memory_per_child if worker else None
        unshared = monitor_app(self).trends.unshared(pid)
        found = diagnose(verdict, fds, fetches, snapshot.time, sites, limit, unshared)
        if found is not None:
            reason.append("\nlikely: ", style="bold yellow")
            reason.append(found.cause)
            reason.append("\nnext: ", style="bold")
            reason.append(found.next_step)
            if found.stopgap:
                reason.append(f"\n{found.stopgap}", style="dim")
        self.query_one("#reason", Static).update(reason)

    @on(ObjgraphPane.Fetched)
    @on(AllocsPane.Traced)
    def _evidence_arrived(self) -> None:
        self._selected()  # the diagnosis may change with it

    @on(ProcessTable.RowHighlighted)
    def _row_moved(self) -> None:
        self._selected()

    def action_objgraph(self) -> None:
        """Fetch objgraph growth from inside the selected process, and show the pane."""
        if self._fetch_selected():
            self._show_pane("objgraph")

    def action_allocs(self) -> None:
        """Trace allocations inside the selected process for a window, and show the sites."""
        pid = self.query_one(ProcessTable).selected
        if pid is None:
            return
        worker = self._worker(monitor_app(self).snapshot)
        self.query_one(AllocsPane).trace(pid, worker.node if worker else None)
        self._show_pane("allocs")

    def _fetch_selected(self) -> bool:
        """Ask the selected process's agent for its growth; False when none is selected.

        The auto-refresh timer calls this, not the action: a fetch every 10 s must not take
        the chart's place again after ``c``.
        """
        pid = self.query_one(ProcessTable).selected
        if pid is None:
            return False
        snapshot: Snapshot | None = monitor_app(self).snapshot
        sample = snapshot.samples.get(pid) if snapshot else None
        worker = self._worker(snapshot)
        node = worker.node if worker else None
        self.query_one(ObjgraphPane).fetch(pid, sample.rss if sample else None, node)
        return True

    def action_auto_refresh(self) -> None:
        """Fetch again every 10 s, for the selected process; again to stop."""
        if self._auto is not None:
            self._auto.stop()
            self._auto = None
            self.notify("objgraph auto-refresh off", timeout=2)
            return
        self._auto = self.set_interval(AUTO_REFRESH, self._fetch_selected)
        self.action_objgraph()
        self.notify(f"objgraph every {AUTO_REFRESH:g} s", timeout=2)

    def action_chart(self) -> None:
        """The chart again in place of the pane (g or t brings the pane back)."""
        self.set_class(False, "-pane")
        self.refresh_bindings()

    def _show_pane(self, which: str) -> None:
        """objgraph or allocations, in the chart's place (the "-pane" class)."""
        self.query_one(ContentSwitcher).current = which
        self.set_class(True, "-pane")
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """``c`` (back to the chart) only where the chart gave way to a pane."""
        if action == "chart":
            return self.has_class("-pane")
        return True

    def action_cursor_down(self) -> None:
        self.query_one(ProcessTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(ProcessTable).action_cursor_up()
