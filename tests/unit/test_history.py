"""Bounded series: constant memory however long, and the floor and peaks kept."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from leaktui.core.history import Series


def test_memory_is_bounded_however_many_points() -> None:
    series = Series(recent=100, max_bins=50, bin_size=10)
    for i in range(200_000):
        series.append(float(i), float(i % 97))
        assert len(series) <= 100 + 50 + 1
    assert len(series.recent()) == 100
    assert series.recent()[-1] == (199_999.0, float(199_999 % 97))


def test_bins_cover_the_whole_session_in_order() -> None:
    series = Series(recent=10, max_bins=8, bin_size=4)
    for i in range(1000):
        series.append(float(i), float(i))
    bins = series.bins()
    assert bins[0].start == 0.0
    assert all(a.end < b.start for a, b in itertools.pairwise(bins))
    assert bins[-1].end + 1 == series.recent()[0][0]
    assert sum(b.count for b in bins) + len(series.recent()) == 1000


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(0, 1e12), min_size=1, max_size=2000),
    st.integers(1, 50),
    st.integers(2, 20),
    st.integers(1, 8),
)
def test_bins_keep_min_max_and_mean_of_what_they_hold(values, recent, max_bins, size) -> None:
    series = Series(recent=recent, max_bins=max_bins, bin_size=size)
    for i, v in enumerate(values):
        series.append(float(i), v)
    folded = values[: max(0, len(values) - recent)]
    bins = series.bins()
    assert sum(b.count for b in bins) == len(folded)
    if folded:
        assert min(b.low for b in bins) == min(folded)
        assert max(b.high for b in bins) == max(folded)
        mean = sum(b.mean * b.count for b in bins) / len(folded)
        assert abs(mean - sum(folded) / len(folded)) <= 1e-6 * max(1.0, max(folded))
    assert [v for _, v in series.recent()] == values[-recent:]
