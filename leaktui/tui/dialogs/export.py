"""Ask where to export the session, and whether to replace a file that is there."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class ExportDialog(ModalScreen[Path | None]):
    """A path, prefilled with a sensible default; Enter exports, Esc cancels.

    A path that exists needs a second Enter: nothing is overwritten without asking.
    """

    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="cancel-export"),
    ]

    def __init__(self, default: Path) -> None:
        super().__init__()
        self.default = default
        self._confirmed: Path | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("[b]Export the session to CSV[/b]")
            yield Input(str(self.default), id="path")
            yield Label("Enter exports · Esc cancels", id="hint")

    @on(Input.Changed, "#path")
    def _edited(self) -> None:
        self._confirmed = None
        self.query_one("#hint", Label).update("Enter exports · Esc cancels")

    @on(Input.Submitted, "#path")
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        path = Path(text).expanduser()
        if path.is_dir():
            self.query_one("#hint", Label).update(f"[b red]{path} is a folder[/]: name a file")
            return
        if not path.parent.is_dir():
            self.query_one("#hint", Label).update(f"[b red]no folder {path.parent}[/]")
            return
        if path.exists() and self._confirmed != path:
            self._confirmed = path
            self.query_one("#hint", Label).update(
                f"[b yellow]{path.name} exists[/]: Enter again replaces it · Esc cancels"
            )
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)
