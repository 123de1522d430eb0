"""The monitor app, typed, for the screens and widgets that read its state.

Textual types ``node.app`` as any App; leaktui's screens read the monitor's own state
(the snapshot, the trends, the broker). One cast here instead of one per read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.dom import DOMNode

if TYPE_CHECKING:
    from leaktui.tui.app import LeakTuiApp


def monitor_app(node: DOMNode) -> LeakTuiApp:
    """The LeakTuiApp (or ReplayApp) that ``node`` is mounted in."""
    return cast("LeakTuiApp", node.app)
