"""`leaktui replay`: the monitor over a recording, with a cursor the keys move."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from tui_fakes import until

from leaktui.tui.widgets.row_table import RowTable

sys.path.insert(0, str(Path(__file__).parent.parent / "unit"))
from test_replay import leaking_recording

from leaktui.core.replay import survey
from leaktui.tui.replay import ReplayApp
from leaktui.tui.source import ReplaySource


async def at_tick(pilot, app: ReplayApp, tick: int) -> None:
    """Until the screen shows the recording's ``tick``-th tick."""
    shown = lambda: app.snapshot is not None and app.snapshot.tick == tick  # noqa: E731
    await until(pilot, shown, f"tick {tick}")


def verdict_shown(app: ReplayApp) -> str:
    return str(app.screen.query_one(RowTable).get_cell("w1@h", "verdict")).strip()


async def shows_verdict(pilot, app: ReplayApp, tick: int, verdict: str) -> None:
    """Until the screen is at ``tick`` and the worker's verdict cell starts with ``verdict``."""
    await at_tick(pilot, app, tick)
    try:
        await until(
            pilot,
            lambda: app.snapshot.tick == tick and verdict_shown(app).startswith(verdict),
            f"{verdict!r} at tick {tick}",
            seconds=5,
        )
    except AssertionError as error:
        shown = f"{verdict_shown(app)!r} at tick {app.snapshot.tick}"
        raise AssertionError(f"{error}; the screen shows {shown}") from None


@pytest.mark.timeout(60)
async def test_end_shows_the_final_verdict_and_home_the_first(tmp_path: Path) -> None:
    source = ReplaySource(survey(leaking_recording(tmp_path / "r.csv")))
    app = ReplayApp(source)
    async with app.run_test(size=(120, 40)) as pilot:
        await shows_verdict(pilot, app, 1, "measuring…")
        await pilot.press("end")
        await shows_verdict(pilot, app, 720, "LEAK +30 MiB/h")
        # The cursor line is redrawn every 0.25 s: it may still name the tick before.
        at_end = lambda: "tick 720/720" in (app.cursor or "")  # noqa: E731
        await until(pilot, at_end, "the cursor at tick 720", seen=lambda: app.cursor)
        await pilot.press("home")
        await shows_verdict(pilot, app, 1, "measuring…")


@pytest.mark.timeout(60)
async def test_arrows_step_and_space_plays(tmp_path: Path) -> None:
    source = ReplaySource(survey(leaking_recording(tmp_path / "r.csv", hours=0.5)))
    app = ReplayApp(source)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.snapshot is not None, "the first tick")
        await pilot.press("right", "right", "right")
        await at_tick(pilot, app, 4)
        await pilot.press("left")
        await at_tick(pilot, app, 3)
        for _ in range(4):
            await pilot.press("plus")
        assert source.speed == 1800  # 10, 30, 60, 300, 1800
        await pilot.press("space")
        await until(pilot, lambda: app.snapshot.tick >= 20, "playing on its own")
        await pilot.press("space")
        assert not source.playing


def test_a_missing_recording_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from leaktui.commands import main

    assert main(["replay", str(tmp_path / "nope.csv")]) == 2
    err = capsys.readouterr().err.strip()
    assert "nope.csv" in err
    assert len(err.splitlines()) == 1
