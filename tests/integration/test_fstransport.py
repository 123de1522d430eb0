"""leaktui's filesystem transport, where writers and readers race on the broker's files.

The demo's four workers all bind a queue to ``celery.pidbox`` as they start. With kombu's
stock transport the exchange's table is created empty and locked only afterwards: a worker
read it empty and died of a JSONDecodeError (seen on CI, in the Quickstart's ``leaktui
demo``), and two that created it together left a file that no longer parses. A message is
written the same way, so a worker could read leaktui's own broadcast half-written (seen on
CI, in the objgraph pane's broker path).
"""

from __future__ import annotations

import builtins
import json
import multiprocessing
import socket
import time
from pathlib import Path

import pytest
from fsbroker import transport_options
from kombu import Connection
from kombu.transport import filesystem

from leaktui import fstransport
from leaktui.fstransport import Transport
from leaktui.remote import ask_broker

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

PROCESSES = 8
ROUNDS = 10


def _bind(folder: str, exchange: str, queue: str, barrier, errors) -> None:
    """One worker's start, as far as the exchange table goes: bind, at the barrier's word."""
    options = {"data_folder_in": folder, "data_folder_out": folder, "control_folder": folder}
    with Connection("filesystem://", transport=Transport, transport_options=options) as conn:
        channel = conn.default_channel
        barrier.wait(timeout=30)
        try:
            channel._queue_bind(exchange, "", "", queue)
        except Exception as exc:  # whatever a worker would have died of
            errors.put(f"{queue}: {exc!r}")


def test_workers_binding_at_once_each_find_their_queue_in_a_table_that_parses(
    tmp_path: Path,
) -> None:
    context = multiprocessing.get_context("fork")
    errors = context.Queue()
    for round_ in range(ROUNDS):
        exchange = f"celery.pidbox-{round_}"
        barrier = context.Barrier(PROCESSES)
        queues = [f"worker{i}.pidbox" for i in range(PROCESSES)]
        workers = [
            context.Process(target=_bind, args=(str(tmp_path), exchange, q, barrier, errors))
            for q in queues
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
            assert worker.exitcode == 0, f"a binding process did not finish ({worker.exitcode})"
        died = []
        while not errors.empty():
            died.append(errors.get())
        assert died == [], f"round {round_}: {died}"
        table = json.loads((tmp_path / f"{exchange}.exchange").read_text())
        assert sorted(row[2] for row in table) == sorted(queues), f"round {round_}"
    assert not list(tmp_path.glob("*.writing"))  # no partial table left behind


def _stalling_open(file, mode="r", *args, **kwargs):
    """``open``, as a writer the scheduler preempts between creating a file and filling it."""
    f = builtins.open(file, mode, *args, **kwargs)  # noqa: SIM115 (returned, as open does)
    if "w" in mode and ".msg" in str(file):
        time.sleep(0.3)  # a worker polls every 50 ms: it lists the folder six times meanwhile
    return f


@pytest.mark.usefixtures("runtime_dir")
def test_a_worker_never_reads_leaktuis_broadcast_half_written(
    fs_broker, workers, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = workers.start(fs_broker, ["-c", "1", "-n", "atomic@%h", "-I", "leaktui.agent"])
    worker.wait_ready()
    for module in (filesystem, fstransport):  # whichever the client writes with
        monkeypatch.setattr(module, "open", _stalling_open, raising=False)
    answer = ask_broker(
        fs_broker.url,
        worker.pid,
        {"command": "ping"},
        node=f"atomic@{socket.gethostname()}",
        timeout=10,
        transport_options=transport_options(fs_broker.env["LEAKAPP_FS"]),
    )
    assert answer["pid"] == worker.pid
    assert worker.proc.poll() is None, worker.log.read_text()[-2000:]
