"""leaktui's agent, loaded inside Celery workers: ``celery -A proj worker -I leaktui.agent``.

On import it only connects to Celery's signals. The main process and each pool child then
open a local control channel (a Unix socket in the user's private folder) that answers
leaktui's requests: objgraph growth, the most common types, a chain of back-references,
gc statistics, tasks finished, and allocation sites over a window (tracemalloc). Nothing
is computed until asked. It imports only the standard library, objgraph, Celery and
leaktui's own protocol module, never the rest of leaktui.

Also registers the task ``leaktui.debug_memory``, which returns (and logs) the same
report, for ``celery -A proj call leaktui.debug_memory``. ``leaktui attach`` loads it into
a worker that is already running (``attached``).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os

from celery import shared_task
from celery.signals import (
    task_postrun,
    task_prerun,
    worker_init,
    worker_process_init,
    worker_process_shutdown,
    worker_ready,
    worker_shutdown,
)
from celery.worker.control import inspect_command

from leaktui.agent import pending, probes, retained
from leaktui.agent.channel import Channel, ask_local
from leaktui.protocol import ProtocolError, check_request

log = logging.getLogger("leaktui.agent")
_channel: Channel | None = None


def _open(**_: object) -> None:
    """Open this process's channel (once); a failure is logged, never raised."""
    global _channel
    if _channel is not None:
        return
    channel = Channel(probes.answer)
    try:
        channel.start()
    except OSError as exc:
        log.warning("leaktui agent: no local channel for this process: %s", exc)
        return
    _channel = channel


def _close(**_: object) -> None:
    global _channel
    channel, _channel = _channel, None
    if channel is not None:
        channel.stop()


def attached() -> None:
    """Called by ``leaktui attach`` in a process that is already running: worker_init and
    worker_process_init have passed, so open the channel now. The signals above are
    connected from here on: children the main process starts later open their own."""
    _open()


def _child(**_: object) -> None:
    """A new pool child: the parent's socket is not ours to serve, open our own."""
    global _channel
    if _channel is not None:
        _channel.abandon()
        _channel = None
    probes.tasks_done = 0
    retained.reset()
    _open()


def _started(task_id: str | None = None, task: object = None, **_: object) -> None:
    with contextlib.suppress(Exception):  # never fail a task
        retained.started(task_id, getattr(task, "name", None))


def _count(task_id: str | None = None, **_: object) -> None:
    probes.tasks_done += 1
    with contextlib.suppress(Exception):
        retained.finished(task_id)


worker_init.connect(_open, weak=False)
worker_ready.connect(_open, weak=False)
worker_process_init.connect(_child, weak=False)
worker_process_shutdown.connect(_close, weak=False)
worker_shutdown.connect(_close, weak=False)
task_prerun.connect(_started, weak=False)
task_postrun.connect(_count, weak=False)
atexit.register(_close)


#: How long the main process waits for a child when it relays a request from the broker.
RELAY_TIMEOUT = 20.0


def _parent_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return int(f.read().rsplit(b")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


@inspect_command(
    args=[("pid", int)],
    signature="<pid>",
    name="leaktui",
)
def leaktui_remote(state: object, pid: int = 0, request: dict | None = None) -> dict:
    """The broker path: this worker's main process answers for itself or relays to its
    child. Workers that do not own the pid say so (``mine``: false)."""
    me = os.getpid()
    if pid not in (me, 0) and _parent_of(pid) != me:
        return {"ok": False, "mine": False, "error": f"pid {pid} is not a process of this worker"}
    try:
        checked = check_request(request or {"command": "ping"})
    except ProtocolError as exc:
        return {"ok": False, "error": str(exc)}
    try:
        if checked["command"] == "result":
            return pending.result(checked["ticket"])
        if pid in (me, 0):
            if checked["command"] == "allocs":  # seconds long: not on the consumer's thread
                return pending.start(lambda: probes.answer(checked))
            return probes.answer(checked)
        if checked["command"] == "allocs":
            wait = checked["seconds"] + RELAY_TIMEOUT
            return pending.start(lambda: ask_local(pid, checked, wait))
        return ask_local(pid, checked, RELAY_TIMEOUT)
    except Exception as exc:  # never let the agent fail the worker's control loop
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}


@shared_task(name="leaktui.debug_memory")
def debug_memory(
    limit: int = 20, type_name: str | None = None, allocs_seconds: float | None = None
) -> dict:
    """The agent's report for the process that runs this task, returned and logged; with
    ``allocs_seconds``, also the allocation sites over that window (this task waits it out,
    while the process's other threads run)."""
    request = {"command": "report", "limit": limit}
    if type_name is not None:
        request["type"] = type_name
    report = probes.answer(check_request(request))
    if allocs_seconds is not None:
        window = {"command": "allocs", "limit": limit, "seconds": allocs_seconds}
        report["allocs"] = probes.answer(check_request(window))
    with contextlib.suppress(Exception):
        log.warning("leaktui.debug_memory: %s", report)
    return report
