"""Every message the monitor posts, in one place.

Snapshots arrive at the sampling rate. A UI that falls behind should draw the newest once,
not work through a queue, so the source's Mailbox posts SnapshotsReady only when none is
pending, and the app then takes all that arrived (see ``source.Mailbox``).
"""

from __future__ import annotations

from textual.message import Message


class SnapshotsReady(Message):
    """New Snapshots (or errors) wait in the Mailbox."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SnapshotsReady)
