"""The screens as pictures (pytest-textual-snapshot), at 80x24 and 120x40.

The data is the synthetic showcase and the UI shows no wall clock, so the pictures are the
same on every run. After a deliberate UI change: ``pytest tests/tui --snapshot-update``,
look at the new SVGs, and regenerate screenshots/ with scripts/screenshots.py.
"""

from __future__ import annotations

import pytest
from tui_fakes import play_showcase, show_allocs, showcase_app

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
