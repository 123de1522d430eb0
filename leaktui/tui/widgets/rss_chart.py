"""One process's RSS over the session, with the fitted trend and its projected limit.

Each chart owns its plotext figure (textual-plotext gives one per widget): no global
figure shared between widgets.
"""

from __future__ import annotations

from textual_plotext import PlotextPlot

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
        # Trend and limit first, RSS last: what was measured is drawn on top.
        if verdict is not None and verdict.rate is not None and verdict.level is not None:
            ahead = _ahead(verdict, -x[0])
            if verdict.kind in ("leak", "suspect", "warming"):
                ys = [(verdict.level + verdict.rate * m / 60) / MIB for m in (x[0], ahead)]
                plt.plot([x[0], ahead], ys, label="trend", color="orange", marker="braille")
            if verdict.limit is not None:
                top = verdict.limit.bytes / MIB
                plt.plot(
                    [x[0], ahead],
                    [top, top],
                    label=verdict.limit.kind,
                    color="red",
                    marker="braille",
                )
        plt.plot(x, [v / MIB for _, v in points], label="RSS", color="cyan", marker="braille")
        plt.title(_title(verdict))
        self.refresh()


def _ahead(verdict: Verdict, seen_minutes: float) -> float:
    """How far ahead to draw the trend: to the limit when it is near, else as far as seen."""
    if verdict.eta is not None:
        return min(verdict.eta / 60, max(seen_minutes, 10.0) * 3)
    return max(seen_minutes, 10.0) / 2


def _title(verdict: Verdict | None) -> str:
    if verdict is None:
        return "RSS"
    return f"RSS · {verdict.kind}"
