"""How the UI reaches a process's agent: its local channel, or the broker when the channel
is out of reach (a worker with a private /tmp, or on another host) and leaktui was given
--broker. Called from worker threads: each call may take seconds."""

from __future__ import annotations

from textual.app import App

from leaktui.remote import ask, ask_broker, has_agent


def ask_agent(app: App, pid: int, node: str | None, request: dict, timeout: float) -> dict:
    """The agent's answer to ``request``; AgentError, ProtocolError or OSError otherwise."""
    broker = getattr(app, "broker", None)
    if broker and not has_agent(pid):
        options = getattr(app, "broker_options", None)
        return ask_broker(
            broker, pid, request, node=node, timeout=timeout, transport_options=options
        )
    return ask(pid, request, timeout=timeout)
