"""``leaktui demo --headless``: the demo's verdicts without the UI, for scripts and tests."""

from __future__ import annotations

import threading

from leaktui import fmt
from leaktui.core.model import Snapshot
from leaktui.core.monitor import Monitor, run


def watch(monitor: Monitor, duration: float, stop: threading.Event) -> Snapshot | None:
    """Tick every second for ``duration`` seconds (or until ``stop``); the last Snapshot."""
    last: list[Snapshot] = []

    def tick() -> None:
        last[:] = [monitor.tick()]

    run(tick, 1.0, stop, duration)
    return last[0] if last else None


def verdicts(snapshot: Snapshot | None) -> list[dict]:
    """Per worker: the verdict on its memory (the sum of its processes) and on open files."""
    if snapshot is None:
        return []
    out = []
    for worker in snapshot.workers:
        memory = snapshot.verdicts.get((worker.name, None))
        fds = [
            a.fds.kind
            for pid in worker.pids
            if (a := snapshot.verdicts.get((worker.name, pid))) is not None and a.fds is not None
        ]
        fd = (
            "leak"
            if "leak" in fds
            else "suspect"
            if "suspect" in fds
            else (fds[0] if fds else None)
        )
        rss = sum(snapshot.samples[p].rss for p in worker.pids if p in snapshot.samples)
        out.append(
            {
                "worker": worker.name,
                "pool": worker.pool,
                "processes": len(worker.pids),
                "rss_bytes": rss,
                "verdict": memory.memory.kind if memory else "insufficient",
                "rate_bytes_per_hour": round(memory.memory.rate)
                if memory and memory.memory.rate is not None
                else None,
                "fd_verdict": fd,
                "reason": memory.memory.reason if memory else "no samples yet",
            }
        )
    return out


def text(rows: list[dict]) -> str:
    return fmt.table(
        ["WORKER", "POOL", "RSS", "VERDICT", "FDS", "REASON"],
        [
            [
                r["worker"],
                f"{r['pool']} ×{r['processes']}",
                fmt.size(r["rss_bytes"]),
                r["verdict"].upper() if r["verdict"] == "leak" else r["verdict"],
                r["fd_verdict"] or "-",
                r["reason"],
            ]
            for r in rows
        ],
    )
