"""Regenerate screenshots/: the monitor's screens as SVG, from synthetic Snapshots.

    python scripts/screenshots.py

Synthetic, so the pictures are the same on every run and show every verdict at once: a
leaking prefork worker near its cgroup limit, one warming up, healthy ones, an fd leak.
"""

from __future__ import annotations

import asyncio
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "tui"))

from tui_fakes import LEAK, MIB, STABLE, WARMING, FakeSource, snapshot, worker  # noqa: E402

from leaktui.tui.app import LeakTuiApp  # noqa: E402

FLEET = [
    (worker("reports@linode-1", 1200, children=4, max_memory_per_child=400 * MIB), LEAK, 2.0),
    (worker("thumbnails@linode-1", 1300, children=2), WARMING, 0.6),
    (worker("email@linode-1", 1400, children=1, pool="threads"), STABLE, 0.0),
    (worker("webhooks@linode-1", 1500, children=2, pool="gevent"), STABLE, 0.0),
]


def tick(i: int):
    rows = []
    for w, verdict, slope in FLEET:
        base = 80 * MIB + w.main_pid * 20_000
        wave = 4 * MIB * math.sin(i / 3)
        growth = slope * MIB * i if verdict is not WARMING else 20 * MIB * (1 - math.exp(-i / 12))
        rows.append((w, int(base + wave + growth), verdict))
    return snapshot(i, rows)


async def shoot(size: tuple[int, int], name: str, keys: tuple[str, ...] = ()) -> Path:
    source = FakeSource()
    app = LeakTuiApp(source)
    async with app.run_test(size=size) as pilot:
        for i in range(1, 40):
            source.push(tick(i))
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
    ):
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    asyncio.run(main())
