"""The system panel: the machine's memory, and the selected worker's limits with headroom.

A worker dies of whichever limit it meets first, so each is shown with what is left:
open files against ``ulimit -n``, address space against ``ulimit -v``, RSS against
``--max-memory-per-child`` and the cgroup. Anything past WARN of its limit is highlighted.
"""

from __future__ import annotations

from itertools import zip_longest

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


Rows = list[tuple[str, Text]]
"""(label, value) lines of one block of the panel."""

GAP = 4
"""Spaces between the machine's block and the worker's, side by side."""


class SystemPanel(Static):
    """RAM, swap and its traffic, memory pressure; the selected worker's limits.

    Drawn as plain lines of text (a rich Table measured every tick cost milliseconds), side
    by side when the panel is wide enough (under the table), stacked when it is not.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._blocks: tuple[Rows, Text | None, Rows] = ([], None, [])
        self._shown: Text | None = None

    def show(self, snapshot: Snapshot | None, worker: Worker | None) -> None:
        system: Rows = []
        machine = snapshot.system if snapshot else None
        if machine is not None:
            used = machine.mem_total - machine.mem_available
            system.append(("RAM", _usage(used, machine.mem_total)))
            swap = _usage(machine.swap_used, machine.swap_total or None)
            if machine.swap_total == 0:
                swap = Text("none configured", style="dim")
            system.append(("Swap", swap))
            if machine.swap_in_per_s is not None and machine.swap_out_per_s is not None:
                swap_in, swap_out = machine.swap_in_per_s, machine.swap_out_per_s
                traffic = f"in {fmt.size(swap_in)}/s · out {fmt.size(swap_out)}/s"
                busy = swap_in + swap_out > 1 << 20
                system.append(("", Text(traffic, style="bold red" if busy else "dim")))
            if machine.pressure is not None:
                p = machine.pressure
                text = Text(f"some {p.some_avg10:.1f}% · full {p.full_avg10:.1f}% (10 s)")
                if p.full_avg10 >= 5 or p.some_avg10 >= 20:
                    text.stylize("bold red")
                system.append(("Pressure", text))
        if snapshot is None or worker is None:
            self._blocks = (system, None, [])
        else:
            title = Text(worker.name, style="bold underline")
            self._blocks = (system, title, self._worker_limits(snapshot, worker))
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        """The blocks as lines; the screen is laid out again only when their number
        changes, and nothing is drawn when no character changed."""
        system, title, limits = self._blocks
        left = _lines(system)
        right = ([title] if title is not None else []) + _lines(limits)
        wide = max((t.cell_len for t in left), default=0)
        if right and wide + GAP + max(t.cell_len for t in right) <= self.size.width:
            lines = [
                _pad(a or Text(), wide + GAP) + (b or Text()) for a, b in zip_longest(left, right)
            ]
        else:
            lines = left + ([Text("")] if left and right else []) + right
        shown = Text("\n").join(lines)
        if shown == self._shown:
            return
        layout = self._shown is None or shown.plain.count("\n") != self._shown.plain.count("\n")
        self._shown = shown
        self.update(shown, layout=layout)

    @staticmethod
    def _worker_limits(snapshot: Snapshot, worker: Worker) -> Rows:
        rows: Rows = []
        main = snapshot.processes.get(worker.main_pid)
        limits = main.limits if main else None
        samples = [snapshot.samples[p] for p in worker.pids if p in snapshot.samples]
        if limits is not None and limits.cgroup_limit is not None:
            total = sum(s.rss for s in samples)
            rows.append(("cgroup", _usage(total, limits.cgroup_limit)))
        # The process nearest each limit is the one that will hit it.
        fds = max((s.num_fds for s in samples if s.num_fds is not None), default=None)
        rows.append(
            ("open files", _usage(fds, limits.nofile.soft if limits else None, as_size=False))
        )
        vms = max((s.vms for s in samples if s.vms is not None), default=None)
        rows.append(("address sp.", _usage(vms, limits.address_space.soft if limits else None)))
        children = [snapshot.samples[p] for p in worker.children if p in snapshot.samples]
        peak_child = max((s.rss for s in children), default=None)
        cap = worker.command.max_memory_per_child
        if cap is not None or worker.pool == "prefork":
            label = _usage(peak_child, cap)
            if cap is None:
                label = Text(f"{fmt.size(peak_child)}, no --max-memory-per-child", style="dim")
            rows.append(("child RSS", label))
        return rows


def _lines(rows: Rows) -> list[Text]:
    """``label   value`` lines, the labels bold and padded to the widest."""
    width = max((len(label) for label, _ in rows), default=0)
    return [Text.assemble((label.ljust(width), "bold"), " ", value) for label, value in rows]


def _pad(text: Text, width: int) -> Text:
    padded = text.copy()
    padded.pad_right(width - text.cell_len)
    return padded
