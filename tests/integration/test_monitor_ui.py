"""End to end: the monitor app on real Celery workers, sampled from the real /proc."""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_fakes import until

from leaktui.core.journal import Journal
from leaktui.core.monitor import Monitor
from leaktui.tui.app import LeakTuiApp
from leaktui.tui.source import LiveSource
from leaktui.tui.widgets.row_table import RowTable

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


async def test_the_monitor_shows_a_real_prefork_worker_and_its_children(
    fs_broker, workers, tmp_path: Path
) -> None:
    worker = workers.start(fs_broker, ["-c", "2", "-n", "ui-e2e@%h"])
    worker.wait_ready()
    with Journal(tmp_path / "session.sqlite", host="testhost", interval=0.2) as store:
        monitor = Monitor(journal=store, hostname="testhost", match="ui-e2e@")
        app = LeakTuiApp(LiveSource(monitor, 0.2))
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: app.snapshot is not None and app.snapshot.workers, "a tick")
            table = app.screen.query_one(RowTable)
            (row,) = table.row_keys
            assert row.startswith("ui-e2e@")
            assert str(table.get_cell(row, "pool")) == "prefork ×3"  # main + 2 children
            assert str(table.get_cell(row, "rss")).strip().endswith("MiB")
            await pilot.press("enter")
            processes = app.screen.query_one(RowTable)
            await until(pilot, lambda: processes.row_count == 3, "the worker's processes")
            pids = {int(k) for k in processes.row_keys}
            assert worker.pid in pids
            await pilot.press("escape", "q")
    assert store.ticks >= 1  # every tick it showed was journaled
