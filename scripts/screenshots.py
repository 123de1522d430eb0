"""Regenerate screenshots/: the monitor's screens as SVG, from synthetic Snapshots.

    python scripts/screenshots.py

Synthetic (tests/tui/tui_fakes.showcase), so the pictures are the same on every run and
show every verdict at once: a prefork worker leaking towards its --max-memory-per-child,
one warming up, healthy ones, one leaking file handles.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "tui"))

from tui_fakes import SHOWCASE_EVERY, FakeSource, showcase  # noqa: E402

from leaktui.tui.app import LeakTuiApp  # noqa: E402


async def shoot(size: tuple[int, int], name: str, keys: tuple[str, ...] = ()) -> Path:
    source = FakeSource()
    source.interval = SHOWCASE_EVERY
    app = LeakTuiApp(source)
    async with app.run_test(size=size) as pilot:
        for i in range(1, 40):
            source.push(showcase(i))
            await pilot.pause()
        for key in keys:
            await pilot.press(key)
        await pilot.pause()
        path = ROOT / "screenshots" / f"{name}.svg"
        app.save_screenshot(filename=path.name, path=str(path.parent))
        return path


async def main() -> None:
    (ROOT / "screenshots").mkdir(exist_ok=True)
    for path in (
        await shoot((120, 40), "main-120x40"),
        await shoot((80, 24), "main-80x24"),
        await shoot((120, 40), "help", ("question_mark",)),
        await shoot((120, 40), "worker-120x40", ("enter", "j")),
        await shoot((80, 24), "worker-80x24", ("enter", "j")),
    ):
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    asyncio.run(main())
