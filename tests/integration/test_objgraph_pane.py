"""The objgraph pane in the worker screen, on real workers with and without the agent."""

from __future__ import annotations

import socket
from pathlib import Path

import psutil
import pytest
from harness import send_task, wait_for
from textual.widgets import DataTable, Static
from tui_fakes import text_of, until

from leaktui.core.monitor import Monitor
from leaktui.remote import has_agent
from leaktui.tui.app import LeakTuiApp
from leaktui.tui.source import LiveSource
from leaktui.tui.widgets.objgraph_pane import ObjgraphPane
from leaktui.tui.widgets.process_table import ProcessTable

pytestmark = [
    pytest.mark.integration,
    pytest.mark.usefixtures("runtime_dir"),
    pytest.mark.timeout(180),
]


async def open_child(pilot, app: LeakTuiApp, child: int) -> ObjgraphPane:
    """The worker screen with ``child`` selected."""
    await until(pilot, lambda: app.snapshot is not None and app.snapshot.workers, "a tick")
    await pilot.press("enter")
    table = app.screen.query_one(ProcessTable)
    await until(pilot, lambda: table.row_count == 2, "the worker's processes")
    table.move_cursor(row=table.get_row_index(str(child)))
    await pilot.pause()
    return app.screen.query_one(ObjgraphPane)


async def test_g_fetches_growth_from_the_child_and_enter_shows_what_holds_a_type(
    fs_broker, workers
) -> None:
    worker = workers.start(fs_broker, ["-c", "1", "-n", "pane@%h", "-I", "leaktui.agent"])
    worker.wait_ready()
    child = worker.child_with_agent()
    app = LeakTuiApp(LiveSource(Monitor(hostname=socket.gethostname(), match="^pane@"), 0.5))
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_child(pilot, app, child)
        status = pane.query_one("#objgraph-status", Static)
        growth = pane.query_one("#objgraph-table", DataTable)
        await pilot.press("g")  # the first fetch: a baseline
        await until(pilot, lambda: "objects" in text_of(status), "the first fetch")
        send_task(fs_broker, "leakapp.keep_things", 4000)
        await until(pilot, lambda: "1 tasks" in text_of(status) or _ran(child), "the task")
        await pilot.press("g")
        await until(pilot, lambda: "leakapp.LeakyThing" in _rows(growth), "LeakyThing to grow")
        row = growth.get_row("leakapp.LeakyThing")
        assert str(row[0]).strip() == "+4,000"  # the Δ column
        growth.focus()
        growth.move_cursor(row=growth.get_row_index("leakapp.LeakyThing"))
        await pilot.press("enter")
        chain = pane.query_one("#objgraph-chain", Static)
        await until(pilot, lambda: "list (_things)" in text_of(chain), "the chain")
        assert "module leakapp" in text_of(chain)


def _ran(pid: int) -> bool:
    from leaktui.remote import ask

    return ask(pid, {"command": "ping"})["tasks"] >= 1


def _rows(table: DataTable) -> set[str]:
    return {str(k.value) for k in table.rows}


async def test_without_the_agent_the_pane_gives_the_flag_to_add(fs_broker, workers) -> None:
    worker = workers.start(fs_broker, ["-c", "1", "-n", "bare-pane@%h"])
    worker.wait_ready()
    (child,) = wait_for(lambda: psutil.Process(worker.pid).children() or None, 60, "a child")
    app = LeakTuiApp(LiveSource(Monitor(hostname=socket.gethostname(), match="^bare-pane@"), 0.5))
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_child(pilot, app, child.pid)
        await pilot.press("g")
        status = pane.query_one("#objgraph-status", Static)
        await until(pilot, lambda: "not loaded" in text_of(status), "the error")
        assert "-I leaktui.agent" in text_of(status)
        assert app.screen.query_one(ProcessTable).row_count == 2  # the monitor carries on


async def test_out_of_reach_of_the_local_channel_the_pane_goes_through_the_broker(
    fs_broker, workers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker whose /tmp is its own (systemd's PrivateTmp): its channel cannot be seen."""
    from fsbroker import transport_options
    from harness import free_port

    worker = workers.start(fs_broker, ["-c", "1", "-n", "private@%h", "-I", "leaktui.agent"])
    worker.wait_ready()
    child = worker.child_with_agent()  # the worker can relay to it, once it listens
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setenv("LEAKTUI_RUNTIME_DIR", str(elsewhere))  # leaktui looks here, in vain
    assert not has_agent(child)
    options = transport_options(fs_broker.env["LEAKAPP_FS"])
    for broker, expected in [
        (f"redis://127.0.0.1:{free_port()}/0", "cannot reach the broker"),
        (fs_broker.url, "objects"),
    ]:
        monitor = Monitor(hostname=socket.gethostname(), match="^private@")
        app = LeakTuiApp(LiveSource(monitor, 0.5), broker=broker, broker_options=options)
        async with app.run_test(size=(120, 40)) as pilot:
            pane = await open_child(pilot, app, child)
            await pilot.press("g")
            status = pane.query_one("#objgraph-status", Static)
            await until(
                pilot,
                lambda e=expected, s=status: e in text_of(s),
                expected,
                seconds=40,  # past the pane's own 30 s, so that its error is seen
                seen=lambda s=status: text_of(s),
            )


async def test_t_traces_the_child_and_enter_shows_a_sites_source(
    fs_broker, workers, monkeypatch
) -> None:
    from leaktui.tui.widgets import allocs_pane

    monkeypatch.setattr(allocs_pane, "WINDOW", 3.0)
    worker = workers.start(fs_broker, ["-c", "1", "-n", "allocs-pane@%h", "-I", "leaktui.agent"])
    worker.wait_ready()
    child = worker.child_with_agent()
    app = LeakTuiApp(LiveSource(Monitor(hostname=socket.gethostname(), match="^allocs-pane@"), 0.5))
    async with app.run_test(size=(120, 40)) as pilot:
        await open_child(pilot, app, child)
        pane = app.screen.query_one(allocs_pane.AllocsPane)
        await pilot.press("t")
        status = pane.query_one("#allocs-status", Static)
        await until(pilot, lambda: "tracing allocations" in text_of(status), "the window")
        assert pane.display
        for _ in range(10):
            send_task(fs_broker, "leakapp.keep_kib", 256)
        sites = pane.query_one("#allocs-table", DataTable)
        await until(pilot, lambda: sites.display and sites.row_count > 0, "the sites", 20)
        site, task = str(sites.get_cell_at((0, 1))), str(sites.get_cell_at((0, 2)))
        assert site.startswith("apps/leakapp.py:")
        assert task == "leakapp.keep_kib"
        assert "RSS +" in text_of(status)
        assert "per task: leakapp.keep_kib keeps" in text_of(status)
        sites.focus()
        sites.move_cursor(row=0)
        await pilot.press("enter")
        detail = pane.query_one("#allocs-detail", Static)
        await until(pilot, lambda: "_kept.append(" in text_of(detail), "the site's source")
        assert "celery/app/trace.py" in text_of(detail)  # the traceback into the task
