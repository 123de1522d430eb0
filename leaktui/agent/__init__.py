"""leaktui's agent, loaded inside Celery workers: ``celery -A proj worker -I leaktui.agent``.

On import it only connects to Celery's signals. The main process and each pool child then
open a local control channel (a Unix socket in the user's private folder) that answers
leaktui's requests: objgraph growth, the most common types, a chain of back-references,
gc statistics and tasks finished. Nothing is computed until asked. It imports only the
standard library, objgraph and Celery, never the rest of leaktui.

Also registers the task ``leaktui.debug_memory``, which returns (and logs) the same
report, for ``celery -A proj call leaktui.debug_memory``.
"""

from __future__ import annotations

import atexit
import contextlib
import logging

from celery import shared_task
from celery.signals import (
    task_postrun,
    worker_init,
    worker_process_init,
    worker_process_shutdown,
    worker_ready,
    worker_shutdown,
)

from leaktui.agent import probes
from leaktui.agent.channel import Channel
from leaktui.protocol import check_request

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


def _child(**_: object) -> None:
    """A new pool child: the parent's socket is not ours to serve, open our own."""
    global _channel
    if _channel is not None:
        _channel.abandon()
        _channel = None
    probes.tasks_done = 0
    _open()


def _count(**_: object) -> None:
    probes.tasks_done += 1


worker_init.connect(_open, weak=False)
worker_ready.connect(_open, weak=False)
worker_process_init.connect(_child, weak=False)
worker_process_shutdown.connect(_close, weak=False)
worker_shutdown.connect(_close, weak=False)
task_postrun.connect(_count, weak=False)
atexit.register(_close)


@shared_task(name="leaktui.debug_memory")
def debug_memory(limit: int = 20, type_name: str | None = None) -> dict:
    """The agent's report for the process that runs this task, returned and logged."""
    request = {"command": "report", "limit": limit}
    if type_name is not None:
        request["type"] = type_name
    report = probes.answer(check_request(request))
    with contextlib.suppress(Exception):
        log.warning("leaktui.debug_memory: %s", report)
    return report
