"""allocs inside real workers: the line that keeps memory, native memory told from Python's,
and the worker left as it was."""

from __future__ import annotations

import json
import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest
from harness import send_task, wait_for

from leaktui.commands import main
from leaktui.remote import ask, ask_broker, has_agent
from leaktui.report import allocs_text

pytestmark = [
    pytest.mark.integration,
    pytest.mark.usefixtures("runtime_dir"),
    pytest.mark.timeout(180),
]

AGENT = ["-I", "leaktui.agent"]
LEAKAPP = Path(__file__).resolve().parents[1] / "apps" / "leakapp.py"


def line_of(text: str) -> int:
    """The line of leakapp.py that holds ``text``: the site the agent must name."""
    lines = LEAKAPP.read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def only_child(pid: int) -> int:
    def ready() -> int | None:
        kids = psutil.Process(pid).children()
        return kids[0].pid if len(kids) == 1 and has_agent(kids[0].pid) else None

    return wait_for(ready, 60, "the pool child's channel")


def allocs_while(pid: int, request: dict, send) -> dict:
    """Ask for ``allocs`` and, once the window is open, run ``send`` (tasks to the worker)."""
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(ask, pid, {"command": "allocs", **request}, 120)
        wait_for(lambda: pending.done() or _window_open(pid), 10, "the allocs window to open")
        send()
        return pending.result(timeout=120)


def _window_open(pid: int) -> bool:
    return ask(pid, {"command": "ping"})["allocs"]["window"]


def traced(workers, broker, task: str, arg: int, runs: int, **request: object) -> tuple[int, dict]:
    """A one-child prefork worker, and an allocs window over ``runs`` runs of ``task``:
    (the child, the answer)."""
    worker = workers.start(broker, ["-c", "1", "-n", f"{task}@%h", *AGENT])
    worker.wait_ready()
    child = only_child(worker.pid)
    answer = allocs_while(
        child,
        {"tasks": runs, "seconds": 60, **request},
        lambda: [send_task(broker, task, arg) for _ in range(runs)],
    )
    return child, answer


def test_the_leaky_tasks_line_is_the_top_site_and_tracing_stops_after(workers, fs_broker) -> None:
    child, answer = traced(workers, fs_broker, "leakapp.keep_kib", 256, 40, frames=5)
    top = answer["sites"][0]
    assert Path(top["file"]).name == "leakapp.py"
    assert top["line"] == line_of('_kept.append(b"\\x01" * (kib << 10))')
    assert top["source"].startswith("_kept.append(")
    assert top["size"] >= 40 * 256 * 1024
    assert top["count"] >= 40
    assert top["traceback"][-1]["line"] == top["line"]  # the most recent frame last
    assert top["task"] == "leakapp.keep_kib"  # the task whose code it is
    assert answer["tasks_during"] == 40
    assert answer["native"] is False
    assert answer["was_tracing"] is False
    assert answer["still_tracing"] is False
    assert answer["cost"]["allocation_slowdown"] > 1
    assert ask(child, {"command": "ping"})["tasks"] == 40  # the worker goes on


def test_memory_from_c_malloc_is_called_native(workers, fs_broker) -> None:
    _, answer = traced(workers, fs_broker, "leakapp.native_kib", 1024, 30)
    rss_before, rss_after = answer["rss"]
    traced_before, traced_after = answer["traced"]
    assert rss_after - rss_before >= 25 << 20
    assert traced_after - traced_before < 1 << 20
    assert answer["native"] is True
    before, after = answer["malloc"]  # glibc's own account: in use, not freed and kept
    assert after["mmapped"] + after["in_use"] - before["mmapped"] - before["in_use"] >= 25 << 20


def test_the_command_line_prints_the_sites_and_what_tracing_cost(
    workers, fs_broker, capsys
) -> None:
    worker = workers.start(fs_broker, ["-P", "threads", "-c", "2", "-n", "allocs-cli@%h", *AGENT])
    worker.wait_ready()
    wait_for(lambda: has_agent(worker.pid), 60, "the worker's channel")
    for _ in range(20):
        send_task(fs_broker, "leakapp.keep_kib", 128)
    assert main(["allocs", str(worker.pid), "--seconds", "1", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["seconds_traced"] >= 1
    assert main(["allocs", str(worker.pid), "--seconds", "0.5", "--limit", "3"]) == 0
    text = capsys.readouterr().out
    assert "traced for 0.5 s" in text
    assert "as long while tracing" in text
    assert main(["allocs", str(worker.pid), "--frames", "99"]) == 2
    assert "frames must be a whole number from 1 to 25" in capsys.readouterr().err


def test_through_redis_the_window_does_not_hold_up_the_worker(workers, redis_broker) -> None:
    worker = workers.start(redis_broker, ["-c", "1", "-n", "allocs-redis@%h", *AGENT])
    worker.wait_ready()
    child = only_child(worker.pid)
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(
            ask_broker,
            redis_broker.url,
            child,
            {"command": "allocs", "tasks": 20, "seconds": 60},
            node=f"allocs-redis@{socket.gethostname()}",
            timeout=90,
        )
        wait_for(lambda: pending.done() or _window_open(child), 20, "the window to open")
        # The main process answered at once: it goes on handing tasks to its child.
        for _ in range(20):
            send_task(redis_broker, "leakapp.keep_kib", 256)
        answer = pending.result(timeout=120)
    assert answer["pid"] == child
    assert answer["tasks_during"] == 20
    assert answer["sites"][0]["line"] == line_of('_kept.append(b"\\x01" * (kib << 10))')


def test_a_gevent_worker_traces_its_greenlets_tasks(workers, fs_broker) -> None:
    worker = workers.start(fs_broker, ["-P", "gevent", "-c", "10", "-n", "allocs-g@%h", *AGENT])
    worker.wait_ready()
    wait_for(lambda: has_agent(worker.pid), 60, "the worker's channel")
    answer = allocs_while(
        worker.pid,
        {"tasks": 20, "seconds": 60},
        lambda: [send_task(fs_broker, "leakapp.keep_kib", 256) for _ in range(20)],
    )
    assert answer["tasks_during"] == 20
    assert answer["sites"][0]["line"] == line_of('_kept.append(b"\\x01" * (kib << 10))')


@pytest.mark.parametrize("freeze", [False, True], ids=["plain", "gc.freeze"])
def test_a_child_copying_inherited_pages_is_copy_on_write_until_gc_freeze(
    workers, fs_broker, monkeypatch, freeze
) -> None:
    monkeypatch.setenv("COWAPP_FREEZE", "1" if freeze else "0")
    worker = workers.start(
        fs_broker, ["-c", "1", "-n", f"cow-{freeze}@%h", *AGENT], global_args=["-A", "cowapp"]
    )
    worker.wait_ready()
    child = only_child(worker.pid)
    answer = allocs_while(
        child,
        {"tasks": 1, "seconds": 60},
        lambda: send_task(fs_broker, "cowapp.collect"),
    )
    assert answer["tasks_during"] == 1
    assert answer["gc"]["collections"][2] >= 1  # the full collection ran in the window
    (uss_before, uss_after), (rss_before, rss_after) = answer["uss"], answer["rss"]
    copied = (uss_after - uss_before) - (rss_after - rss_before)
    text = allocs_text({**answer, "pid": child})
    if freeze:
        assert answer["gc"]["frozen"] >= 500_000
        assert copied < 8 << 20
        assert "copy-on-write" not in text
    else:
        assert copied >= 30 << 20  # the pages the lists sit on (43 MiB measured), RSS flat
        assert "LIKELY: USS grew" in text
        assert "gc.freeze()" in text
