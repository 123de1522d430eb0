"""Every message the monitor posts, in one place.

Snapshots arrive at the sampling rate; a UI that falls behind should draw the newest, not
work through a queue, so a pending SnapshotReady is replaced by the next one.
"""

from __future__ import annotations

from textual.message import Message

from leaktui.core.model import Snapshot


class SnapshotReady(Message):
    """A tick's immutable Snapshot, from the sampling thread (or the replay cursor)."""

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SnapshotReady)


class SamplingFailed(Message):
    """A tick failed; sampling goes on, the UI shows why."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error
