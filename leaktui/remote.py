"""The client side of the agent: ask a worker process, over its local channel or through
the Celery broker (the worker's main process answers, or relays to its child).

``ask_agent`` is the one place that decides between the two, for the command line and
the UI alike: the local channel when the process has one open here, the broker when one
was given and the channel is out of reach (another host, a private /tmp).

Every failure is an AgentError whose message says what to do: the agent is not loaded
(and the flag that loads it), the process is gone, it did not answer in time, or it
answered with an error.
"""

from __future__ import annotations

import json
import os
import socket
import time
from typing import TYPE_CHECKING

from leaktui.core.errors import BadInput, LeaktuiError
from leaktui.protocol import MAX_ANSWER, channel_path, check_request, decode, encode

if TYPE_CHECKING:  # Celery is imported only when the broker is asked
    from celery import Celery
    from kombu import Connection

AGENT_FLAG = "-I leaktui.agent"


class AgentError(LeaktuiError):
    """A request that got no answer, or an error answer; the message is for the user."""


def ask_agent(
    pid: int,
    request: dict,
    timeout: float = 30.0,
    *,
    broker: str | None = None,
    node: str | None = None,
    transport_options: dict | None = None,
) -> dict:
    """``pid``'s answer to ``request``: over its local channel when it has one open here,
    else through ``broker`` when given (to ``node``, or the worker found on this host that
    owns the pid); else ``ask`` says how to load the agent."""
    if broker and not has_agent(pid):
        return ask_broker(
            broker,
            pid,
            request,
            node=node or _node_of(pid),
            timeout=timeout,
            transport_options=transport_options,
        )
    return ask(pid, request, timeout=timeout)


def _node_of(pid: int) -> str | None:
    """The node name of the local worker that owns ``pid``, if there is one here."""
    from leaktui.core.discover import Discoverer

    found = Discoverer().scan()
    return next((w.node for w in found.workers if pid in w.pids), None)


def broker_options() -> dict | None:
    """The broker's transport options, from $LEAKTUI_BROKER_OPTIONS (a JSON object)."""
    text = os.environ.get("LEAKTUI_BROKER_OPTIONS")
    if not text:
        return None
    try:
        options = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"$LEAKTUI_BROKER_OPTIONS: not JSON: {exc}") from None
    if not isinstance(options, dict):
        raise BadInput("$LEAKTUI_BROKER_OPTIONS: expected a JSON object")
    return options


def _owner(pid: int) -> int:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except FileNotFoundError:
        raise AgentError(f"pid {pid}: no such process") from None


def has_agent(pid: int) -> bool:
    """Whether the process has a channel open (the agent is loaded and listening)."""
    try:
        return channel_path(pid, _owner(pid)).exists()
    except (AgentError, OSError):
        return False


def ask(pid: int, request: dict, timeout: float = 30.0) -> dict:
    """Send one request to ``pid``'s agent and return its answer (``ok`` is true)."""
    request = check_request(request)  # fail here, not in the worker
    path = channel_path(pid, _owner(pid))
    if not path.exists():
        raise AgentError(
            f"pid {pid}: leaktui's agent is not loaded in this process; load it now with "
            f"'leaktui attach {pid}', or start the worker with '{AGENT_FLAG}' "
            f"(celery -A proj worker {AGENT_FLAG})"
        )
    began = time.monotonic()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(str(path))
            sock.sendall(encode(request))
            data = _read_all(sock)
        except PermissionError:
            raise AgentError(
                f"pid {pid}: its channel {path} belongs to another user; run leaktui as that "
                "user, or with sudo"
            ) from None
        except ConnectionRefusedError:
            raise AgentError(
                f"pid {pid}: its channel {path} is not listening (the process is "
                "ending, or was killed)"
            ) from None
        except TimeoutError:
            raise AgentError(
                f"pid {pid}: no answer within {timeout:g} s (a busy process, or a very large "
                "heap: objgraph walks every object)"
            ) from None
    answer = decode(data.strip(), MAX_ANSWER + 1)
    if not answer.get("ok"):
        raise AgentError(f"pid {pid}: the agent says: {answer.get('error', 'no reason given')}")
    answer["round_trip"] = round(time.monotonic() - began, 4)
    return answer


def _read_all(sock: socket.socket) -> bytes:
    chunks, size = [], 0
    while size <= MAX_ANSWER:
        chunk = sock.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def ask_broker(
    url: str,
    pid: int,
    request: dict,
    *,
    node: str | None = None,
    timeout: float = 10.0,
    transport_options: dict | None = None,
) -> dict:
    """The same request as ``ask``, as a Celery remote-control command; no result backend.

    With ``node`` the call returns as soon as that worker replies; without it every worker
    is asked and the call waits the whole ``timeout`` for the one that owns ``pid``. A
    request that takes a window (allocs) is answered with a ticket, and its result is then
    asked of that worker for up to ``timeout`` more.
    """
    from celery import Celery
    from kombu.exceptions import OperationalError

    from leaktui.core.cmdline import redact

    request = check_request(request)
    shown = redact(url)
    app = Celery("leaktui-client", broker=url, set_as_current=False)
    if transport_options:
        app.conf.broker_transport_options = transport_options
    if url.startswith("filesystem://"):
        # kombu's own transport writes each message in place, and a worker that reads one
        # half-written dies of a JSONDecodeError (celery/kombu#1551); ours appear whole.
        app.conf.broker_transport = "leaktui.fstransport:Transport"
    began = time.monotonic()
    try:
        with app.connection_for_write() as connection:
            try:
                connection.ensure_connection(max_retries=1, timeout=timeout)
            except (OperationalError, OSError) as exc:
                raise AgentError(f"cannot reach the broker at {shown}: {exc}") from None
            node, answer = _broadcast(app, connection, pid, request, node, timeout, shown)
            # A request that takes a window (allocs) answers with a ticket at once: the
            # worker's control thread must not wait. Ask its node for the result until then.
            deadline = time.monotonic() + timeout
            while answer.get("pending") and time.monotonic() < deadline:
                time.sleep(min(0.5, max(deadline - time.monotonic(), 0)))
                ticket = {"command": "result", "ticket": answer["pending"]}
                _, answer = _broadcast(
                    app, connection, pid, ticket, node, max(deadline - time.monotonic(), 1), shown
                )
            if answer.get("pending"):
                raise AgentError(f"pid {pid}: no result through {shown} within {timeout:g} s")
    finally:
        app.close()
    answer["round_trip"] = round(time.monotonic() - began, 4)
    return answer


def _broadcast(
    app: Celery,
    connection: Connection,
    pid: int,
    request: dict,
    node: str | None,
    timeout: float,
    shown: str,
) -> tuple[str, dict]:
    """One remote-control call: the node that answered for ``pid``, and its (ok) answer."""
    replies = app.control.broadcast(
        "leaktui",
        arguments={"pid": pid, "request": request},
        destination=[node] if node else None,
        reply=True,
        timeout=timeout,
        connection=connection,
    )
    answers = [(name, a) for reply in replies or [] for name, a in reply.items()]
    if not node:  # asked everyone: only the owner's answer counts
        answers = [(name, a) for name, a in answers if a.get("mine") is not False]
    if not answers:
        who = f"worker {node} did not answer" if node else "no worker that owns it answered"
        raise AgentError(
            f"pid {pid}: {who} through {shown} within {timeout:g} s; is the agent loaded "
            f"({AGENT_FLAG}), and is the worker running and not too busy to reply?"
        )
    name, answer = answers[0]
    if not answer.get("ok"):
        raise AgentError(f"pid {pid}: the agent says: {answer.get('error', 'no reason given')}")
    return name, answer
