"""Help: every key of the screen underneath, read from the bindings themselves."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

VERDICTS = (
    ("LEAK", "the post-GC floor keeps rising, too straight for any warm-up that levels off"),
    ("GROWING", "not yet sure it is a leak, but it reaches its limit before it could level off"),
    ("suspect", "the floor is rising; not yet sure it will not level off"),
    ("warming", "growth that is slowing down, like a cache filling"),
    ("stable", "flat, or levelled off, or stepped up once and flat since"),
    ("measuring…", "less than 3 minutes of samples"),
)


class HelpScreen(ModalScreen[None]):
    """Keys and what the verdicts mean; any of Esc, q or ? closes it."""

    CSS_PATH = "help.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="close-help"),
        Binding("question_mark", "dismiss", "Close", show=False, key_display="?"),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def __init__(self, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        keys = Table.grid(padding=(0, 2))
        keys.add_column(style="bold cyan", no_wrap=True)
        keys.add_column()
        for key, description in self.keys:
            keys.add_row(key, description)
        verdicts = Table.grid(padding=(0, 2))
        verdicts.add_column(style="bold", no_wrap=True)
        verdicts.add_column()
        for name, meaning in VERDICTS:
            verdicts.add_row(name, meaning)
        with VerticalScroll(id="help"):
            yield Static("[b]Keys[/b]")
            yield Static(keys)
            yield Static("\n[b]Verdicts[/b]")
            yield Static(verdicts)
            yield Static("\n[dim]Esc closes this help.[/dim]")
