"""A DataTable kept in line with a set of rows by difference, never rebuilt.

Each tick only the cells whose value changed are updated, rows that left are removed and
new ones added: a full rebuild would lose the cursor and cost a re-render of every row.
"""

from __future__ import annotations

from typing import ClassVar

from textual.widgets import DataTable


class DiffTable(DataTable):
    """Rows keyed by a string; subclasses name their columns and build each row's cells."""

    COLUMNS: ClassVar[tuple[tuple[str, str, int | None], ...]] = ()
    """(key, label, width) per column. Fixed widths where a cell's text grows after the
    first tick: cells updated in place do not widen their column. None: as wide as its rows."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        for key, label, width in self.COLUMNS:
            self.add_column(label, key=key, width=width)
        self._cells: dict[str, dict[str, object]] = {}

    def sync(self, rows: dict[str, dict[str, object]]) -> bool:
        """Bring the table in line with ``rows`` (key -> cells by column); True if any
        row was added (new rows arrive at the end, so the caller may want to re-sort)."""
        for key in [k for k in self._cells if k not in rows]:
            self.remove_row(key)
            del self._cells[key]
        added = False
        for key, cells in rows.items():
            old = self._cells.get(key)
            if old is None:
                self.add_row(*cells.values(), key=key)
                added = True
            else:
                for column, value in cells.items():
                    if old[column] != value:
                        self.update_cell(key, column, value)
            self._cells[key] = cells
        return added
