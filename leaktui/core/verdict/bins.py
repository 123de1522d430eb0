"""A time bin of samples: all the engine keeps of a series, so its state stays bounded."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Bin:
    """The samples of one bin: their minimum (the floor), maximum, sum and count, and the
    last task count seen. ``index`` is the bin's place at the current width."""

    index: int
    low: float
    high: float
    start: float
    end: float
    tasks: int | None
    total: float
    count: int

    def add(self, t: float, value: float, tasks: int | None) -> None:
        self.low = min(self.low, value)
        self.high = max(self.high, value)
        self.end = t
        self.total += value
        self.count += 1
        if tasks is not None:
            self.tasks = tasks

    def merge(self, other: Bin) -> Bin:
        """This bin and the next as one; the index stays this bin's."""
        return Bin(
            self.index,
            min(self.low, other.low),
            max(self.high, other.high),
            self.start,
            other.end,
            other.tasks if other.tasks is not None else self.tasks,
            self.total + other.total,
            self.count + other.count,
        )

    def renamed(self, index: int, low: float | None = None) -> Bin:
        """This bin under another index (and, for a floor estimate, another low)."""
        return Bin(
            index,
            self.low if low is None else low,
            self.high,
            self.start,
            self.end,
            self.tasks,
            self.total,
            self.count,
        )
