"""Per-series verdict state fed one sample at a time, and the same over a whole series.

``LeakTracker`` refits only when a bin closes; ``assess`` replays a whole series through a
tracker, so the live verdicts and those of a recording always agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from leaktui.core.verdict import judging
from leaktui.core.verdict.bins import Bin
from leaktui.core.verdict.terms import INSUFFICIENT, Kind, Limit, Thresholds, Verdict


@dataclass(slots=True)
class LeakTracker:
    """Per-process verdict state, fed one sample at a time, in bounded memory."""

    thresholds: Thresholds = field(default_factory=Thresholds)
    limits: Sequence[Limit] = ()
    phase: float = 0.0
    """Seconds by which this series' bin edges are shifted. Trackers started together
    would otherwise all refit on the same tick; a phase per series spreads that work."""
    _origin: float | None = None
    _width: float = 0.0
    _bins: list[Bin] = field(default_factory=list)
    _open: Bin | None = None
    _verdict: Verdict = INSUFFICIENT
    _candidate: Kind | None = None
    _streak: int = 0

    def add(self, t: float, value: float, tasks: int | None = None) -> Verdict:
        """Feed one sample (time in seconds, value in bytes); returns the current verdict."""
        if self._origin is None:
            self._width = self.thresholds.bin_seconds
            self._origin = t - self.phase % self._width
        index = int((t - self._origin) // self._width)
        current = self._open
        if current is not None and index == current.index:
            current.add(t, value, tasks)
            return self._verdict
        if current is not None and index < current.index:
            current.add(t, value, tasks)  # out of order: keep it in the open bin
            return self._verdict
        if current is not None:
            self._close(current)  # may coarsen: the width can double here
            index = int((t - self._origin) // self._width)
        self._open = Bin(index, value, value, t, t, tasks, value, 1)
        return self._verdict

    @property
    def verdict(self) -> Verdict:
        return self._verdict

    def finish(self) -> Verdict:
        """Close the open bin and refit: the verdict for a series that has ended."""
        if self._open is not None:
            self._close(self._open)
            self._open = None
        return self._verdict

    def _close(self, closing: Bin) -> None:
        if self._bins and self._bins[-1].index == closing.index:  # after a coarsening
            self._bins[-1] = self._bins[-1].merge(closing)
        else:
            self._bins.append(closing)
        if len(self._bins) > self.thresholds.max_bins:
            self._coarsen()
        self._refit()

    def _coarsen(self) -> None:
        merged: list[Bin] = []
        for b in self._bins:
            if merged and merged[-1].index == b.index // 2:
                merged[-1] = merged[-1].merge(b)
            else:
                merged.append(b.renamed(b.index // 2))
        self._bins = merged
        self._width *= 2  # called from _close: there is no open bin to re-index

    def _refit(self) -> None:
        found = judging.judge(
            self._bins, self._width, self._origin or 0.0, self.thresholds, self.limits
        )
        if self._verdict.urgent and not found.urgent and found.eta is not None:
            # Growing into a limit stays flagged until the growth stops or the limit goes:
            # the shortest warm-up the floors allow wavers from one refit to the next.
            found = replace(found, urgent=found.kind != "stable")
        if self._verdict.kind == "insufficient" or found.kind == self._verdict.kind:
            self._verdict, self._candidate, self._streak = found, None, 0
            return
        if self._verdict.kind == "leak" and found.kind in ("suspect", "warming"):
            # A proven leak is undone by evidence that it stopped (``stable``), not by a fit
            # that is unsure again (coarser bins, a noisy hour): keep it, refresh its figures.
            self._verdict = replace(found, kind="leak", reason=self._verdict.reason)
            self._candidate, self._streak = None, 0
            return
        if found.kind == self._candidate:
            self._streak += 1
        else:
            self._candidate, self._streak = found.kind, 1
        if self._streak >= self.thresholds.confirm:
            self._verdict, self._candidate, self._streak = found, None, 0
        else:  # keep the verdict and its reason, refresh its figures
            self._verdict = replace(found, kind=self._verdict.kind, reason=self._verdict.reason)


def assess(
    points: Iterable[tuple[float, float] | tuple[float, float, int | None]],
    thresholds: Thresholds | None = None,
    limits: Sequence[Limit] = (),
) -> Verdict:
    """The verdict over a whole series: the same as feeding it to a LeakTracker."""
    tracker = LeakTracker(thresholds or Thresholds(), limits)
    for point in points:
        tracker.add(*point)
    return tracker.finish()
