"""`leaktui demo`: real workers on the embedded broker, the verdicts it promises, and a
clean exit that leaves no process and no folder behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import psutil
import pytest
from harness import wait_for

pytestmark = [pytest.mark.integration]


def demo_processes() -> list[psutil.Process]:
    """Every process the demo may have started (its workers carry its node names)."""
    out = []
    for p in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(p.info["cmdline"] or [])
        if "leaktui.demo.app" in cmdline or "@leaktui-demo" in cmdline:
            out.append(p)
    return out


def demo_folders(tmp: Path) -> list[Path]:
    return sorted(tmp.glob("leaktui-demo-*"))


@pytest.fixture
def private_tmp(tmp_path: Path) -> Path:
    """The demo's temporary folder goes here, so the test can see it come and go."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    return folder


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_the_demo_on_the_production_thresholds_calls_its_leak_within_four_minutes(
    private_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What ``leaktui demo --headless`` watches, tick by tick, with the thresholds a real
    worker gets: the leak is called within four minutes, the cache that fills is never
    called a leak, the healthy worker is stable, and the open files are an fd leak."""
    from leaktui.core.monitor import Monitor, run
    from leaktui.core.verdict import Thresholds
    from leaktui.demo import headless
    from leaktui.demo.launcher import MATCH, Demo, task_counts

    monkeypatch.setenv("TMPDIR", str(private_tmp))
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    seen: dict[str, set[str]] = {}
    last: list[list[dict]] = []

    def tick() -> None:
        rows = headless.verdicts(monitor.tick())
        for row in rows:
            seen.setdefault(row["worker"].split("@")[0], set()).add(row["verdict"])
        last[:] = [rows]

    with Demo() as demo, task_counts() as counts:
        monitor = Monitor(hostname="demo", match=MATCH, task_counts=counts)
        assert monitor.assessment.thresholds == Thresholds()
        run(tick, 1.0, threading.Event(), duration=230)
        folder = demo.folder
    verdicts = {row["worker"].split("@")[0]: row for row in last[0]}
    assert verdicts["reports"]["verdict"] == "leak", verdicts["reports"]
    assert "leak" not in seen["thumbnails"], verdicts["thumbnails"]
    assert verdicts["email"]["verdict"] == "stable", verdicts["email"]
    assert verdicts["exports"]["fd_verdict"] == "leak"
    assert not folder.exists()
    assert not demo_processes()


@pytest.mark.timeout(200)
def test_sigterm_stops_every_demo_process_and_removes_its_folder(private_tmp: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "leaktui", "demo", "--headless", "--duration", "600"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "TMPDIR": str(private_tmp)},
    )
    try:
        folder = wait_for(lambda: (demo_folders(private_tmp) or [None])[0], 60, "the demo folder")
        wait_for(
            lambda: (
                sum(" ready." in p.read_text(errors="replace") for p in folder.glob("*.log")) == 4
            ),
            120,
            "the four demo workers",
        )
        assert len(demo_processes()) == 7  # four main processes, three prefork children
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:  # a failed assertion: still let the demo clean up after itself
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    assert not demo_folders(private_tmp)
    wait_for(lambda: not demo_processes(), 30, "every demo process to be gone")
    assert not Path(tempfile.gettempdir(), folder.name).exists()


@pytest.mark.timeout(240)
async def test_the_demo_ui_fetches_objgraph_from_the_leaking_child(private_tmp, monkeypatch):
    from textual.widgets import DataTable, Static
    from tui_fakes import text_of, until

    from leaktui.core.monitor import Monitor
    from leaktui.demo.launcher import MATCH, Demo, task_counts
    from leaktui.tui.app import LeakTuiApp
    from leaktui.tui.source import LiveSource
    from leaktui.tui.widgets.objgraph_pane import ObjgraphPane
    from leaktui.tui.widgets.process_table import ProcessTable
    from leaktui.tui.widgets.row_table import RowTable

    monkeypatch.setenv("TMPDIR", str(private_tmp))
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR

    with Demo() as demo, task_counts() as counts:
        monitor = Monitor(hostname="demo", match=MATCH, task_counts=counts)
        app = LeakTuiApp(LiveSource(monitor, 0.5), match=MATCH)
        async with app.run_test(size=(120, 40)) as pilot:
            await until(
                pilot, lambda: app.snapshot and len(app.snapshot.workers) == 4, "4 workers", 60
            )
            table = app.screen.query_one(RowTable)
            table.move_cursor(row=table.get_row_index("reports@leaktui-demo"))
            await pilot.press("enter")
            processes = app.screen.query_one(ProcessTable)
            await until(pilot, lambda: processes.row_count == 2, "main and child")
            (reports,) = [w for w in app.snapshot.workers if w.name.startswith("reports@")]
            child = str(reports.children[0])
            processes.move_cursor(row=processes.get_row_index(child))
            # The child's tasks, as its agent counts them: 5 a second.
            await until(
                pilot,
                lambda: str(processes.get_cell(child, "tasks")).strip().replace(",", "").isdigit(),
                "the child's task count",
            )
            pane = app.screen.query_one(ObjgraphPane)
            status = pane.query_one("#objgraph-status", Static)
            growth = pane.query_one("#objgraph-table", DataTable)
            await pilot.press("g")  # a baseline
            await until(pilot, lambda: "objects" in text_of(status), "the first fetch")
            await pilot.pause(2.0)  # let the leak add a few Reports (10 tasks)
            await pilot.press("g")
            name = "leaktui.demo.app.Report"
            await until(pilot, lambda: name in {str(k.value) for k in growth.rows}, "Report")
            growth.focus()
            growth.move_cursor(row=growth.get_row_index(name))
            await pilot.press("enter")
            chain = pane.query_one("#objgraph-chain", Static)
            await until(pilot, lambda: "list (reports)" in text_of(chain), "the chain")
            assert "module leaktui.demo.app" in text_of(chain)
        assert demo.folder.exists()
    assert not demo.folder.exists()
