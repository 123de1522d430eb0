"""The main screen, driven by keys, fed synthetic Snapshots (the UI is what is under test)."""

from __future__ import annotations

import pytest
from textual.widgets import ContentSwitcher, Static
from textual.widgets._footer import FooterKey
from tui_fakes import (
    LEAK,
    MIB,
    STABLE,
    WARMING,
    FakeSource,
    running,
    snapshot,
    text_of,
    until,
    worker,
)

from leaktui.tui.widgets.key_footer import KeyFooter
from leaktui.tui.widgets.objgraph_pane import ObjgraphPane
from leaktui.tui.widgets.row_table import RowTable
from leaktui.tui.widgets.rss_chart import RssChart
from leaktui.tui.widgets.status import StatusLine
from leaktui.tui.widgets.system_panel import SystemPanel

BIG = worker("big@linode-1", 100, children=3)
SMALL = worker("small@linode-1", 200, children=1, pool="threads")
LRU = worker("lru@linode-1", 300, children=2)


def fleet(tick: int, big_rss: int = 150 * MIB) -> object:
    return snapshot(
        tick, [(BIG, big_rss, LEAK), (SMALL, 40 * MIB, STABLE), (LRU, 90 * MIB, WARMING)]
    )


def cell_text(table: RowTable, row: str, column: str) -> str:
    return str(table.get_cell(row, column))


async def feed(pilot, source: FakeSource, *snapshots) -> None:
    for s in snapshots:
        source.push(s)
        await pilot.pause()


@pytest.mark.timeout(30)
async def test_workers_show_their_rss_and_a_verdict_badge() -> None:
    async with running((120, 40)) as (app, source, pilot):
        await feed(pilot, source, fleet(1))
        table = app.screen.query_one(RowTable)
        assert table.row_count == 3
        assert cell_text(table, BIG.name, "verdict").strip() == "LEAK +38 MiB/h · limit in ~6h"
        assert cell_text(table, SMALL.name, "verdict").strip() == "stable"
        assert cell_text(table, LRU.name, "verdict").strip() == "warming"
        assert cell_text(table, BIG.name, "rss") == "600.0 MiB"  # 4 processes of 150 MiB
        assert cell_text(table, SMALL.name, "pool") == "threads ×2"
        status = text_of(app.screen.query_one(StatusLine))
        assert "linode-1 · 3 workers · 9 processes · every 1 s" in status


@pytest.mark.timeout(30)
async def test_the_sparkline_follows_the_rss() -> None:
    async with running((120, 40)) as (app, source, pilot):
        await feed(pilot, source, *(fleet(i, (100 + 10 * i) * MIB) for i in range(1, 9)))
        spark = cell_text(app.screen.query_one(RowTable), BIG.name, "trend").strip()
        assert spark == "▁▂▃▄▅▆▇█"  # rising, one bar per tick


@pytest.mark.timeout(30)
async def test_rows_update_in_place_and_follow_workers_that_come_and_go() -> None:
    async with running((120, 40)) as (app, source, pilot):
        await feed(pilot, source, fleet(1))
        table = app.screen.query_one(RowTable)
        await feed(pilot, source, snapshot(2, [(BIG, 150 * MIB, LEAK), (SMALL, 80 * MIB, STABLE)]))
        assert table.row_count == 2
        assert cell_text(table, SMALL.name, "rss") == "160.0 MiB"
        await feed(pilot, source, fleet(3))
        assert table.row_count == 3


@pytest.mark.timeout(30)
async def test_sort_keys_reorder_the_rows() -> None:
    async with running((120, 40)) as (app, source, pilot):
        await feed(pilot, source, fleet(1))
        table = app.screen.query_one(RowTable)

        def order() -> list[str]:
            return table.row_keys[:3]

        assert order() == [BIG.name, LRU.name, SMALL.name]  # by RSS, the default
        await pilot.press("n")
        assert order() == sorted(order())
        await pilot.press("r")
        assert order() == [BIG.name, LRU.name, SMALL.name]  # 38 MiB/h, 2 MiB/h, 0


@pytest.mark.timeout(30)
async def test_pause_freezes_the_display_and_resume_shows_the_newest() -> None:
    async with running((120, 40)) as (app, source, pilot):
        await feed(pilot, source, fleet(1))
        table = app.screen.query_one(RowTable)
        await pilot.press("space")
        assert "PAUSED" in text_of(app.screen.query_one(StatusLine))
        await feed(pilot, source, fleet(2, 300 * MIB))
        assert cell_text(table, BIG.name, "rss") == "600.0 MiB"  # frozen
        await pilot.press("p")
        assert "PAUSED" not in text_of(app.screen.query_one(StatusLine))
        assert cell_text(table, BIG.name, "rss") == "1.2 GiB"


@pytest.mark.timeout(30)
async def test_j_and_k_move_the_selection_and_the_panel_follows() -> None:
    async with running((120, 40)) as (app, source, pilot):
        await feed(pilot, source, fleet(1))
        panel = app.screen.query_one(SystemPanel)
        assert BIG.name in text_of(panel)
        await pilot.press("j")
        assert LRU.name in text_of(panel)
        await pilot.press("k")
        assert BIG.name in text_of(panel)


@pytest.mark.timeout(30)
async def test_the_filter_keeps_matching_workers_and_escape_clears_it() -> None:
    async with running((120, 40)) as (app, source, pilot):
        await feed(pilot, source, fleet(1))
        table = app.screen.query_one(RowTable)
        await pilot.press("slash", "s", "m", "a")
        assert table.row_count == 1
        await pilot.press("enter")
        await feed(pilot, source, fleet(2))
        assert table.row_count == 1  # kept across ticks
        await pilot.press("escape")
        assert table.row_count == 3


@pytest.mark.timeout(30)
async def test_no_workers_says_why_instead_of_an_empty_table() -> None:
    async with running((80, 24)) as (app, source, pilot):
        await feed(pilot, source, snapshot(1, []))
        text = text_of(app.screen.query_one("#empty", Static))
        assert "found no Celery worker on linode-1" in text
        assert not app.screen.query_one("#body").display


@pytest.mark.timeout(30)
async def test_help_lists_the_keys_and_closes_with_escape() -> None:
    async with running((80, 24)) as (app, _source, pilot):
        await pilot.press("question_mark")
        assert app.screen.__class__.__name__ == "HelpScreen"
        keys = dict(app.screen.keys)
        assert keys["m"] == "Sort RSS"
        assert keys["/"] == "Filter"
        assert keys["e"] == "Export the session so far to CSV"  # longer than the footer's
        await pilot.press("escape")
        assert app.screen.__class__.__name__ == "MainScreen"


@pytest.mark.timeout(30)
async def test_a_sampling_error_is_shown_not_fatal() -> None:
    async with running((120, 40)) as (app, source, pilot):
        source.fail("JournalError: disk full")
        await pilot.pause()
        assert "disk full" in text_of(app.screen.query_one(StatusLine))
        await feed(pilot, source, fleet(1))
        assert app.screen.query_one(RowTable).row_count == 3


@pytest.mark.timeout(30)
async def test_quitting_stops_the_source() -> None:
    async with running((80, 24)) as (_app, source, pilot):
        await pilot.press("q")
    assert source.stopped


@pytest.mark.timeout(30)
async def test_the_panel_shows_the_selected_workers_limits_and_flags_the_near_ones() -> None:
    async with running((120, 40)) as (app, source, pilot):
        await feed(pilot, source, snapshot(1, [(BIG, 150 * MIB, LEAK)], nofile=100, fds=90))
        panel = " ".join(text_of(app.screen.query_one(SystemPanel)).split())
        assert "RAM 3.0 GiB / 4.0 GiB (75%)" in panel
        assert "open files 90 / 100 (90%)" in panel
        assert "cgroup 600.0 MiB / 2.0 GiB (29%)" in panel
        assert "no --max-memory-per-child" in panel


@pytest.mark.timeout(30)
async def test_enter_opens_the_worker_and_escape_comes_back() -> None:
    async with running((120, 40)) as (app, source, pilot):
        await feed(pilot, source, fleet(1))
        await pilot.press("enter")
        assert app.screen.__class__.__name__ == "WorkerScreen"
        processes = app.screen.query_one(RowTable)
        assert processes.row_count == 4  # main and three children
        assert str(processes.get_cell("100", "role")) == "main"
        await pilot.press("escape")
        assert app.screen.__class__.__name__ == "MainScreen"


@pytest.mark.timeout(30)
async def test_the_panel_moves_beside_the_table_when_the_terminal_grows() -> None:
    async with running((80, 24)) as (app, source, pilot):
        await feed(pilot, source, fleet(1))
        table, panel = app.screen.query_one(RowTable), app.screen.query_one(SystemPanel)
        assert panel.region.y > table.region.y  # under the table
        await pilot.resize_terminal(160, 40)
        await pilot.pause()
        assert panel.region.x > table.region.x  # beside it
        assert panel.region.y == table.region.y


@pytest.mark.timeout(30)
async def test_a_badge_that_arrives_later_is_not_clipped() -> None:
    """Cells change in place: a verdict that replaces 'measuring…' must still fit."""
    async with running((160, 40)) as (app, source, pilot):
        await feed(pilot, source, snapshot(1, [(BIG, 150 * MIB, None)]))
        await feed(pilot, source, snapshot(2, [(BIG, 150 * MIB, LEAK)]))
        await pilot.pause()
        table = app.screen.query_one(RowTable)
        badge = str(table.get_cell(BIG.name, "verdict")).strip()
        drawn = table.render_line(1 + table.get_row_index(BIG.name)).text  # under the header
        assert badge.startswith("LEAK")
        assert badge in drawn


@pytest.mark.timeout(30)
async def test_g_puts_the_objgraph_pane_in_the_charts_place_at_every_size() -> None:
    """At 80x24 the diagnosis fills the side column: the pane must still be seen after g
    (or t, for allocations); at every size it takes the chart's room, for long names."""
    async with running((80, 24)) as (app, source, pilot):
        await feed(pilot, source, fleet(1))
        await pilot.press("enter")
        screen = app.screen
        chart, panes = screen.query_one(RssChart), screen.query_one(ContentSwitcher)
        pane = screen.query_one(ObjgraphPane)
        assert chart.display
        assert not panes.display
        assert "chart" not in _footer_actions(screen)
        await pilot.press("g")  # pid 100 has no agent: the pane says so, and is seen
        status = pane.query_one("#objgraph-status", Static)
        await until(pilot, lambda: "pid 100" in text_of(status), "the fetch's answer")
        assert not chart.display
        assert panes.display
        assert panes.current == "objgraph"
        assert status.region.height >= 1
        assert screen.region.contains_region(status.region)
        assert pane.region.width >= 40  # room for the growth table's four columns
        assert "chart" in _footer_actions(screen)
        await pilot.press("c")
        assert chart.display
        assert not panes.display
        await pilot.press("t")  # allocations take the same place
        traced = screen.query_one("#allocs-status", Static)
        await until(
            pilot,
            lambda: "pid 100" in text_of(traced) and "tracing" not in text_of(traced),
            "the trace's answer",
        )
        assert not chart.display
        assert panes.current == "allocs"
        assert screen.region.contains_region(traced.region)
        await pilot.press("g")
        await pilot.resize_terminal(120, 40)  # tall: the pane keeps the chart's place
        await pilot.pause()
        assert not chart.display
        assert panes.display
        assert pane.region.width >= 70  # sqlalchemy.orm.state.InstanceState and its figures
        assert "chart" in _footer_actions(screen)


@pytest.mark.timeout(30)
async def test_at_80_columns_the_footer_shows_every_key_whole() -> None:
    """Spaced as Textual spaces them, the last keys ran past the edge and were cut."""
    async with running((80, 24)) as (app, source, pilot):
        await feed(pilot, source, fleet(1))
        for key, expected in [
            (None, {"Sort RSS", "Filter", "Quit", "Help", "Pause", "Export"}),
            ("enter", {"Back", "objgraph", "allocs", "Auto", "Quit", "Help", "Pause", "Export"}),
            ("g", {"Chart", "Quit", "Pause", "Export"}),
        ]:
            if key:
                await pilot.press(key)
            await pilot.pause()
            keys = list(app.screen.query(FooterKey))
            assert expected <= {k.description for k in keys}, key
            for k in keys:
                assert app.screen.region.contains_region(k.region), (key, k.description)
        await pilot.resize_terminal(120, 40)  # room again: the usual spacing, the palette
        await pilot.pause()
        footer = app.screen.query_one(KeyFooter)
        assert not footer.compact
        assert footer.show_command_palette


def _footer_actions(screen) -> set[str]:
    """The actions the footer offers now."""
    return {active.binding.action for active in screen.active_bindings.values()}


@pytest.mark.timeout(30)
async def test_more_workers_than_rows_scroll_with_the_cursor_under_a_fixed_header() -> None:
    many = [worker(f"w{i:02d}@linode-1", 1000 + 10 * i) for i in range(60)]
    async with running((80, 24)) as (app, source, pilot):
        for tick in (1, 2):
            rows = [(w, (100 + i) * MIB * tick, LEAK) for i, w in enumerate(many)]
            await feed(pilot, source, snapshot(tick, rows))
        table = app.screen.query_one(RowTable)
        await pilot.press("n")  # by name: w00 first
        for _ in range(40):
            await pilot.press("j")
        await pilot.pause()
        assert table.selected_key == "w40@linode-1"
        drawn = [table.render_line(y).text for y in range(table.size.height)]
        assert drawn[0].lstrip().startswith("Worker")  # the header stays on top
        row = next(line for line in drawn if "w40@linode-1" in line)  # scrolled into view
        assert "LEAK" in row


@pytest.mark.timeout(30)
async def test_a_click_selects_a_worker_and_a_second_click_opens_it() -> None:
    async with running((120, 40)) as (app, source, pilot):
        await feed(pilot, source, fleet(1))
        table = app.screen.query_one(RowTable)
        third = table.row_keys[2]
        await pilot.click(RowTable, offset=(3, 3))  # the header, then three rows
        assert table.selected_key == third
        await pilot.click(RowTable, offset=(3, 3))
        await pilot.pause()
        assert type(app.screen).__name__ == "WorkerScreen"
        assert app.screen.worker_name == third
