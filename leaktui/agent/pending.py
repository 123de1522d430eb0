"""Requests that take a window (``allocs``) when they come through the broker.

A remote-control command is answered on the worker's consumer thread, which must not wait
seconds: that would hold up every task the worker is sent. So the main process starts the
work in a thread of its own and answers at once with a ticket; the client then asks for
the result with ``{"command": "result", "ticket": ...}`` until it is there.
Kept: at most ``KEEP`` tickets, each dropped when its result is fetched or after
``STALE`` seconds (a client that went away).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable

KEEP = 8
STALE = 900.0

_lock = threading.Lock()
_tickets: dict[str, tuple[float, dict | None]] = {}


def start(work: Callable[[], dict]) -> dict:
    """Run ``work`` in a thread; the answer carries the ticket to ask for its result."""
    now = time.monotonic()
    with _lock:
        for ticket, (began, _) in list(_tickets.items()):
            if now - began > STALE:
                del _tickets[ticket]
        if len(_tickets) >= KEEP:
            return {"ok": False, "error": f"{KEEP} requests are already waiting; try again later"}
        ticket = secrets.token_hex(8)
        _tickets[ticket] = (now, None)
    threading.Thread(
        target=_run, args=(ticket, work), name="leaktui-agent-window", daemon=True
    ).start()
    return {"ok": True, "pending": ticket}


def _run(ticket: str, work: Callable[[], dict]) -> None:
    try:
        result = work()
    except Exception as exc:  # the worker must never see the agent fail
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    with _lock:
        if ticket in _tickets:
            _tickets[ticket] = (_tickets[ticket][0], result)


def result(ticket: str) -> dict:
    """The result, once (its ticket is then forgotten), or ``pending`` while it runs."""
    with _lock:
        if ticket not in _tickets:
            return {"ok": False, "error": f"no request {ticket} (done and fetched, or expired)"}
        _, found = _tickets[ticket]
        if found is None:
            return {"ok": True, "pending": ticket}
        del _tickets[ticket]
        return found
