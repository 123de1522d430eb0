"""One process's RSS over the session, with the fitted trend and its projected limit.

Each chart owns its plotext figure (textual-plotext gives one per widget): no global
figure shared between widgets.
"""

from __future__ import annotations

import math

from textual_plotext import PlotextPlot

from leaktui import fmt
from leaktui.core.history import Series
from leaktui.core.verdict import Verdict

MIB = 1 << 20


#: Steps between time ticks, in minutes: the first that leaves at most MAX_TICKS ticks.
TIME_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080)
#: Steps between size ticks, in MiB: round in MiB below a GiB, in GiB above.
SIZE_STEPS = (1, 2, 5, 10, 20, 50, 100, 200, 512, 1024, 2048, 5120, 10240, 20480, 51200)
MAX_TICKS = 6


class RssChart(PlotextPlot):
    """RSS against time from now, on round ticks (``-30m``, ``now``, ``+1h``; ``100 MiB``);
    the trend and the limit drawn when the verdict has them."""

    def show(self, series: Series | None, verdict: Verdict | None, now: float) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        points = series.points() if series is not None else []
        if not points:
            plt.title("no samples yet")
            self.refresh()
            return
        x = [(t - now) / 60 for t, _ in points]
        values = [v / MIB for _, v in points]
        low, top, right = min(values), max(values), x[-1]
        note = ""
        # Trend and limit first, RSS last: what was measured is drawn on top.
        if verdict is not None and verdict.rate is not None and verdict.level is not None:
            ahead = _ahead(verdict, -x[0])
            if verdict.kind in ("leak", "suspect", "warming"):
                ys = [(verdict.level + verdict.rate * m / 60) / MIB for m in (x[0], ahead)]
                plt.plot([x[0], ahead], ys, label="trend", color="orange", marker="braille")
                low, top, right = min(low, *ys), max(top, *ys), max(right, ahead)
            if verdict.limit is not None:
                limit, kind = verdict.limit.bytes / MIB, verdict.limit.kind
                if limit <= 3 * top:  # a far-off limit would flatten the line to nothing
                    plt.plot(
                        [x[0], ahead], [limit, limit], label=kind, color="red", marker="braille"
                    )
                    top, right = max(top, limit), max(right, ahead)
                else:
                    note = f" · {kind} limit {fmt.size(verdict.limit.bytes)}, off the chart"
        plt.plot(x, values, label="RSS", color="cyan", marker="braille")
        plt.xticks(*time_ticks(x[0], right))
        plt.yticks(*size_ticks(low, top))
        shown = fmt.eta_short(max(-x[0], 1.0) * 60)
        plt.title(f"{_title(verdict)} · the last {shown}{note}")
        self.refresh()


def time_ticks(left: float, right: float) -> tuple[list[float], list[str]]:
    """Ticks at round minutes or hours between ``left`` and ``right`` (minutes from now),
    labelled ``-30m``, ``now``, ``+2h``."""
    span = max(right - left, 1.0)
    step = next((s for s in TIME_STEPS if span / s < MAX_TICKS), TIME_STEPS[-1])
    first = -(-left // step) * step  # the first multiple of step at or after left
    ticks = [first + i * step for i in range(int((right - first) // step) + 1)]
    return ticks, [_minutes(t) for t in ticks]


def _minutes(m: float) -> str:
    if m == 0:
        return "now"
    sign = "+" if m > 0 else "-"
    m = abs(m)
    if m >= 1440 and m % 1440 == 0:
        return f"{sign}{m / 1440:g}d"
    if m >= 60 and m % 60 == 0:
        return f"{sign}{m / 60:g}h"
    if m >= 60:
        return f"{sign}{int(m // 60)}h{int(m % 60):02d}"
    return f"{sign}{m:g}m"


def size_ticks(low: float, high: float) -> tuple[list[float], list[str]]:
    """Ticks at round sizes between ``low`` and ``high`` (MiB): ``100 MiB``, ``1.5 GiB``."""
    span = max(high - low, 1.0)
    step = next((s for s in SIZE_STEPS if span / s < MAX_TICKS), 10 * SIZE_STEPS[-1])
    first = math.ceil(low / step) * step
    ticks = [first + i * step for i in range(int((high - first) // step) + 1)]
    return ticks, [fmt.size(t * MIB).replace(".0 ", " ") for t in ticks]


def _ahead(verdict: Verdict, seen_minutes: float) -> float:
    """How far ahead to draw the trend: as far as has been seen, or to the limit if sooner."""
    ahead = max(seen_minutes, 1.0)
    if verdict.eta is not None:
        return min(verdict.eta / 60, ahead)
    return ahead


def _title(verdict: Verdict | None) -> str:
    if verdict is None:
        return "RSS"
    return f"RSS · {verdict.kind}"
