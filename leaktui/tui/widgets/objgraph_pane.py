"""The objgraph pane: which Python types grow inside the selected process, and what holds them.

Fetches go through the agent's local channel in a worker thread, never on the UI thread;
the answer (or the error, worded for the user) comes back as a message. Each process keeps
the history of its last fetches, so the types that grow every time stand out.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from leaktui import fmt
from leaktui.core.diagnosis import Fetch
from leaktui.protocol import ProtocolError
from leaktui.remote import AGENT_FLAG, AgentError
from leaktui.tui.agent_calls import ask_agent

#: Fetches remembered per process, for the history column.
HISTORY = 8
#: Above this RSS, a fetch (a walk of every object) asks for confirmation first.
BIG_HEAP = 1 << 30

HINT = (
    "[b]objgraph[/b]: which Python types grow inside this process, and what holds them.\n"
    "[b]g[/b] fetches for the selected process · [b]Enter[/b] on a type shows what holds it"
    " · [b]a[/b] refreshes every 10 s · [b]t[/b] traces allocations instead.\n"
    "It needs leaktui's agent in the worker: [b]leaktui attach PID[/b] loads it now, "
    f"[b]celery -A proj worker {AGENT_FLAG}[/b] at every start"
)


@dataclass
class _Process:
    """What the pane remembers of one process: its last fetches."""

    fetches: deque[Fetch] = field(default_factory=lambda: deque(maxlen=HISTORY))


class ObjgraphPane(Vertical):
    """A growth table, a line of status, and the chain of the chosen type."""

    DEFAULT_CSS = """
    ObjgraphPane {
        height: 1fr;
    }
    ObjgraphPane > #objgraph-status, ObjgraphPane > #objgraph-chain {
        height: auto;
    }
    ObjgraphPane > #objgraph-table {
        height: 1fr;
    }
    """

    class Fetched(Message):
        def __init__(self, pid: int, answer: dict | None, error: str | None) -> None:
            super().__init__()
            self.pid, self.answer, self.error = pid, answer, error

    class Chained(Message):
        """What holds a type (``chain``), or why it could not be asked (``error``)."""

        def __init__(self, pid: int, type_name: str, chain: str | None, error: str | None) -> None:
            super().__init__()
            self.pid, self.type_name, self.chain, self.error = pid, type_name, chain, error

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.pid: int | None = None
        self.node: str | None = None
        self._processes: dict[int, _Process] = {}
        self._confirm_big: int | None = None

    def compose(self) -> ComposeResult:
        yield Static(HINT, id="objgraph-status")
        yield DataTable(id="objgraph-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="objgraph-chain")

    def on_mount(self) -> None:
        table = self.query_one("#objgraph-table", DataTable)
        # Numbers first: in a narrow pane a long type name may be cut, the figures not.
        for key, label in (("delta", "Δ"), ("count", "Count"), ("seen", "Grew"), ("type", "Type")):
            table.add_column(label, key=key)
        table.display = False

    def _status(self, text: str | Text) -> None:
        self.query_one("#objgraph-status", Static).update(text)

    # -- fetching ------------------------------------------------------------------------------

    def fetch(self, pid: int, rss: int | None, node: str | None = None) -> None:
        """Growth since the last fetch, for ``pid``; a big heap asks first."""
        if rss is not None and rss > BIG_HEAP and self._confirm_big != pid:
            self._confirm_big = pid
            self._status(
                Text.from_markup(
                    f"[b yellow]pid {pid} holds {fmt.size(rss)}[/]: objgraph walks every "
                    "object (0.2 to 0.4 s per million), and the process waits meanwhile. "
                    "[b]g[/b] again to go ahead."
                )
            )
            return
        self._confirm_big = None
        self.pid, self.node = pid, node
        self._status(f"pid {pid}: fetching…")
        self._fetch(pid, node)

    @work(thread=True, exclusive=True, group="objgraph")
    def _fetch(self, pid: int, node: str | None) -> None:
        try:
            answer = ask_agent(self, pid, node, {"command": "growth", "limit": 30}, timeout=30)
        except (AgentError, ProtocolError, OSError) as exc:
            self.post_message(self.Fetched(pid, None, str(exc)))
            return
        self.post_message(self.Fetched(pid, answer, None))

    @on(Fetched)
    def _fetched(self, message: Fetched) -> None:
        if message.pid != self.pid:
            return  # the selection moved on meanwhile
        table = self.query_one("#objgraph-table", DataTable)
        if message.error is not None:
            table.display = False
            self._status(Text(message.error, style="bold red"))
            return
        answer = message.answer or {}
        memory = self._processes.setdefault(message.pid, _Process())
        gc = answer.get("gc") or {}
        memory.fetches.append(
            Fetch(
                answer.get("objects", 0),
                {row["type"]: row["delta"] for row in answer.get("growth", [])},
                gc.get("uncollectable", 0),
                gc.get("garbage", 0),
            )
        )
        first = len(memory.fetches) == 1
        self._status(
            f"pid {message.pid} · {answer.get('objects', 0):,} objects · "
            f"{answer.get('tasks', 0)} tasks · {answer.get('seconds', 0):.2f} s in the process"
            + (" · first fetch: every type counts as growth" if first else "")
        )
        self._fill(table, memory, answer)

    @staticmethod
    def _fill(table: DataTable, memory: _Process, answer: dict) -> None:
        """Sorted by delta; 'Grew' counts the fetches in which the type grew."""
        table.clear()
        history = list(memory.fetches)[1:]  # the first fetch counts everything
        for row in answer.get("growth", []):
            name = row["type"]
            seen = sum(1 for fetch in history if name in fetch.growth)
            grew = f"{seen}/{len(history)}" if history else "-"
            style = "bold red" if history and seen == len(history) and len(history) >= 2 else ""
            table.add_row(
                Text(f"+{row['delta']:,}", justify="right"),
                Text(f"{row['count']:,}", justify="right"),
                grew,
                Text(name, style=style),
                key=name,
            )
        table.display = True

    def fetches_for(self, pid: int) -> list[Fetch]:
        """This process's fetches so far, oldest first: the evidence for a diagnosis."""
        memory = self._processes.get(pid)
        return list(memory.fetches) if memory else []

    # -- the chain of a type -------------------------------------------------------------------

    @on(DataTable.RowSelected, "#objgraph-table")
    def _type_chosen(self, event: DataTable.RowSelected) -> None:
        if self.pid is None or event.row_key.value is None:
            return
        self.query_one("#objgraph-chain", Static).update(
            f"what holds {event.row_key.value}: looking…"
        )
        self._chain(self.pid, self.node, event.row_key.value)

    @work(thread=True, exclusive=True, group="objgraph-chain")
    def _chain(self, pid: int, node: str | None, type_name: str) -> None:
        try:
            request = {"command": "chain", "type": type_name}
            answer = ask_agent(self, pid, node, request, timeout=60)
        except (AgentError, ProtocolError, OSError) as exc:
            self.post_message(self.Chained(pid, type_name, None, str(exc)))
            return
        chain = answer.get("chain") or answer.get("note", "no chain found")
        self.post_message(self.Chained(pid, type_name, chain, None))

    @on(Chained)
    def _chained(self, message: Chained) -> None:
        shown = (message.error, "bold red") if message.error else (message.chain or "", "")
        self.query_one("#objgraph-chain", Static).update(
            Text.assemble(("held by: ", "bold"), shown)
        )
