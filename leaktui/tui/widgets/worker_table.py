"""The worker table: one row per worker, updated by difference, never rebuilt.

Rows are keyed by worker name. Each tick only the cells whose text changed are updated,
rows of workers that left are removed and new ones added, and the rows are re-sorted only
when their order changed: 100 workers stay cheap at one tick a second.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text

from leaktui import fmt
from leaktui.core.model import Snapshot, Worker
from leaktui.core.trends import Trends
from leaktui.core.verdict import Verdict
from leaktui.tui.widgets.row_table import RowTable

SPARK_WIDTH = 16

#: How each verdict looks in a cell. Words carry the meaning; colour only helps.
VERDICT_STYLE = {
    "leak": "bold white on dark_red",
    "growing": "bold black on dark_orange",
    "suspect": "bold yellow",
    "warming": "cyan",
    "stable": "green",
    "insufficient": "dim",
}

#: Most important first: at 80 columns the verdict must be on screen, the pool may scroll.
#: Widths are fixed where the text grows after the first tick ("measuring…" becomes a
#: badge): cells updated in place do not widen their column. None: as wide as its rows.
COLUMNS: tuple[tuple[str, str, int | None], ...] = (
    ("worker", "Worker", None),
    ("rss", "RSS", 10),
    ("verdict", "Verdict", 38),
    ("trend", "RSS trend", SPARK_WIDTH),
    ("pool", "Pool", 12),
)

SORTS: dict[str, Callable[[Snapshot, Worker, Trends], object]] = {
    "rss": lambda s, w, t: -_rss(s, w),
    "growth": lambda s, w, t: -(_verdict(s, w).rate or 0.0) if _verdict(s, w) else 0.0,
    "name": lambda s, w, t: w.name,
}


def _rss(snapshot: Snapshot, worker: Worker) -> int:
    return sum(snapshot.samples[p].rss for p in worker.pids if p in snapshot.samples)


def _verdict(snapshot: Snapshot, worker: Worker) -> Verdict | None:
    assessed = snapshot.verdicts.get((worker.name, None))
    return assessed.memory if assessed else None


def trend_label(trends: Trends) -> str:
    """``RSS, 40m``: the span the sparklines cover, the session so far."""
    if trends.first is None or trends.last is None or trends.last <= trends.first:
        return "RSS trend"
    return f"RSS, {fmt.eta_short(trends.last - trends.first)}"


def verdict_cell(verdict: Verdict | None, fd_leak: bool = False) -> Text:
    """The coloured badge: ``LEAK +38 MiB/h · limit in ~5h 00m``, ``warming``, ``stable``."""
    if verdict is None:
        return Text("measuring…", style=VERDICT_STYLE["insufficient"])
    badge = fmt.verdict_badge(verdict.kind, verdict.rate, verdict.eta, verdict.urgent)
    style = VERDICT_STYLE.get(fmt.shown_kind(verdict.kind, verdict.urgent), "")
    text = Text(f" {badge} ", style=style)
    if fd_leak:
        text.append(" FD LEAK ", style="bold white on dark_magenta")
    return text


class WorkerTable(RowTable):
    """Workers, their RSS sparkline and verdict; the cursor row is the selected worker."""

    COLUMNS = COLUMNS

    @property
    def selected(self) -> str | None:
        """The worker under the cursor, if any."""
        return self.selected_key

    def show(self, snapshot: Snapshot, trends: Trends, sort: str, visible: set[str]) -> None:
        """Bring the rows in line with this snapshot: add, remove, update changed cells."""
        workers = [w for w in snapshot.workers if w.name in visible]
        rank = SORTS[sort]
        order = [w.name for w in sorted(workers, key=lambda w: (rank(snapshot, w, trends), w.name))]
        # A sparkline spans the session: off screen, last tick's stands until it scrolls in.
        fresh = set(self.in_view(order))
        self.sync({w.name: self._row(snapshot, w, trends, w.name in fresh) for w in workers})
        self.arrange(order)
        self.relabel("trend", trend_label(trends))

    def _row(
        self, snapshot: Snapshot, worker: Worker, trends: Trends, in_view: bool
    ) -> dict[str, object]:
        fd_leak = any(
            (a := snapshot.verdicts.get((worker.name, pid))) is not None and a.fd_leak
            for pid in worker.pids
        )
        kept = self._cells.get(worker.name)
        if in_view or kept is None:
            values = trends.overview(trends.workers.get(worker.name), SPARK_WIDTH)
            trend: object = Text(fmt.spark(values, SPARK_WIDTH), style="cyan")
        else:
            trend = kept["trend"]
        name = Text(worker.name)
        if not all(
            (info := snapshot.processes.get(p)) is None or info.readable for p in worker.pids
        ):
            name.append(" (other user)", style="dim")
        return {
            "worker": name,
            "rss": Text(fmt.size(_rss(snapshot, worker)), justify="right"),
            "verdict": verdict_cell(_verdict(snapshot, worker), fd_leak),
            "trend": trend,
            "pool": f"{worker.pool} ×{len(worker.pids)}",
        }
