"""The line under the title: host, what is monitored, how often, and whether it is paused."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from leaktui.core.model import Snapshot


class StatusLine(Static):
    """``linode-1 · 4 workers · 11 processes · every 1 s · PAUSED``, and the last error."""

    def show(
        self, snapshot: Snapshot | None, interval: float, paused: bool, error: str | None
    ) -> None:
        text = Text()
        if snapshot is None:
            text.append("waiting for the first sample…")
        else:
            processes = sum(len(w.pids) for w in snapshot.workers)
            text.append(snapshot.host, style="bold")
            text.append(
                f" · {_plural(len(snapshot.workers), 'worker')}"
                f" · {_plural(processes, 'process', 'processes')}"
                f" · every {interval:g} s"
            )
        if paused:
            text.append("  PAUSED ", style="bold reverse")
            text.append(" (sampling and journal go on)", style="dim")
        if error:
            text.append(f"  ⚠ {error}", style="bold red")
        self.update(text)


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"
