"""The chart's axes read in round times and sizes, not in plotext's fractions (-1.27)."""

from __future__ import annotations

import pytest

from leaktui.tui.widgets.rss_chart import MAX_TICKS, size_ticks, time_ticks


@pytest.mark.parametrize(
    ("left", "right", "labels"),
    [
        (-39, 39, ["-30m", "-15m", "now", "+15m", "+30m"]),
        (-5.5, 0, ["-5m", "-4m", "-3m", "-2m", "-1m", "now"]),
        (-600, 120, ["-9h", "-6h", "-3h", "now"]),
        (-3000, 0, ["-2d", "-36h", "-1d", "-12h", "now"]),
        (-90, -10, ["-1h30", "-1h15", "-1h", "-45m", "-30m", "-15m"]),
    ],
)
def test_time_ticks_fall_on_round_minutes_and_hours(left, right, labels) -> None:
    ticks, shown = time_ticks(left, right)
    assert shown == labels
    assert all(left <= t <= right for t in ticks)


@pytest.mark.parametrize(
    ("low", "high", "labels"),
    [
        (67.6, 400, ["100 MiB", "200 MiB", "300 MiB", "400 MiB"]),
        (140.2, 146, ["141 MiB", "142 MiB", "143 MiB", "144 MiB", "145 MiB", "146 MiB"]),
        (900, 2100, ["1 GiB", "1.5 GiB", "2 GiB"]),
        (0, 4096, ["0 B", "1 GiB", "2 GiB", "3 GiB", "4 GiB"]),  # binary GiB, not 1000 MiB
    ],
)
def test_size_ticks_fall_on_round_sizes(low, high, labels) -> None:
    ticks, shown = size_ticks(low, high)
    assert shown == labels
    assert len(ticks) <= MAX_TICKS + 1
