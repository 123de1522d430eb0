"""One process's RSS over the session, with the fitted trend and its projected limit.

Each chart owns its plotext figure (textual-plotext gives one per widget): no global
figure shared between widgets.
"""

from __future__ import annotations

from textual_plotext import PlotextPlot

from leaktui import fmt
from leaktui.core.history import Series
from leaktui.core.verdict import Verdict

MIB = 1 << 20


class RssChart(PlotextPlot):
    """RSS in MiB against minutes from now; trend and limit drawn when the verdict has them."""

    def show(self, series: Series | None, verdict: Verdict | None, now: float) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.xlabel("minutes (0 = now)")
        plt.ylabel("MiB")
        points = series.points() if series is not None else []
        if not points:
            plt.title("no samples yet")
            self.refresh()
            return
        x = [(t - now) / 60 for t, _ in points]
        values = [v / MIB for _, v in points]
        note = ""
        # Trend and limit first, RSS last: what was measured is drawn on top.
        if verdict is not None and verdict.rate is not None and verdict.level is not None:
            ahead = _ahead(verdict, -x[0])
            top = max(values)
            if verdict.kind in ("leak", "suspect", "warming"):
                ys = [(verdict.level + verdict.rate * m / 60) / MIB for m in (x[0], ahead)]
                plt.plot([x[0], ahead], ys, label="trend", color="orange", marker="braille")
                top = max(top, *ys)
            if verdict.limit is not None:
                limit, kind = verdict.limit.bytes / MIB, verdict.limit.kind
                if limit <= 3 * top:  # a far-off limit would flatten the line to nothing
                    plt.plot(
                        [x[0], ahead], [limit, limit], label=kind, color="red", marker="braille"
                    )
                else:
                    note = f" · {kind} limit {fmt.size(verdict.limit.bytes)}, off the chart"
        plt.plot(x, values, label="RSS", color="cyan", marker="braille")
        plt.title(_title(verdict) + note)
        self.refresh()


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
