"""The line under the title: host, what is monitored, how often, paused, replay cursor.

It follows the app's reactives itself, so every screen just yields one.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from leaktui.tui.typed import monitor_app


class StatusLine(Static):
    """``linode-1 · 4 workers · 11 processes · every 1 s · PAUSED``, and the last error."""

    DEFAULT_CSS = """
    StatusLine {
        height: 1;
        padding: 0 1;
        background: $panel;
    }
    """

    def on_mount(self) -> None:
        for name in ("snapshot", "paused", "error", "cursor"):
            self.watch(self.app, name, lambda _: self.redraw(), init=False)
        self.redraw()

    def redraw(self) -> None:
        app = monitor_app(self)
        snapshot = app.snapshot
        text = Text()
        if snapshot is None:
            text.append("waiting for the first sample…")
        else:
            processes = sum(len(w.pids) for w in snapshot.workers)
            text.append(snapshot.host, style="bold")
            text.append(
                f" · {_plural(len(snapshot.workers), 'worker')}"
                f" · {_plural(processes, 'process', 'processes')}"
            )
            cursor = app.cursor
            if cursor:
                text.append(f" · {cursor}", style="bold cyan")
            else:
                text.append(f" · every {app.interval:g} s")
        if app.paused:
            text.append("  PAUSED ", style="bold reverse")
            text.append(" (sampling and journal go on)", style="dim")
        error = app.error
        if error:
            text.append(f"  ⚠ {error}", style="bold red")
        self.update(text, layout=False)  # one line, always: no need to lay the screen out


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"
