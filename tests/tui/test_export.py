"""`e` exports the session: the CSV reads back as what the app showed, nothing overwritten."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input
from tui_fakes import LEAK, MIB, STABLE, running, snapshot, worker

from leaktui.core import csvfile
from leaktui.core.journal import Journal
from leaktui.tui.app import LeakTuiApp
from leaktui.tui.dialogs.export import ExportDialog
from leaktui.tui.widgets.row_table import RowTable

BIG = worker("big@linode-1", 100, children=2)
SMALL = worker("small@linode-1", 200, children=1)


async def export_to(pilot, app: LeakTuiApp, path: Path, enters: int = 1) -> None:
    await pilot.press("e")
    assert isinstance(app.screen, ExportDialog)
    app.screen.query_one(Input).value = str(path)
    for _ in range(enters):
        await pilot.press("enter")
    await app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.timeout(30)
async def test_the_exported_csv_reads_back_as_what_the_app_showed(tmp_path: Path) -> None:
    with Journal(tmp_path / "session.sqlite", host="linode-1", interval=1.0) as journal:
        async with running((120, 40), journal) as (app, source, pilot):
            for tick in range(1, 6):
                source.push(
                    snapshot(tick, [(BIG, (100 + tick) * MIB, LEAK), (SMALL, 50 * MIB, STABLE)])
                )
                await pilot.pause()
            shown = str(app.screen.query_one(RowTable).get_cell(BIG.name, "rss"))
            out = tmp_path / "out.csv"
            await export_to(pilot, app, out)
            assert any("exported 25 samples" in n.message for n in app._notifications)
    rows = list(csvfile.read_csv(out))
    assert len(rows) == 25  # 5 ticks of 3 + 2 processes
    last = max(r.sample.time for r in rows)
    big_now = sum(r.sample.rss for r in rows if r.sample.time == last and r.worker == BIG.name)
    assert shown == "315.0 MiB" == f"{big_now / MIB:.1f} MiB"
    assert {r.worker for r in rows} == {BIG.name, SMALL.name}


@pytest.mark.timeout(30)
async def test_an_existing_file_is_replaced_only_after_a_second_enter(tmp_path: Path) -> None:
    with Journal(tmp_path / "session.sqlite", host="linode-1", interval=1.0) as journal:
        async with running((120, 40), journal) as (app, source, pilot):
            source.push(snapshot(1, [(SMALL, 50 * MIB, STABLE)]))
            await pilot.pause()
            out = tmp_path / "kept.csv"
            out.write_text("precious\n")
            await export_to(pilot, app, out, enters=1)
            assert out.read_text() == "precious\n"
            assert isinstance(app.screen, ExportDialog)  # still asking
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
    assert out.read_text().startswith("timestamp,host,worker,pid")


@pytest.mark.timeout(30)
async def test_escape_cancels_and_writes_nothing(tmp_path: Path) -> None:
    with Journal(tmp_path / "session.sqlite", host="linode-1", interval=1.0) as journal:
        async with running((80, 24), journal) as (app, source, pilot):
            source.push(snapshot(1, [(SMALL, 50 * MIB, STABLE)]))
            await pilot.pause()
            await pilot.press("e")
            await pilot.press("escape")
            assert not isinstance(app.screen, ExportDialog)
    assert not list(tmp_path.glob("*.csv"))
