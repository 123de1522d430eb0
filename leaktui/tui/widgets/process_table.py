"""A worker's processes, one row per pid, updated by difference like the worker table."""

from __future__ import annotations

from rich.text import Text

from leaktui import fmt
from leaktui.core.model import Snapshot, Worker
from leaktui.core.trends import Trends
from leaktui.tui.widgets.row_table import RowTable
from leaktui.tui.widgets.worker_table import trend_label, verdict_cell

SPARK_WIDTH = 12

#: Fixed widths, as in the worker table: values change in place, columns must not clip them.
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("pid", "PID", 8),
    ("role", "Role", 5),
    ("rss", "RSS", 10),
    ("verdict", "Verdict", 38),
    ("trend", "RSS trend", SPARK_WIDTH),
    ("uss", "USS", 10),
    ("swap", "Swap", 10),
    ("fds", "FDs", 5),
    ("threads", "Thr", 4),
    ("cpu", "CPU", 5),
    ("tasks", "Tasks", 6),
)


class ProcessTable(RowTable):
    """The main process first, then the pool children by pid."""

    COLUMNS = COLUMNS

    @property
    def selected(self) -> int | None:
        """The pid under the cursor, if any."""
        key = self.selected_key
        return int(key) if key is not None else None

    def show(self, snapshot: Snapshot, worker: Worker, trends: Trends) -> None:
        pids = [p for p in worker.pids if p in snapshot.samples]
        added = self.sync({str(pid): self._row(snapshot, worker, pid, trends) for pid in pids})
        if added:  # a recycled child arrives at the end; keep main first, then by pid
            self.arrange([str(p) for p in pids])
        self.relabel("trend", trend_label(trends))

    def _row(
        self, snapshot: Snapshot, worker: Worker, pid: int, trends: Trends
    ) -> dict[str, object]:
        s = snapshot.samples[pid]
        assessed = snapshot.verdicts.get((worker.name, pid))
        fd_leak = assessed is not None and assessed.fd_leak
        values = trends.overview(trends.processes.get(pid), SPARK_WIDTH)

        def right(text: str) -> Text:
            return Text(text, justify="right")

        return {
            "pid": str(pid),
            "role": "main" if pid == worker.main_pid else "child",
            "rss": right(fmt.size(s.rss)),
            "verdict": verdict_cell(assessed.memory if assessed else None, fd_leak),
            "trend": Text(fmt.spark(values, SPARK_WIDTH), style="cyan"),
            "uss": right(fmt.size(s.uss)),
            "swap": right(fmt.size(s.swap)),
            "fds": right(fmt.count(s.num_fds)),
            "threads": right(fmt.count(s.num_threads)),
            "cpu": right("-" if s.cpu_percent is None else f"{s.cpu_percent:.0f}%"),
            "tasks": right(fmt.count(s.tasks)),
        }
