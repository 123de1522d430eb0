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

from tui_fakes import MIB, FakeSource, snapshot, worker  # noqa: E402

from leaktui.core.verdict import Limit, Verdict  # noqa: E402
from leaktui.tui.app import LeakTuiApp  # noqa: E402

EVERY = 60.0  # one tick a minute: 40 ticks show 40 minutes of a session

FLEET = [
    (worker("reports@linode-1", 1200, children=4, max_memory_per_child=400 * MIB), "leak"),
    (worker("thumbnails@linode-1", 1300, children=2), "warming"),
    (worker("email@linode-1", 1400, children=1, pool="threads"), "stable"),
    (worker("webhooks@linode-1", 1500, children=2, pool="gevent"), "stable"),
]
RATE = 120 * MIB  # per hour, for the leaking worker's children


def rss(kind: str, i: int, pid: int) -> float:
    base = 60 * MIB + (pid % 100) * 3 * MIB
    wave = 3 * MIB * math.sin(i / 2 + pid)
    if kind == "leak":
        return base + wave + RATE * i * EVERY / 3600
    if kind == "warming":
        return base + wave + 40 * MIB * (1 - math.exp(-i / 15))
    return base + wave


def verdict(kind: str, i: int, pid: int, limit: Limit | None) -> Verdict:
    minutes = i * EVERY / 60
    if kind == "leak":
        level = rss(kind, i, pid)
        eta = (limit.bytes - level) / RATE * 3600 if limit else None
        return Verdict(
            "leak",
            f"floor rose {RATE * minutes / 60 / MIB:.0f} MiB in {minutes:.0f} min "
            "(+120.0 MiB/h), steady since 09:20 UTC",
            rate=RATE,
            rate_ci=(0.9 * RATE, 1.1 * RATE),
            level=level,
            limit=limit,
            eta=eta,
            eta_ci=(0.9 * eta, 1.1 * eta) if eta else None,
        )
    if kind == "warming":
        return Verdict("warming", "growth slowing: +6.0 MiB/h now, +60.0 MiB/h earlier", 6 * MIB)
    return Verdict("stable", "floor flat at 81.0 MiB (sawtooth 3.0 MiB) over 40 min", 0.0)


def tick(i: int):
    kinds = {w.name: kind for w, kind in FLEET}
    cap = Limit(400 * MIB, "max-memory-per-child", peak=True)

    def per_process(w, pid: int) -> Verdict:
        kind = kinds[w.name] if pid != w.main_pid else "stable"
        return verdict(kind, i, pid, cap if w.command.max_memory_per_child else None)

    rows = []
    for w, kind in FLEET:
        child = w.children[0] if w.children else w.main_pid
        total_verdict = verdict(kind, i, child, None)
        rows.append((w, int(rss(kind, i, child)), total_verdict))
    return snapshot(i, rows, every=EVERY, per_process=per_process)


async def shoot(size: tuple[int, int], name: str, keys: tuple[str, ...] = ()) -> Path:
    source = FakeSource()
    source.interval = EVERY
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
        await shoot((120, 40), "worker-120x40", ("enter", "j")),
        await shoot((80, 24), "worker-80x24", ("enter", "j")),
    ):
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    asyncio.run(main())
