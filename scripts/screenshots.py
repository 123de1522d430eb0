"""Regenerate screenshots/: the monitor's screens as SVG, from synthetic Snapshots.

    python scripts/screenshots.py           # the synthetic showcase (seconds)
    python scripts/screenshots.py --demo    # the real demo, once it has found its leak (~4 min)

Synthetic (tests/tui/tui_fakes.showcase), so the pictures are the same on every run and
show every verdict at once: a prefork worker leaking towards its --max-memory-per-child,
one warming up, healthy ones, one leaking file handles.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "tui"))

from tui_fakes import play_showcase, show_allocs, showcase_app  # noqa: E402

from leaktui.tui.app import LeakTuiApp  # noqa: E402


async def shoot(size: tuple[int, int], name: str, keys: tuple[str, ...] = (), then=None) -> Path:
    app, source = showcase_app()
    async with app.run_test(size=size) as pilot:
        await play_showcase(pilot, source, keys)
        if then is not None:
            await then(pilot)
        path = ROOT / "screenshots" / f"{name}.svg"
        app.save_screenshot(filename=path.name, path=str(path.parent))
        return path


async def demo_shots() -> list[Path]:
    """The real demo, once its leak is found: the main screen, and the leaking child with
    its objgraph growth and what holds the growing type. Takes about four minutes."""
    from textual.widgets import DataTable

    from leaktui.core.monitor import Monitor
    from leaktui.demo.launcher import MATCH, Demo, task_counts
    from leaktui.tui.source import LiveSource
    from leaktui.tui.widgets.objgraph_pane import ObjgraphPane
    from leaktui.tui.widgets.process_table import ProcessTable
    from leaktui.tui.widgets.worker_table import WorkerTable

    async def until(pilot, condition, seconds: float) -> None:
        for _ in range(int(seconds * 10)):
            if condition():
                return
            await pilot.pause(0.1)
        raise TimeoutError("the demo did not get there")

    def leaking(app: LeakTuiApp) -> bool:
        s = app.snapshot
        verdict = s.verdicts.get(("reports@leaktui-demo", None)) if s else None
        return verdict is not None and verdict.memory.kind == "leak"

    out = []
    with Demo(), task_counts() as counts:
        monitor = Monitor(hostname="linode-1", match=MATCH, task_counts=counts)
        app = LeakTuiApp(LiveSource(monitor, 1.0), match=MATCH)
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: leaking(app), 300)
            out.append(_save(app, "demo-main"))
            table = app.screen.query_one(WorkerTable)
            table.move_cursor(row=table.get_row_index("reports@leaktui-demo"))
            await pilot.press("enter")
            processes = app.screen.query_one(ProcessTable)
            await until(pilot, lambda: processes.row_count == 2, 30)
            await pilot.press("j", "g")
            pane = app.screen.query_one(ObjgraphPane)
            await until(pilot, lambda: len(pane.fetches_for(processes.selected or 0)) == 1, 30)
            await pilot.pause(5.0)  # 25 more Reports
            await pilot.press("g")
            growth = pane.query_one("#objgraph-table", DataTable)
            await until(pilot, lambda: len(pane.fetches_for(processes.selected or 0)) == 2, 30)
            growth.focus()
            growth.move_cursor(row=growth.get_row_index("leaktui.demo.app.Report"))
            await pilot.press("enter")
            await pilot.pause(3.0)
            out.append(_save(app, "demo-worker"))
    return out


def _save(app: LeakTuiApp, name: str) -> Path:
    path = ROOT / "screenshots" / f"{name}.svg"
    app.save_screenshot(filename=path.name, path=str(path.parent))
    return path


async def main() -> None:
    (ROOT / "screenshots").mkdir(exist_ok=True)
    if "--demo" in sys.argv:
        for path in await demo_shots():
            print(path.relative_to(ROOT))
        return
    for path in (
        await shoot((120, 40), "main-120x40"),
        await shoot((80, 24), "main-80x24"),
        await shoot((120, 40), "help", ("question_mark",)),
        await shoot((120, 40), "worker-120x40", ("enter", "j")),
        await shoot((80, 24), "worker-80x24", ("enter", "j")),
        await shoot((120, 40), "worker-allocs-120x40", ("enter", "j"), show_allocs),
    ):
        print(path.relative_to(ROOT))


def _interrupted(signum: int, frame: object) -> None:
    """SIGTERM as Ctrl-C: the demo's workers are stopped on the way out, not orphaned."""
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _interrupted)
    asyncio.run(main())
