"""How the UI reaches a process's agent: ``remote.ask_agent`` decides, as it does for the
command line (the local channel, or the app's --broker when the channel is out of reach).
Called from worker threads: each call may take seconds."""

from __future__ import annotations

from textual.dom import DOMNode

from leaktui.remote import ask_agent as _ask
from leaktui.tui.typed import monitor_app


def ask_agent(asking: DOMNode, pid: int, node: str | None, request: dict, timeout: float) -> dict:
    """``pid``'s answer to ``request`` (``node``: the worker that owns it, for the broker);
    AgentError, ProtocolError or OSError otherwise."""
    app = monitor_app(asking)
    return _ask(
        pid,
        request,
        timeout,
        broker=app.broker,
        node=node,
        transport_options=app.broker_options,
    )
