"""The machine's memory over the session: RAM in use, swap in use, and what the workers
hold, under the line of the RAM there is. Where the workers' line climbs with RAM towards
that line, they are what will run the host out."""

from __future__ import annotations

from textual_plotext import PlotextPlot

from leaktui import fmt
from leaktui.core.trends import Trends
from leaktui.tui.widgets.rss_chart import MIB, size_ticks, time_ticks

LINES = (
    ("ram", "RAM used", "cyan"),
    ("swap", "swap used", "green"),
    ("workers", "workers", "orange"),
)


def thinned(points: list[tuple[float, float]], most: int) -> list[tuple[float, float]]:
    """At most about ``most`` points, evenly picked: a braille cell is two dots wide, so
    more points than that draw nothing more, and cost the UI thread to plot."""
    if len(points) <= most:
        return points
    step = len(points) / most
    picked = [points[int(i * step)] for i in range(most)]
    return [*picked, points[-1]]  # now, always


class HostChart(PlotextPlot):
    """RAM, swap and the workers' sum against time from now, with RAM's total."""

    DEFAULT_CSS = """
    HostChart {
        height: 1fr;
        min-height: 8;
    }
    """

    def show(self, trends: Trends, now: float) -> bool:
        """Draw the session so far; False while there is nothing to draw yet."""
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        left, low, top = 0.0, 0.0, 0.0
        drawn = False
        for name, label, color in LINES:
            series = trends.host.get(name)
            points = series.points() if series is not None else []
            if len(points) < 2 or (name == "swap" and not any(v for _, v in points)):
                continue
            points = thinned(points, 2 * max(self.size.width, 40))
            x = [(t - now) / 60 for t, _ in points]
            y = [v / MIB for _, v in points]
            plt.plot(x, y, label=label, color=color, marker="braille")
            left, top, drawn = min(left, x[0]), max(top, *y), True
        if not drawn:
            plt.title("host memory: waiting for samples")
            self.refresh()
            return False
        title = "host memory"
        if trends.ram_total is not None:
            total = trends.ram_total / MIB
            if total <= 3 * top:  # a far-off line would flatten the others to nothing
                plt.plot([left, 0], [total, total], label="RAM", color="red", marker="braille")
                top = max(top, total)
            else:
                title += f" · RAM {fmt.size(trends.ram_total)}, off the chart"
        plt.xticks(*time_ticks(left, 0))
        plt.yticks(*size_ticks(low, top))
        plt.title(title)
        self.refresh()
        return True
