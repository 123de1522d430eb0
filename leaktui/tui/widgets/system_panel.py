"""The system panel: the machine's memory, and the selected worker's limits with headroom.

A worker dies of whichever limit it meets first, so each is shown with what is left:
open files against ``ulimit -n``, address space against ``ulimit -v``, RSS against
``--max-memory-per-child`` and the cgroup. Anything past WARN of its limit is highlighted.
"""

from __future__ import annotations

from rich.columns import Columns
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from leaktui import fmt
from leaktui.core.model import Snapshot, Worker

#: The share of a limit at which a value is highlighted.
WARN = 0.8


def _usage(used: float | None, limit: float | None, as_size: bool = True) -> Text:
    """``412.0 MiB / 1.0 GiB (40%)``, red past WARN; ``unlimited`` with no limit."""
    show = fmt.size if as_size else (lambda n: fmt.count(None if n is None else int(n)))
    if used is None:
        return Text("-")
    if limit is None:
        return Text(f"{show(used)} / unlimited")
    share = used / limit if limit else 1.0
    style = "bold red" if share >= WARN else ""
    return Text(f"{show(used)} / {show(limit)} ({share:.0%})", style=style)


class SystemPanel(Static):
    """RAM, swap and its traffic, memory pressure; the selected worker's limits."""

    _shape: tuple[int, int] = (-1, -1)

    def show(self, snapshot: Snapshot | None, worker: Worker | None) -> None:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        system = snapshot.system if snapshot else None
        if system is not None:
            used = system.mem_total - system.mem_available
            grid.add_row("RAM", _usage(used, system.mem_total))
            swap = _usage(system.swap_used, system.swap_total or None)
            if system.swap_total == 0:
                swap = Text("none configured", style="dim")
            grid.add_row("Swap", swap)
            if system.swap_in_per_s is not None and system.swap_out_per_s is not None:
                swap_in, swap_out = system.swap_in_per_s, system.swap_out_per_s
                traffic = f"in {fmt.size(swap_in)}/s · out {fmt.size(swap_out)}/s"
                busy = system.swap_in_per_s + system.swap_out_per_s > 1 << 20
                grid.add_row("", Text(traffic, style="bold red" if busy else "dim"))
            if system.pressure is not None:
                p = system.pressure
                text = Text(f"some {p.some_avg10:.1f}% · full {p.full_avg10:.1f}% (10 s)")
                if p.full_avg10 >= 5 or p.some_avg10 >= 20:
                    text.stylize("bold red")
                grid.add_row("Pressure", text)
        if snapshot is None or worker is None:
            self._show(grid, (grid.row_count, 0))
            return
        title = Text(worker.name, style="bold underline", overflow="ellipsis")
        limits = self._worker_limits(snapshot, worker)
        # Side by side when the panel is wide (under the table), stacked when it is not.
        self._show(
            Columns([grid, Group(title, limits)], padding=(1, 4)),
            (grid.row_count, limits.row_count),
        )

    def _show(self, content: RenderableType, shape: tuple[int, int]) -> None:
        """Lay the screen out again only when the panel's number of lines may change: a
        layout costs tens of milliseconds with a big table, and values change every tick."""
        self.update(content, layout=shape != self._shape)
        self._shape = shape

    @staticmethod
    def _worker_limits(snapshot: Snapshot, worker: Worker) -> Table:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        main = snapshot.processes.get(worker.main_pid)
        limits = main.limits if main else None
        samples = [snapshot.samples[p] for p in worker.pids if p in snapshot.samples]
        if limits is not None and limits.cgroup_limit is not None:
            total = sum(s.rss for s in samples)
            grid.add_row("cgroup", _usage(total, limits.cgroup_limit))
        # The process nearest each limit is the one that will hit it.
        fds = max((s.num_fds for s in samples if s.num_fds is not None), default=None)
        grid.add_row(
            "open files",
            _usage(fds, limits.nofile.soft if limits else None, as_size=False),
        )
        vms = max((s.vms for s in samples if s.vms is not None), default=None)
        grid.add_row("address sp.", _usage(vms, limits.address_space.soft if limits else None))
        children = [snapshot.samples[p] for p in worker.children if p in snapshot.samples]
        peak_child = max((s.rss for s in children), default=None)
        cap = worker.command.max_memory_per_child
        if cap is not None or worker.pool == "prefork":
            label = _usage(peak_child, cap)
            if cap is None:
                label = Text(f"{fmt.size(peak_child)}, no --max-memory-per-child", style="dim")
            grid.add_row("child RSS", label)
        return grid
