"""The allocations pane: the lines that keep memory in one process, traced by its agent.

``t`` asks the selected process's agent to trace allocations (tracemalloc) for a window;
the pane shows a bar while the window runs, then the sites, largest first, and which task
each runs in. ``Enter`` on a site shows its source line and traceback. Fetched in a worker
thread: the window lasts seconds, the UI never waits for it.
"""

from __future__ import annotations

import time

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, ProgressBar, Static

from leaktui import fmt
from leaktui.protocol import ProtocolError
from leaktui.remote import AGENT_FLAG, AgentError
from leaktui.tui.agent_calls import ask_agent

#: Seconds each window traces: long enough for a few tasks, short enough to wait for.
WINDOW = 10.0
#: Frames kept per allocation: the site and three callers, enough to see which task it ran
#: in. Each frame costs: an allocation-heavy task ran 10 times slower traced with 1 frame,
#: 27 times with 4 and 77 times with 10 (tests/benchmarks/bench_allocs.py).
FRAMES = 4

HINT = (
    "[b]allocations[/b]: the lines whose memory stays alive, traced inside this process.\n"
    f"[b]t[/b] traces the selected process for {WINDOW:g} s · [b]Enter[/b] on a site shows "
    "its source and traceback.\n"
    "It needs leaktui's agent in the worker: [b]leaktui attach PID[/b] loads it now, "
    f"[b]celery -A proj worker {AGENT_FLAG}[/b] at every start"
)


class AllocsPane(Vertical):
    """A line of status (a bar while tracing), the sites, and the chosen site's traceback."""

    DEFAULT_CSS = """
    AllocsPane {
        height: 1fr;
    }
    AllocsPane > #allocs-status, AllocsPane > #allocs-detail {
        height: auto;
    }
    AllocsPane > #allocs-table {
        height: 1fr;
    }
    """

    class Traced(Message):
        """A window's answer (or its error) for one process."""

        def __init__(self, pid: int, answer: dict | None, error: str | None) -> None:
            super().__init__()
            self.pid, self.answer, self.error = pid, answer, error

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.pid: int | None = None
        self._answers: dict[int, dict] = {}
        self._began = 0.0
        self._ticker: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text.from_markup(HINT), id="allocs-status")
        yield ProgressBar(total=WINDOW, show_eta=False, id="allocs-progress")
        yield DataTable(id="allocs-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="allocs-detail")

    def on_mount(self) -> None:
        table = self.query_one("#allocs-table", DataTable)
        # The site and its task first: in a narrow pane the last column is cut.
        for key, label in (
            ("size", "Kept"),
            ("site", "Site"),
            ("task", "Task"),
            ("count", "Blocks"),
        ):
            table.add_column(label, key=key)
        table.display = False
        self.query_one(ProgressBar).display = False

    def answer_for(self, pid: int) -> dict | None:
        """The last window's answer for ``pid``: evidence for the diagnosis."""
        return self._answers.get(pid)

    def trace(self, pid: int, node: str | None) -> None:
        """Start a window in ``pid``; the bar fills while it runs."""
        self.pid = pid
        self._began = time.monotonic()
        bar = self.query_one(ProgressBar)
        bar.update(progress=0)
        bar.display = True
        self.query_one("#allocs-table", DataTable).display = False
        self.query_one("#allocs-detail", Static).update("")
        self._status(f"pid {pid}: tracing allocations for {WINDOW:g} s…")
        if self._ticker is not None:
            self._ticker.stop()
        self._ticker = self.set_interval(0.25, self._tick)
        self._trace(pid, node)

    def _tick(self) -> None:
        self.query_one(ProgressBar).update(progress=min(time.monotonic() - self._began, WINDOW))

    def _status(self, text: str | Text) -> None:
        self.query_one("#allocs-status", Static).update(text)

    @work(thread=True, exclusive=True, group="allocs")
    def _trace(self, pid: int, node: str | None) -> None:
        request = {"command": "allocs", "seconds": WINDOW, "frames": FRAMES, "limit": 30}
        try:
            answer = ask_agent(self, pid, node, request, timeout=WINDOW + 30)
            # Which task keeps memory, from the figures the agent keeps per task name.
            kept = ask_agent(self, pid, node, {"command": "tasks", "limit": 5}, timeout=10)
            answer["by_task"] = kept.get("by_task", [])
        except (AgentError, ProtocolError, OSError) as exc:
            self.post_message(self.Traced(pid, None, str(exc)))
            return
        self.post_message(self.Traced(pid, answer, None))

    @on(Traced)
    def _traced(self, message: Traced) -> None:
        if message.pid != self.pid:
            return  # the selection moved on meanwhile
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None
        self.query_one(ProgressBar).display = False
        table = self.query_one("#allocs-table", DataTable)
        if message.error is not None or message.answer is None:
            table.display = False
            self._status(Text(message.error or "no answer", style="bold red"))
            return
        answer = message.answer
        self._answers[message.pid] = answer
        traced = answer["traced"][1] - answer["traced"][0]
        rss = answer["rss"][1] - answer["rss"][0]
        status = Text(
            f"pid {message.pid} · traced {answer['seconds_traced']:.0f} s · "
            f"{answer['tasks_during']} tasks · Python {fmt.signed_size(traced)} · "
            f"RSS {fmt.signed_size(rss)}"
        )
        kept = answer.get("by_task") or []
        if kept and kept[0]["bytes_per_run"] > 0:
            status.append(f"\nper task: {fmt.task_kept(kept[0])}")
        if answer.get("native"):
            status.append(
                "\nnative: RSS grew, Python's allocations did not (a C extension, or the "
                "allocator)",
                style="bold yellow",
            )
        self._status(status)
        table.clear()
        for index, site in enumerate(answer.get("sites", [])):
            table.add_row(
                Text(fmt.signed_size(site["size"]), justify="right"),
                f"{fmt.site_path(site['file'])}:{site['line']}",
                site.get("task", "-"),
                Text(f"{site['count']:+,}", justify="right"),
                key=str(index),
            )
        table.display = True

    @on(DataTable.RowSelected, "#allocs-table")
    def _site_chosen(self, event: DataTable.RowSelected) -> None:
        answer = self._answers.get(self.pid) if self.pid is not None else None
        if answer is None or event.row_key.value is None:
            return
        site = answer["sites"][int(event.row_key.value)]
        detail = Text()
        detail.append(f"{fmt.site_path(site['file'])}:{site['line']}", style="bold")
        detail.append(f"  {site['source']}\n")
        for frame in site.get("traceback", [])[:-1]:  # the last one is the site itself
            detail.append(f"  {fmt.site_path(frame['file'])}:{frame['line']}", style="dim")
            detail.append(f"  {frame['source']}\n")
        self.query_one("#allocs-detail", Static).update(detail)
