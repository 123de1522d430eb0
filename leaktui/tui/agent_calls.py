"""How the UI reaches a process's agent: ``remote.ask_agent`` decides, as it does for the
command line (the local channel, or the app's --broker when the channel is out of reach).
Called from worker threads: each call may take seconds."""

from __future__ import annotations

from textual.app import App

from leaktui.remote import ask_agent as _ask


def ask_agent(app: App, pid: int, node: str | None, request: dict, timeout: float) -> dict:
    """The agent's answer to ``request``; AgentError, ProtocolError or OSError otherwise."""
    return _ask(
        pid,
        request,
        timeout,
        broker=getattr(app, "broker", None),
        node=node,
        transport_options=getattr(app, "broker_options", None),
    )
