"""A table of keyed rows that draws only the rows that changed.

Textual's DataTable renders every visible row again after any ``update_cell`` (its caches
are keyed on one update counter for the whole table), which costs tens of milliseconds a
tick with a screenful of workers. Here each row is kept as one rendered strip, and a tick
re-renders and repaints only the rows whose cells changed (or that the cursor entered or
left). The table is brought in line with a set of rows by difference (``sync``), and
ordered by keys (``arrange``): it is never rebuilt, so the cursor stays on its row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

Cells = dict[str, object]
"""A row's cells by column key: a str or a rich Text each."""

_PADDING = 1
"""Spaces on either side of a cell."""


class RowTable(ScrollView, can_focus=True):
    """Rows keyed by a string, under a fixed header; subclasses name the columns."""

    COLUMNS: ClassVar[tuple[tuple[str, str, int | None], ...]] = ()
    """(key, label, width) per column. None: as wide as its widest cell, else fixed (cells
    are cut with an ellipsis, never wrapped)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Select", show=False),
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First row", show=False),
        Binding("end", "last", "Last row", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "row-table--header",
        "row-table--cursor",
        "row-table--even-row",
    }

    DEFAULT_CSS = """
    RowTable {
        background: $surface;
        color: $foreground;
        height: auto;
        max-height: 100%;
        & > .row-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        & > .row-table--even-row {
            background: $surface-lighten-1 50%;
        }
        & > .row-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .row-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        &:dark > .row-table--even-row {
            background: $surface-darken-1 40%;
        }
    }
    """

    class _RowMessage(Message):
        """Something happened to the row ``key`` of ``table``."""

        def __init__(self, table: RowTable, key: str) -> None:
            super().__init__()
            self.table, self.key = table, key

        @property
        def control(self) -> RowTable:
            return self.table

    class RowHighlighted(_RowMessage):
        """The cursor moved to another row (or the row under it changed place)."""

    class RowSelected(_RowMessage):
        """Enter on a row, or a click on the row under the cursor."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._cells: dict[str, Cells] = {}
        self._order: list[str] = []
        self._index: dict[str, int] = {}
        self._widths = [width or len(label) for _, label, width in self.COLUMNS]
        self._labels = {column: label for column, label, _ in self.COLUMNS}
        self._strips: dict[str, dict[str, Strip]] = {}
        """Per row, its rendered strip as each kind of row (odd, even, under the cursor):
        dropped when its cells change; kept when it only moves (a sort, the cursor)."""
        self._header: tuple[tuple, Strip] | None = None
        self._styles: dict[str, Style] = {}
        """The rich style of each kind of row, until the theme or the focus changes."""
        self.cursor_row = 0

    # -- what the table holds ------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._order)

    @property
    def row_keys(self) -> list[str]:
        """The keys, in the order shown."""
        return list(self._order)

    @property
    def selected_key(self) -> str | None:
        """The key of the row under the cursor, if any."""
        return self._order[self.cursor_row] if self._order else None

    def in_view(self, order: Sequence[str]) -> list[str]:
        """The keys of ``order`` that would be on screen at the current scroll."""
        top = int(self.scroll_offset.y)
        return list(order[top : top + max(self.size.height - 1, 0)])

    def relabel(self, column: str, label: str) -> None:
        """A column's header says something that changes (the span a sparkline covers)."""
        if self._labels[column] != label:
            self._labels[column] = label
            self._header = None
            self.refresh_line(self.scroll_offset.y)  # the header, fixed on top

    def get_cell(self, key: str, column: str) -> object:
        return self._cells[key][column]

    def get_row_index(self, key: str) -> int:
        return self._index[key]

    def sync(self, rows: dict[str, Cells]) -> bool:
        """Bring the table in line with ``rows`` (key -> cells by column); True if a row was
        added (new rows arrive at the end: the caller may want to ``arrange``)."""
        selected = self.selected_key
        gone = [key for key in self._cells if key not in rows]
        for key in gone:
            del self._cells[key]
            self._strips.pop(key, None)
        added = [key for key in rows if key not in self._cells]
        for key, cells in rows.items():
            if self._cells.get(key) != cells:
                self._cells[key] = cells
                self._strips.pop(key, None)
                if key in self._index and not gone:
                    self._refresh_row(self._index[key])
        if gone or added:
            self._set_order([k for k in self._order if k in rows] + added, selected)
        if self._fit_widths():
            self._strips.clear()
            self._header = None
            self.refresh()
        return bool(added)

    def arrange(self, keys: Sequence[str]) -> None:
        """Show the rows in this order (the same keys the table holds); the cursor stays
        on its row."""
        if list(keys) != self._order:
            self._set_order(list(keys), self.selected_key)

    def _set_order(self, order: list[str], selected: str | None) -> None:
        """The rows in a new order: the cursor follows its row (or, if that row left, stays
        where it was), and says so only if the row under it changed."""
        self._order = order
        self._index = {key: i for i, key in enumerate(order)}
        size = Size(self._total_width(), len(order) + 1)
        if size != self.virtual_size:
            self.virtual_size = size
        row = self._index.get(selected, min(self.cursor_row, len(order) - 1)) if order else 0
        self.cursor_row = max(row, 0)
        self._scroll_to_cursor()
        self.refresh_lines(int(self.scroll_offset.y) + 1, self.size.height)
        if self.selected_key is not None and self.selected_key != selected:
            self.post_message(self.RowHighlighted(self, self.selected_key))

    def _fit_widths(self) -> bool:
        """Widen (or narrow) the columns without a fixed width to their widest cell."""
        changed = False
        for i, (column, label, width) in enumerate(self.COLUMNS):
            if width is not None:
                continue
            fit = max([len(label), *(_cell_len(row[column]) for row in self._cells.values())])
            if fit != self._widths[i]:
                self._widths[i] = fit
                changed = True
        if changed:
            self.virtual_size = Size(self._total_width(), len(self._order) + 1)
        return changed

    def _total_width(self) -> int:
        return sum(w + 2 * _PADDING for w in self._widths)

    # -- the cursor ----------------------------------------------------------------------------

    def move_cursor(self, *, row: int) -> None:
        """Put the cursor on ``row`` (clamped) and scroll it into view."""
        if not self._order:
            self.cursor_row = 0
            return
        row = max(0, min(row, len(self._order) - 1))
        if row == self.cursor_row:
            return
        previous, self.cursor_row = self.cursor_row, row
        for index in (previous, row):
            if 0 <= index < len(self._order):
                self._refresh_row(index)
        self._scroll_to_cursor()
        self.post_message(self.RowHighlighted(self, self._order[row]))

    def _refresh_row(self, index: int) -> None:
        """Repaint row ``index`` if it is in view; one out of view is drawn when scrolled to."""
        top = self.scroll_offset.y
        if top <= index < top + self.size.height:
            self.refresh_line(index + 1)

    def _scroll_to_cursor(self) -> None:
        visible = max(self.size.height - 1, 1)  # the rows under the header
        if self.cursor_row < self.scroll_offset.y:
            self.scroll_to(y=self.cursor_row, animate=False)
        elif self.cursor_row >= self.scroll_offset.y + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False)

    def action_cursor_up(self) -> None:
        self.move_cursor(row=self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self.cursor_row + 1)

    def action_page_up(self) -> None:
        self.move_cursor(row=self.cursor_row - max(self.size.height - 1, 1))

    def action_page_down(self) -> None:
        self.move_cursor(row=self.cursor_row + max(self.size.height - 1, 1))

    def action_first(self) -> None:
        self.move_cursor(row=0)

    def action_last(self) -> None:
        self.move_cursor(row=len(self._order) - 1)

    def action_select_cursor(self) -> None:
        if self._order:
            self.post_message(self.RowSelected(self, self._order[self.cursor_row]))

    def on_click(self, event: events.Click) -> None:
        if event.y < 1:
            return  # the header
        row = self.scroll_offset.y + event.y - 1
        if row >= len(self._order):
            return
        if row == self.cursor_row:
            self.action_select_cursor()
        else:
            self.move_cursor(row=row)

    # -- drawing -------------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        """A new theme or focus: every strip was drawn with the old styles."""
        super().notify_style_update()
        self._restyle()

    def _on_focus(self, event: events.Focus) -> None:
        self._restyle()

    def _on_blur(self, event: events.Blur) -> None:
        self._restyle()

    def _restyle(self) -> None:
        self._styles.clear()
        self._strips.clear()
        self._header = None
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width, scroll_x = self.size.width, self.scroll_offset.x
        if y == 0:
            header = self._row_style("header")
            return self._header_strip().crop_extend(scroll_x, scroll_x + width, header)
        index = self.scroll_offset.y + y - 1
        if index >= len(self._order):
            return Strip.blank(width, self._row_style(""))
        key = self._order[index]
        kind = "cursor" if index == self.cursor_row else ("even" if index % 2 else "odd")
        kinds = self._strips.setdefault(key, {})
        strip = kinds.get(kind)
        if strip is None:
            strip = kinds[kind] = self._line(self._cells[key], self._row_style(kind))
        return strip.crop_extend(scroll_x, scroll_x + width, self._row_style(kind))

    _COMPONENTS: ClassVar[dict[str, str]] = {
        "header": "row-table--header",
        "cursor": "row-table--cursor",
        "even": "row-table--even-row",
    }

    def _row_style(self, kind: str) -> Style:
        """The style of a kind of line (header, cursor, even, or any other row)."""
        style = self._styles.get(kind)
        if style is None:
            style = self.rich_style
            if kind in self._COMPONENTS:
                style += self.get_component_rich_style(self._COMPONENTS[kind])
            self._styles[kind] = style
        return style

    def _header_strip(self) -> Strip:
        made_for = (self._total_width(),)
        if self._header is None or self._header[0] != made_for:
            cells = {column: Text(label) for column, label in self._labels.items()}
            self._header = (made_for, self._line(cells, self._row_style("header")))
        return self._header[1]

    def _line(self, cells: Cells, style: Style) -> Strip:
        """One row: each cell cut or padded to its column. Each cell keeps segments of its
        own, so that a screenshot (SVG) places every cell at its column."""
        console = self.app.console
        pad = Segment(" " * _PADDING, style)
        segments: list[Segment] = []
        for (column, _, _), width in zip(self.COLUMNS, self._widths, strict=True):
            value = cells.get(column, "")
            text = value.copy() if isinstance(value, Text) else Text(str(value))
            text.truncate(width, overflow="ellipsis")
            text.align(text.justify if text.justify in ("right", "center") else "left", width)
            cell = Text(end="")
            cell.append_text(text)  # the cell's own style becomes a span...
            cell.stylize_before(style)  # ...over the row's (a base style alone is not drawn)
            segments.append(pad)
            segments.extend(cell.render(console))
            segments.append(pad)
        return Strip(segments, self._total_width())


def _cell_len(value: object) -> int:
    return value.cell_len if isinstance(value, Text) else len(str(value))
