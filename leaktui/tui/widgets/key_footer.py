"""The footer of every screen: Textual's, tighter on a narrow terminal.

At 80 columns the keys, spaced as Textual spaces them, run past the edge and the last
ones (space Pause, e Export) are cut. Packed closer, and without the palette's ``^p``
(which still works, and ``?`` lists every key), they fit.
"""

from __future__ import annotations

from textual.events import Resize
from textual.widgets import Footer

#: Below this many columns the keys are packed closer.
COMPACT_BELOW = 100


class KeyFooter(Footer):
    """A Footer that turns compact below COMPACT_BELOW columns, and back above."""

    def on_resize(self, event: Resize) -> None:
        narrow = event.size.width < COMPACT_BELOW
        self.compact = narrow
        self.show_command_palette = not narrow
