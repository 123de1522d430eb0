"""The figures a verdict carries besides its rate: time to the nearest limit, bytes per
task, and whether the floor grows with tasks or with time."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Literal

from leaktui.core.verdict.bins import Bin
from leaktui.core.verdict.stats import Fit, theil_sen
from leaktui.core.verdict.terms import HOUR, Limit


def eta(level: float, peak: float, fit: Fit, limits: Sequence[Limit]) -> dict:
    """The nearest limit at this rate, with an interval from the rate's."""
    best: dict = {}
    if fit.slope <= 0:
        return best
    for limit in limits:
        start = peak if limit.peak else level
        room = limit.bytes if limit.headroom else limit.bytes - start
        if room <= 0:
            continue
        eta = room / fit.slope * HOUR
        if not best or eta < best["eta"]:
            fast = room / fit.high * HOUR if fit.high > 0 else None
            slow = room / fit.low * HOUR if fit.low > 0 else None
            ceiling = Limit(int(start + room), limit.kind) if limit.headroom else limit
            best = {
                "limit": ceiling,
                "eta": eta,
                "eta_ci": (fast, slow) if fast is not None and slow is not None else None,
            }
    return best


def per_task(bins: Sequence[Bin]) -> float | None:
    """Bytes per task: the floor's robust slope against the count of tasks finished."""
    points = [(b.tasks, b.low) for b in bins if b.tasks is not None]
    if len(points) < 6 or points[-1][0] - points[0][0] < 10:
        return None
    fit = theil_sen([p[0] for p in points], [p[1] for p in points])
    return fit.slope if fit else None


def follows(bins: Sequence[Bin], width: float, threshold: float) -> Literal["tasks", "time"] | None:
    """Does the floor grow while no task runs? Growth summed over idle and busy stretches.

    A leak that grows only with tasks is in the task code; one that grows while idle is in
    something that runs on its own (a thread, a timer, a connection pool). Needs both idle
    and busy stretches: a steady stream of tasks cannot tell the two apart.
    """
    idle = [0.0, 0.0]  # growth, hours
    busy = [0.0, 0.0]
    counts = [0, 0]
    for a, b in itertools.pairwise(bins):
        if a.tasks is None or b.tasks is None or b.tasks < a.tasks:
            continue  # unknown, or the counter restarted (a recycled child)
        hours = (b.index - a.index) * width / HOUR
        which = 0 if b.tasks == a.tasks else 1
        part = idle if which == 0 else busy
        part[0] += b.low - a.low
        part[1] += hours
        counts[which] += 1
    if min(counts) < 4:
        return None
    idle_rate, busy_rate = idle[0] / idle[1], busy[0] / busy[1]
    if idle_rate > threshold and idle_rate >= busy_rate / 2:
        return "time"
    if busy_rate > threshold and idle_rate < threshold:
        return "tasks"
    return None
