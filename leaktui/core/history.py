"""Bounded in-memory series: what the UI and the verdicts need, however long the session.

The journal on disk holds every sample. In memory, each series keeps its most recent points
at full resolution and folds older ones into min/max/mean bins. When there are too many
bins, neighbours merge and the bin width doubles, so a series covers the whole session in a
fixed number of slots: a leak monitor that leaks is not an option.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Bin:
    """Several consecutive points summarised; ``low`` is the post-GC floor a leak raises."""

    start: float
    end: float
    low: float
    high: float
    mean: float
    count: int

    def merge(self, other: Bin) -> Bin:
        count = self.count + other.count
        return Bin(
            self.start,
            other.end,
            min(self.low, other.low),
            max(self.high, other.high),
            (self.mean * self.count + other.mean * other.count) / count,
            count,
        )


class Series:
    """A time series in bounded memory: ``recent`` points, then at most ``max_bins`` bins."""

    __slots__ = ("_bins", "_pending", "_recent", "bin_size", "max_bins")

    def __init__(self, recent: int = 600, max_bins: int = 240, bin_size: int = 30) -> None:
        if recent < 1 or max_bins < 2 or bin_size < 1:
            raise ValueError("recent, max_bins and bin_size must be positive (max_bins >= 2)")
        self._recent: deque[tuple[float, float]] = deque(maxlen=recent)
        self._bins: list[Bin] = []
        self._pending: Bin | None = None
        self.bin_size = bin_size
        """Points per bin; doubles each time the bins are merged."""
        self.max_bins = max_bins

    def append(self, t: float, value: float) -> None:
        recent = self._recent
        if len(recent) == recent.maxlen:
            self._fold(*recent[0])
        recent.append((t, value))

    def _fold(self, t: float, value: float) -> None:
        point = Bin(t, t, value, value, value, 1)
        self._pending = point if self._pending is None else self._pending.merge(point)
        if self._pending.count >= self.bin_size:
            self._bins.append(self._pending)
            self._pending = None
            if len(self._bins) > self.max_bins:
                pairs = zip(self._bins[0::2], self._bins[1::2], strict=False)
                merged = [a.merge(b) for a, b in pairs]
                if len(self._bins) % 2:
                    merged.append(self._bins[-1])
                self._bins = merged
                self.bin_size *= 2

    def recent(self) -> tuple[tuple[float, float], ...]:
        """The newest points at full resolution, oldest first."""
        return tuple(self._recent)

    def bins(self) -> tuple[Bin, ...]:
        """Older points as bins, oldest first (a partly filled last bin included)."""
        return (*self._bins, self._pending) if self._pending else tuple(self._bins)

    def points(self) -> list[tuple[float, float]]:
        """The whole series, oldest first: each bin as (its start, its mean), then recent."""
        return [(b.start, b.mean) for b in self.bins()] + list(self._recent)

    def __len__(self) -> int:
        """Slots in use: bounded by recent + max_bins + 1 however many points went in."""
        return len(self._recent) + len(self._bins) + (self._pending is not None)

    @property
    def last(self) -> tuple[float, float] | None:
        return self._recent[-1] if self._recent else None
