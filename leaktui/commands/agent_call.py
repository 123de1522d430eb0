"""How the commands that ask an agent (objgraph, allocs, tasks) send their request."""

from __future__ import annotations

import argparse


def ask(args: argparse.Namespace, request: dict, timeout: float) -> dict:
    """The agent's answer for ``args.pid``: its local channel, or --broker when that is out of
    reach (``remote.ask_agent`` decides, as it does for the UI). AgentError and
    ProtocolError carry their exit status to ``main``."""
    from leaktui.remote import ask_agent, broker_options

    broker = getattr(args, "broker", None)
    return ask_agent(
        args.pid,
        request,
        timeout,
        broker=broker,
        node=args.node,
        transport_options=broker_options() if broker else None,
    )
