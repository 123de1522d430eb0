"""The Textual monitor: screens, widgets and the messages that feed them Snapshots."""
