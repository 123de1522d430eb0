"""The screens as pictures (pytest-textual-snapshot), at 80x24 and 120x40.

The data is the synthetic showcase and the UI shows no wall clock, so the pictures are the
same on every run. After a deliberate UI change: ``pytest tests/tui --snapshot-update``,
look at the new SVGs, and regenerate screenshots/ with scripts/screenshots.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from textual.widgets import Input
from tui_fakes import (
    FakeSource,
    play_showcase,
    show_allocs,
    show_growth,
    showcase_app,
    snapshot,
    until,
)

from leaktui.core.replay import survey
from leaktui.tui.app import LeakTuiApp
from leaktui.tui.dialogs.export import ExportDialog
from leaktui.tui.replay import ReplayApp
from leaktui.tui.source import ReplaySource

sys.path.insert(0, str(Path(__file__).parent.parent / "unit"))
from test_replay import leaking_recording

SIZES = [(80, 24), (120, 40)]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize(
    ("screen", "keys"),
    [("main", ()), ("worker", ("enter", "j")), ("help", ("question_mark",))],
    ids=["main", "worker", "help"],
)
def test_screen(snap_compare, screen: str, keys: tuple[str, ...], size: tuple[int, int]) -> None:
    app, source = showcase_app()

    async def forty_minutes(pilot) -> None:
        await play_showcase(pilot, source, keys)

    assert snap_compare(app, terminal_size=size, run_before=forty_minutes)


@pytest.mark.timeout(60)
def test_the_allocations_pane(snap_compare) -> None:
    app, source = showcase_app()

    async def traced(pilot) -> None:
        await play_showcase(pilot, source, ("enter", "j"))
        await show_allocs(pilot)

    assert snap_compare(app, terminal_size=(120, 40), run_before=traced)


@pytest.mark.timeout(60)
def test_the_objgraph_pane(snap_compare) -> None:
    """Two fetches, in the chart's place: long qualified type names are shown whole."""
    app, source = showcase_app()

    async def fetched(pilot) -> None:
        await play_showcase(pilot, source, ("enter", "j"))
        await show_growth(pilot)

    assert snap_compare(app, terminal_size=(120, 40), run_before=fetched)


@pytest.mark.timeout(60)
def test_the_export_dialog(snap_compare, tmp_path: Path) -> None:
    app, source = showcase_app()
    source.recording = tmp_path / "session.sqlite"  # what export would read; not read here

    async def asked(pilot) -> None:
        await play_showcase(pilot, source, ("e",))
        assert isinstance(app.screen, ExportDialog)
        # The default name carries the hour; a user's own path keeps the picture fixed.
        app.screen.query_one(Input).value = "/home/ops/leaktui-linode-1.csv"
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=asked)


@pytest.mark.timeout(60)
def test_the_screen_when_no_worker_is_found(snap_compare) -> None:
    source = FakeSource()
    app = LeakTuiApp(source)

    async def nothing(pilot) -> None:
        source.push(snapshot(1, []))
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=nothing)


@pytest.mark.timeout(60)
def test_the_replay_screen_at_its_end(snap_compare, tmp_path: Path) -> None:
    app = ReplayApp(ReplaySource(survey(leaking_recording(tmp_path / "r.csv"))))

    async def at_end(pilot) -> None:
        await until(pilot, lambda: app.snapshot is not None, "the first tick")
        await pilot.press("end")
        await until(pilot, lambda: "tick 720/720" in (app.cursor or ""), "the end")
        await pilot.pause()

    # Under 32 rows: no host chart, which a replay redraws every 30 s of the recording, at
    # whichever tick a batch of them ends on.
    assert snap_compare(app, terminal_size=(120, 30), run_before=at_end)
