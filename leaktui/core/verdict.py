"""The leak verdict engine: does this process leak, how fast, and when does it hit its limit?

Real memory is noisy: GC and allocator sawtooth, a spike from one big task, a step up that
stays (the allocator's high-water mark), warm-up curves that level off. So the engine looks
at the post-GC floor, not at RSS itself:

1. Samples fall into time bins; each bin keeps its minimum (the floor a leak raises), its
   maximum (for the sawtooth height) and its mean. When there are too many bins,
   neighbours merge and the width doubles, so the state stays bounded however long the
   series. Each fit takes the floor estimate with the least noise: bin minima, or minima
   over blocks of bins that span a slow sawtooth, or means under plain noise. When the
   floors rise, a regular sawtooth that stands out of them is taken out: the stairs of a
   periodic task that leaks each run, or a GC sawtooth slower than the blocks.
2. A robust slope (Theil-Sen) through the floors, with Sen's 95% interval widened for the
   autocorrelation of the residuals. Least squares, what Prometheus' ``deriv`` uses, is
   pulled by spikes; the median of pairwise slopes is not.
3. The older half against the recent half tells a warm-up that levels off from a leak that
   keeps going; a two-segment fit tells a one-off step from a slope.
4. A warm-up's first hour looks straight. So a leak must also stay straight ahead: a
   quadratic through the floors, with the curvature the data still allow (a one-sided
   95 % bound), must keep its slope above the threshold, and above 60 % of its slope now,
   for as long again as the growth has been watched. Slow growth that bends is
   ``suspect`` or ``warming`` until then.
5. The recent half, and its recent half, are judged on their own too: a leak that began
   late is not diluted by the flat hours before it. The tail of a longer growth must stay
   straight for twice as long, under a two-sided bound: a curve's tail looks straighter
   than the curve.
6. Growth that slows may be a warm-up with a leak under it. A line plus a warm-up that
   levels off (``rise·exp(-t/τ)``, τ profiled up to a third of the span) is fitted too.
   When the warm-up is significant, the line's rate is above the threshold over every τ
   the floors allow, and the line stays straight with the warm-up's share of the
   curvature carried in (for twice as long: it is the tail of a longer growth), it is a
   ``leak`` at the line's rate, not the warm-up's.
7. A verdict changes only when the new one has held for ``confirm`` refits in a row, and a
   ``leak`` is undone only by evidence that it stopped (``stable``).

``LeakTracker`` is fed one sample at a time and refits only when a bin closes; ``assess``
replays a whole series through a tracker, so the two always agree.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from statistics import median
from typing import Literal

Kind = Literal["insufficient", "warming", "stable", "suspect", "leak"]
MIB = 1 << 20
HOUR = 3600.0


@dataclass(frozen=True, slots=True)
class Thresholds:
    """What counts as growth, and how much evidence a verdict needs. All are settable."""

    min_rate: float = 1 * MIB
    """Growth below this many bytes per hour is never a leak (``--min-rate``)."""
    min_relative: float = 0.0
    """…nor growth below this share of the level per hour. Off by default: a floor that keeps
    rising is a leak whatever the size of the process (the time to its limit says how
    urgent), and the verdict then does not depend on the level."""
    min_span: float = 10 * 60
    """Seconds of samples before any verdict but ``insufficient``."""
    leak_span: float = 45 * 60
    """Seconds over which growth must be seen before it is called ``leak``."""
    bin_seconds: float = 60.0
    """Initial width of a floor bin; it doubles as the series grows."""
    max_bins: int = 64
    """Bins kept; the fit costs O(max_bins²) each time a bin closes."""
    straight_for: float = 1.0
    """A leak's slope must survive the curvature the floors still allow, carried forward
    this many times the time since the growth began. A warm-up looks straight at first; one
    that bends within that horizon stays ``suspect`` or ``warming``, never ``leak``."""
    keep_slope: float = 0.6
    """…and at that horizon keep at least this share of its slope now: a curve that would
    have lost more than 40 % of its growth by then is levelling off, however fast it still
    grows. (At 0.5, a warm-up with a time constant of 2.5 h passes at 48 minutes old.)"""
    confirm: int = 3
    """Refits a new verdict must hold before it replaces the current one."""
    unit: str = "bytes"
    """What the series counts, for the reasons: ``bytes``, or a count such as ``fds``."""


@dataclass(frozen=True, slots=True)
class Limit:
    """A ceiling the process will hit: bytes, and what it is."""

    bytes: int
    kind: str
    """``cgroup``, ``rlimit-as``, ``rlimit-data``, ``max-memory-per-child``, ``ram+swap``."""
    peak: bool = False
    """Compared with peak RSS (Celery's --max-memory-per-child checks after each task)."""
    headroom: bool = False
    """``bytes`` is the room left whatever the level: the host's free RAM plus free swap.
    Verdicts report it as a ceiling (level plus room)."""


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: Kind
    reason: str
    rate: float | None = None
    """Growth of the floor, bytes per hour."""
    rate_ci: tuple[float, float] | None = None
    level: float | None = None
    """The fitted floor now, in bytes (not the last sample)."""
    bytes_per_task: float | None = None
    follows: Literal["tasks", "time"] | None = None
    """Whether the floor grows only while tasks run, or while idle too; None when the task
    counts are unknown or never pause long enough to tell."""
    limit: Limit | None = None
    eta: float | None = None
    """Seconds until the nearest limit at this rate."""
    eta_ci: tuple[float, float] | None = None
    since: float | None = None
    """When the growth measured began (seconds since the epoch)."""


INSUFFICIENT = Verdict("insufficient", "no samples yet")


# -- robust statistics -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fit:
    slope: float
    low: float
    high: float
    intercept: float


def theil_sen(x: Sequence[float], y: Sequence[float], z: float = 1.96) -> Fit | None:
    """Median pairwise slope, with Sen's interval widened for lag-1 autocorrelation."""
    n = len(x)
    slopes = sorted(
        (y[j] - y[i]) / (x[j] - x[i]) for i in range(n) for j in range(i + 1, n) if x[j] != x[i]
    )
    if not slopes:
        return None
    slope = median(slopes)
    intercept = median(yi - slope * xi for xi, yi in zip(x, y, strict=True))
    residuals = [yi - intercept - slope * xi for xi, yi in zip(x, y, strict=True)]
    inflation = math.sqrt(_variance_inflation(residuals))
    count = len(slopes)
    c = z * math.sqrt(n * (n - 1) * (2 * n + 5) / 18) * inflation
    lo = max(0, min(count - 1, math.floor((count - c) / 2)))
    hi = max(0, min(count - 1, math.ceil((count + c) / 2)))
    return Fit(slope, slopes[lo], slopes[hi], intercept)


def _variance_inflation(residuals: Sequence[float]) -> float:
    """(1 + r1) / (1 - r1) for positive lag-1 autocorrelation r1, capped: fewer effective points."""
    n = len(residuals)
    if n < 4:
        return 1.0
    mean = sum(residuals) / n
    centred = [r - mean for r in residuals]
    denominator = sum(c * c for c in centred)
    if denominator == 0:
        return 1.0
    r1 = sum(a * b for a, b in itertools.pairwise(centred)) / denominator
    r1 = min(max(r1, 0.0), 0.8)
    return (1 + r1) / (1 - r1)


def _mad(values: Sequence[float]) -> float:
    centre = median(values)
    return median(abs(v - centre) for v in values)


# -- the tracker ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Bin:
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

    def merge(self, other: _Bin) -> _Bin:
        """This bin and the next as one; the index stays this bin's."""
        return _Bin(
            self.index,
            min(self.low, other.low),
            max(self.high, other.high),
            self.start,
            other.end,
            other.tasks if other.tasks is not None else self.tasks,
            self.total + other.total,
            self.count + other.count,
        )

    def renamed(self, index: int, low: float | None = None) -> _Bin:
        """This bin under another index (and, for a floor estimate, another low)."""
        return _Bin(
            index,
            self.low if low is None else low,
            self.high,
            self.start,
            self.end,
            self.tasks,
            self.total,
            self.count,
        )


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
    _bins: list[_Bin] = field(default_factory=list)
    _open: _Bin | None = None
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
        self._open = _Bin(index, value, value, t, t, tasks, value, 1)
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

    def _close(self, closing: _Bin) -> None:
        if self._bins and self._bins[-1].index == closing.index:  # after a coarsening
            self._bins[-1] = self._bins[-1].merge(closing)
        else:
            self._bins.append(closing)
        if len(self._bins) > self.thresholds.max_bins:
            self._coarsen()
        self._refit()

    def _coarsen(self) -> None:
        merged: list[_Bin] = []
        for b in self._bins:
            if merged and merged[-1].index == b.index // 2:
                merged[-1] = merged[-1].merge(b)
            else:
                merged.append(b.renamed(b.index // 2))
        self._bins = merged
        self._width *= 2  # called from _close: there is no open bin to re-index

    def _refit(self) -> None:
        found = judge(self._bins, self._width, self._origin or 0.0, self.thresholds, self.limits)
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


# -- judging one fit --------------------------------------------------------------------------


def judge(
    bins: Sequence[_Bin],
    width: float,
    origin: float,
    th: Thresholds,
    limits: Sequence[Limit] = (),
    horizon: float | None = None,
    tail: bool = False,
) -> Verdict:
    """The verdict the bins support on their own (the tracker adds the hysteresis).

    The whole series is judged first. A leak that began late, or that is left once a
    warm-up is over, is diluted in it, so the recent half is judged on its own too, and its
    recent half in turn, as long as each is long enough to call a leak.

    A leak must stay straight for ``horizon`` seconds ahead: ``straight_for`` times the
    time since the growth began. When the older half was flat, the recent half is where
    the growth began. Otherwise the recent half is the tail of a longer growth, and the
    tail of a curve that levels off (a cache filling as the square root of time) looks
    straighter than the curve: it must stay straight for twice its series' horizon, and
    its bound on the bend is the two-sided 95 % one (``tail``), not the one-sided.
    """
    if not bins:
        return INSUFFICIENT
    if horizon is None:
        horizon = th.straight_for * (bins[-1].end - bins[0].start)
    found = _judge_window(bins, width, origin, th, limits, horizon, _TAIL if tail else _BOUND)
    half = len(bins) // 2
    if found.kind == "leak" or half < 4 or bins[-1].end - bins[half].start < th.leak_span:
        return found
    recent = bins[half:]
    if _flat(bins[:half], width, th):
        horizon, tail = th.straight_for * (recent[-1].end - recent[0].start), False
    else:
        horizon, tail = 2 * horizon, True
    later = judge(recent, width, origin, th, limits, horizon, tail)
    if later.kind == "suspect" and found.kind == "stable":
        return later  # recent growth the whole series dilutes is not "flat"
    if later.kind != "leak":
        return found
    if found.kind == "warming" and "warm-up" not in later.reason:
        return replace(later, reason=f"{later.reason}, after a warm-up")
    return later


_BOUND = 1.645
"""z of the lower bound on a leak's slope ahead (``_bending``): one-sided, 95 %. The bound
only ever stops a call, never makes one, so the side that matters is the low one."""
_TAIL = 1.96
"""…and for the tail of a longer growth, which looks straighter than the curve it ends: a
cache that fills as the square root of time, then stops, passed at 1.645 (seed 1 of
bench_verdicts, its recent quarter after 4.7 h)."""


def _flat(bins: Sequence[_Bin], width: float, th: Thresholds) -> bool:
    """Whether these floors did not grow: a robust slope below the threshold."""
    y = [b.low for b in bins]
    fit = theil_sen([(b.index + 0.5) * width / HOUR for b in bins], y)
    return fit is not None and fit.slope < max(th.min_rate, th.min_relative * median(y))


def _judge_window(
    bins: Sequence[_Bin],
    width: float,
    origin: float,
    th: Thresholds,
    limits: Sequence[Limit],
    horizon: float,
    z: float,
) -> Verdict:
    if not bins:
        return INSUFFICIENT
    _size, _rate = _formatters(th.unit)
    span = bins[-1].end - bins[0].start
    if span < th.min_span or len(bins) < 6:
        return Verdict(
            "insufficient", f"{_minutes(span)} of samples; a verdict needs {_minutes(th.min_span)}"
        )
    sawtooth = median(b.high - b.low for b in bins)
    bins, width, shift = _floors(bins, width)
    origin += shift
    # Hours since the series began: the verdict must not depend on the clock's origin.
    x = [(b.index + 0.5) * width / HOUR for b in bins]
    y = [b.low for b in bins]
    fit = theil_sen(x, y)
    if fit is None:
        return INSUFFICIENT
    level = fit.intercept + fit.slope * x[-1]
    threshold = max(th.min_rate, th.min_relative * max(level, 0.0))
    if fit.slope > threshold and span >= th.leak_span:
        smooth = _without_period(x, y)
        if smooth is not None and (refit := theil_sen(x, smooth)) is not None:
            y, fit = smooth, refit
            level = fit.intercept + fit.slope * x[-1]
    half = len(bins) // 2
    older, recent = theil_sen(x[:half], y[:half]), theil_sen(x[half:], y[half:])
    per_task, follows = _per_task(bins), _follows(bins, width, threshold)
    common = {
        "level": level,
        "rate": fit.slope,
        "rate_ci": (fit.low, fit.high),
        "bytes_per_task": per_task,
        "follows": follows,
    }
    cause = _cause(per_task, follows, _size)

    step = _step(x, y, threshold)
    if step is not None:
        at, jump = step
        return Verdict(
            "stable",
            f"stepped up {_size(jump)} once at "
            f"{_clock(origin + at * HOUR)} "
            "(the allocator's high-water mark), flat since",
            **common,
        )

    recent_flat = (
        recent is None
        or recent.high < threshold
        or (abs(recent.slope) < threshold / 2 and recent.low <= 0)
    )
    if older is not None and older.slope > threshold and recent_flat:
        return Verdict(
            "stable",
            f"levelled off at {_size(level)} after growing {_rate(older.slope)} earlier",
            **common,
        )
    # Slowing down for sure: the recent slope's interval lies wholly below the older one's.
    decelerating = (
        older is not None
        and recent is not None
        and older.slope > threshold
        and recent.high < older.low
    )
    grown = fit.slope * span / HOUR
    if decelerating:
        found = Verdict(
            "warming",
            f"growth slowing: {_rate(recent.slope)} now, {_rate(older.slope)} earlier",
            **common,
        )
    elif (
        fit.low > threshold
        and span >= th.leak_span
        and recent is not None
        and recent.low > 0
        and recent.slope > threshold
        and _bending(x, y, fit, horizon / HOUR, z=z) > max(threshold, th.keep_slope * fit.slope)
    ):
        since = bins[0].start
        eta = _eta(level, level + sawtooth, fit, limits)
        return Verdict(
            "leak",
            f"floor rose {_size(grown)} in {_minutes(span)} "
            f"({_rate(fit.slope)}){cause}, steady since {_clock(since)}",
            since=since,
            **common,
            **eta,
        )
    elif fit.slope > threshold and fit.low > 0:
        found = Verdict(
            "suspect",
            f"floor rising {_rate(fit.slope)} "
            f"({_rate(fit.low)} to {_rate(fit.high)}) over "
            f"{_minutes(span)}{cause}; not yet sure",
            **common,
            **_eta(level, level + sawtooth, fit, limits),
        )
    else:
        return Verdict(
            "stable",
            f"floor flat at {_size(level)} (sawtooth {_size(sawtooth)}) over {_minutes(span)}",
            **common,
        )
    warm = _after_warm_up(x, y, fit) if span >= th.leak_span else None
    if (
        warm is None
        or warm.low <= threshold
        or _bending(x, y, fit, 2 * horizon / HOUR, warm.tau, z)
        <= max(threshold, th.keep_slope * warm.rate)
    ):
        return found
    line = Fit(warm.rate, warm.low, warm.high, warm.level - warm.rate * x[-1])
    if warm.rise >= 0.1 * warm.rate * span / HOUR:  # a warm-up worth naming
        since = min(bins[0].start + _SETTLED * warm.tau * HOUR, bins[-1].end)
        what = f"floor rising {_rate(warm.rate)} after a warm-up of {_size(warm.rise)}"
    else:  # a small start-up bend, which only hid how straight the rest is
        since = bins[0].start
        what = (
            f"floor rose {_size(warm.rate * span / HOUR)} in {_minutes(span)} ({_rate(warm.rate)})"
        )
    return Verdict(
        "leak",
        f"{what}{cause}, steady since {_clock(since)}",
        since=since,
        **{**common, "level": warm.level, "rate": warm.rate, "rate_ci": (warm.low, warm.high)},
        **_eta(warm.level, warm.level + sawtooth, line, limits),
    )


def _floors(bins: Sequence[_Bin], width: float) -> tuple[list[_Bin], float, float]:
    """The floor estimates with the least noise: bin minima or means, over 1 to 8 bins.

    A GC sawtooth slower than a bin puts each bin's minimum anywhere on its ramp, and the
    floors scatter by the whole sawtooth height; over a block that spans a period, the
    minimum is the floor again. Under plain noise, a mean is steadier than a minimum.
    The estimate chosen is the one whose scatter, times the square root of the bins each
    point stands for, is least (a slope's error goes as the scatter over the square root
    of the points); means are shifted down to the floor they stand for.
    Blocks end with the newest bin, so the last one is whole; an incomplete first block is
    left out. Returns the estimates (as bins), their width, and the shift of their origin.
    """
    best: tuple[float, list[_Bin], float, float] | None = None
    last = bins[-1].index
    for w in (1, 2, 4, 8):
        r = (last + 1) % w
        blocks: list[_Bin] = []
        counts: list[int] = []
        for b in bins:
            k = (b.index - r) // w
            if blocks and blocks[-1].index == k:
                blocks[-1] = blocks[-1].merge(b)
                counts[-1] += 1
            else:
                blocks.append(b.renamed(k))
                counts.append(1)
        if counts[0] < w:  # an incomplete first block: its minimum is of fewer samples
            blocks = blocks[1:]
        if len(blocks) < 8:
            break
        means = [b.total / b.count for b in blocks]
        below = median(b.low - m for b, m in zip(blocks, means, strict=True))
        for candidate in (
            blocks,
            [b.renamed(b.index, m + below) for b, m in zip(blocks, means, strict=True)],
        ):
            noise = _noise([b.low for b in candidate]) * math.sqrt(w)
            if best is None or noise < best[0]:
                best = (noise, candidate, width * w, r * width)
    if best is None:
        return list(bins), width, 0.0
    return best[1], best[2], best[3]


def _noise(y: Sequence[float]) -> float:
    """The scatter of a series about any straight line: mean absolute second difference.

    The top 5 % are left out (a spike), but not more: the jumps where a sawtooth wraps are
    few and are the noise this measures.
    """
    d = sorted(abs(c - 2 * b + a) for a, b, c in zip(y, y[1:], y[2:], strict=False))
    keep = d[: max(1, math.ceil(len(d) * 0.95))]
    return sum(keep) / len(keep)


def _bending(
    x: Sequence[float],
    y: Sequence[float],
    fit: Fit,
    horizon: float,
    tau: float | None = None,
    z: float = _BOUND,
) -> float:
    """The lowest slope a quadratic through the floors allows ``horizon`` hours after the end.

    A warm-up bends: its slope falls as it goes. A straight line through its first hour
    cannot see that, so a leak must also keep its slope when the curvature the data still
    allow is carried forward. Floors far above the line (a spike that filled whole bins) are
    left out first; the variance is widened for autocorrelated residuals, as in theil_sen.
    With ``tau`` (hours), a warm-up ``exp(-t/tau)`` is fitted alongside, and the curvature
    it could hide widens the bound: the slope is the line's left after it.
    """
    u, v, _ = _inliers(x, y, fit)
    m = len(u)
    if m < 8:
        return -math.inf
    columns = [[1.0] * m, u, [ui * ui for ui in u]]
    if tau is not None:
        columns.append(_decay(u, tau))
    solved = _least_squares(columns, v)
    if solved is None:
        return -math.inf
    beta, inverse, rss = solved
    b, q = beta[1], beta[2]
    sigma2 = _residual_variance(columns, v, beta, rss, chosen=tau is not None)
    at = max(u) + horizon
    # slope at `at` is b + 2 q at: its variance from the covariance of (b, q)
    variance = sigma2 * (inverse[1][1] + 4 * at * inverse[1][2] + 4 * at * at * inverse[2][2])
    return b + 2 * q * at - z * math.sqrt(max(variance, 0.0))


def _without_period(x: Sequence[float], y: Sequence[float]) -> list[float] | None:
    """The floors less a regular sawtooth that stands out of them, or None when none does.

    A leak in a periodic task climbs in stairs, one step each run, and a GC sawtooth slower
    than the floors' blocks leaves its ramps in them. Either way the floors scatter about
    their trend by a whole step, which hides how straight the trend is: a staircase of
    15-minute steps waited two hours for blocks long enough to smooth it. The period is
    found by folding the floors' steps (first differences) at trial periods, from three
    floors to a quarter of the span: a jump that recurs at one phase stands out of its
    fold. A sawtooth of that period is then fitted with a quadratic trend, its phase
    refined, and removed only if its height is ``_PERIODIC`` standard errors from zero
    (two more degrees of freedom spent: the period and the phase).
    """
    n = len(x)
    if n < 12:
        return None
    mid = sum(x) / n
    u = [xi - mid for xi in x]
    step = median(b - a for a, b in itertools.pairwise(u))
    steps = [b - a for a, b in itertools.pairwise(y)]
    at = [(a + b) / 2 for a, b in itertools.pairwise(u)]
    if step <= 0 or not any(steps):
        return None
    best: tuple[float, float, float] | None = None  # score, period, phase
    period = 3 * step
    while period <= (u[-1] - u[0]) / 4:
        k = max(3, round(period / step))
        sums, counts = [0.0] * k, [0] * k
        for t, d in zip(at, steps, strict=True):
            j = int((t % period) / period * k) % k
            sums[j] += d
            counts[j] += 1
        for j in range(k):
            if counts[j]:
                score = abs(sums[j]) / math.sqrt(counts[j])
                if best is None or score > best[0]:
                    best = (score, period, (j + 0.5) / k * period)
        period *= 1.1
    if best is None:
        return None
    _, period, phase = best
    trend = [[1.0] * n, u, [ui * ui for ui in u]]
    fits = []
    for shift in range(-4, 5):
        saw = _sawtooth(u, period, phase + shift * period / 16)
        solved = _least_squares([*trend, saw], y)
        if solved is not None:
            fits.append((solved, saw))
    if not fits:
        return None
    (beta, inverse, rss), saw = min(fits, key=lambda f: f[0][2])
    sigma2 = _residual_variance([*trend, saw], y, beta, rss, chosen=2)
    if abs(beta[3]) < _PERIODIC * math.sqrt(max(sigma2 * inverse[3][3], 0.0)):
        return None
    return [yi - beta[3] * si for yi, si in zip(y, saw, strict=True)]


_PERIODIC = 5.0
"""How many standard errors a sawtooth's height must be from zero to be taken out of the
floors. It is the best of some hundreds of periods and phases tried, and in plain noise
the largest of that many normal draws is about 3."""


def _sawtooth(u: Sequence[float], period: float, phase: float) -> list[float]:
    """A ramp from -1/2 to 1/2 each period, dropping back at ``phase``."""
    return [((ui - phase) / period) % 1.0 - 0.5 for ui in u]


_SETTLED = 3.0
"""A warm-up is over after this many time constants (95 % of it is done)."""


@dataclass(frozen=True, slots=True)
class _WarmUp:
    """A line with a warm-up that levels off under it: the line's figures after the warm-up."""

    tau: float
    """The warm-up's time constant, hours."""
    rise: float
    """How much the warm-up added in all."""
    rate: float
    low: float
    high: float
    level: float
    """The fitted floor at the last point."""


def _after_warm_up(
    x: Sequence[float], y: Sequence[float], fit: Fit, z: float = 1.96, strength: float = 3.0
) -> _WarmUp | None:
    """The best line plus warm-up ``c + b t - rise·exp(-t/τ)``, τ profiled over a grid.

    τ runs from two floors' widths (one floor alone is an outlier, not a shape) to a
    third of the span, so that the warm-up is all but over by the end (5 % of its rise
    left); a longer one cannot be told from the line and is the bending test's business.
    (A quarter missed the leaks under warm-ups of 1.5 to 2 h in six-hour series: fitted
    with a shorter τ, the warm-up left part of its bend in the line.) Returns None unless the
    warm-up is significant (its rise ``strength`` standard errors above 0): otherwise the
    plain line already says what there is to say.
    """
    u, v, mid = _inliers(x, y, fit)
    m = len(u)
    if m < 12:
        return None
    ones = [1.0] * m
    fits: list[tuple[float, list[float], tuple[list[float], list[list[float]], float]]] = []
    tau, longest = 2 * (u[1] - u[0]), (u[-1] - u[0]) / 3
    while tau <= longest:
        decay = _decay(u, tau)
        solved = _least_squares([ones, u, decay], v)
        if solved is not None:
            fits.append((tau, decay, solved))
        tau *= 1.25
    if not fits:
        return None
    tau, decay, (beta, inverse, rss) = min(fits, key=lambda f: f[2][2])
    b, a = beta[1], beta[2]
    sigma2 = _residual_variance([ones, u, decay], v, beta, rss, chosen=1)
    if -a < strength * math.sqrt(max(sigma2 * inverse[2][2], 0.0)):
        return None
    # The rate's interval over every τ the floors do not rule out (the profile's): the
    # best τ alone would pass its uncertainty off as certainty.
    low, high = b, b
    for _, _, (beta_t, inverse_t, rss_t) in fits:
        if rss_t - rss <= z * z * sigma2:
            spread = z * math.sqrt(max(sigma2 * inverse_t[1][1], 0.0))
            low, high = min(low, beta_t[1] - spread), max(high, beta_t[1] + spread)
    last = x[-1] - mid
    level = beta[0] + b * last + a * math.exp(-(last - u[0]) / tau)
    return _WarmUp(tau, -a, b, low, high, level)


def _inliers(
    x: Sequence[float], y: Sequence[float], fit: Fit
) -> tuple[list[float], list[float], float]:
    """The floors not far above the line (a spike that filled whole bins is left out), with
    time centred on their mean for a well-conditioned fit: (times, floors, the mean)."""
    residuals = [yi - fit.intercept - fit.slope * xi for xi, yi in zip(x, y, strict=True)]
    centre, spread = median(residuals), 1.4826 * _mad(residuals)
    keep = [i for i, r in enumerate(residuals) if r - centre <= 6 * spread + 1.0]
    mid = sum(x[i] for i in keep) / len(keep)
    return [x[i] - mid for i in keep], [y[i] for i in keep], mid


def _decay(u: Sequence[float], tau: float) -> list[float]:
    """exp(-t/tau), t counted from the first point: the shape of a warm-up's remaining rise."""
    return [math.exp(-(ui - u[0]) / tau) for ui in u]


def _least_squares(
    columns: Sequence[Sequence[float]], y: Sequence[float]
) -> tuple[list[float], list[list[float]], float] | None:
    """Ordinary least squares: the coefficients, the inverse of XᵀX, and the residual sum
    of squares; None when the columns are collinear. The floors are centred first: their
    squares are near 1e18 and would swamp the residuals'."""
    centre = median(y)
    v = [yi - centre for yi in y]
    k = len(columns)
    gram = [
        [sum(a * b for a, b in zip(columns[i], columns[j], strict=True)) for j in range(k)]
        for i in range(k)
    ]
    rhs = [sum(a * b for a, b in zip(col, v, strict=True)) for col in columns]
    inverse = _inverse(gram)
    if inverse is None:
        return None
    beta = [sum(inverse[i][j] * rhs[j] for j in range(k)) for i in range(k)]
    rss = max(sum(vi * vi for vi in v) - sum(b * r for b, r in zip(beta, rhs, strict=True)), 0.0)
    beta[0] += centre  # the first column is the constant
    return beta, inverse, rss


def _residual_variance(
    columns: Sequence[Sequence[float]],
    y: Sequence[float],
    beta: Sequence[float],
    rss: float,
    chosen: int = 0,
) -> float:
    """The variance of one point about the fit, widened for autocorrelated residuals (as in
    theil_sen); ``chosen`` counts what was picked from the data besides the coefficients
    (a warm-up's τ), each a degree of freedom spent."""
    residuals = [
        yi - sum(bk * column[i] for bk, column in zip(beta, columns, strict=True))
        for i, yi in enumerate(y)
    ]
    spent = len(columns) + chosen
    return rss / max(len(y) - spent, 1) * _variance_inflation(residuals)


def _inverse(a: Sequence[Sequence[float]]) -> list[list[float]] | None:
    """The inverse of a small square matrix by Gauss-Jordan elimination, or None when singular."""
    n = len(a)
    rows = [[*row, *(float(i == j) for j in range(n))] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(rows[r][col]))
        if abs(rows[pivot][col]) <= 1e-12 * max(abs(a[col][col]), 1e-300):
            return None
        rows[col], rows[pivot] = rows[pivot], rows[col]
        scale = rows[col][col]
        rows[col] = [value / scale for value in rows[col]]
        for r in range(n):
            if r != col and rows[r][col] != 0.0:
                factor = rows[r][col]
                rows[r] = [vr - factor * vc for vr, vc in zip(rows[r], rows[col], strict=True)]
    return [row[n:] for row in rows]


def _step(x: Sequence[float], y: Sequence[float], threshold: float) -> tuple[float, float] | None:
    """A single jump between two flat stretches, if that explains the floors best.

    The split is where the two stretches sit tightest about their medians (least absolute
    deviation): the largest jump between medians is no guide once the floors are clean,
    when every split near the step shows the same jump.
    """
    n = len(y)
    if n < 8:
        return None
    k = min(range(3, n - 2), key=lambda k: _deviation(y[:k]) + _deviation(y[k:]))
    jump = median(y[k:]) - median(y[:k])
    if jump <= 6 * max(_mad(y[:k]), _mad(y[k:]), 1.0):
        return None
    flat_before, flat_after = theil_sen(x[:k], y[:k]), theil_sen(x[k:], y[k:])
    if flat_before is None or flat_after is None:
        return None
    if abs(flat_before.slope) < threshold and abs(flat_after.slope) < threshold:
        return x[k], jump
    return None


def _deviation(values: Sequence[float]) -> float:
    """The sum of absolute deviations from the median."""
    centre = median(values)
    return sum(abs(v - centre) for v in values)


def _eta(level: float, peak: float, fit: Fit, limits: Sequence[Limit]) -> dict:
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


def _per_task(bins: Sequence[_Bin]) -> float | None:
    """Bytes per task: the floor's robust slope against the count of tasks finished."""
    points = [(b.tasks, b.low) for b in bins if b.tasks is not None]
    if len(points) < 6 or points[-1][0] - points[0][0] < 10:
        return None
    fit = theil_sen([p[0] for p in points], [p[1] for p in points])
    return fit.slope if fit else None


def _follows(
    bins: Sequence[_Bin], width: float, threshold: float
) -> Literal["tasks", "time"] | None:
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


def _cause(per_task: float | None, follows: str | None, size: Callable[[float], str]) -> str:
    """The part of a reason that says what the growth goes with."""
    if follows == "time":
        return ", growing while idle too"
    text = f", {size(per_task)}/task" if per_task is not None and per_task > 0 else ""
    if follows == "tasks":
        text += ", only while tasks run"
    return text


def _formatters(unit: str) -> tuple[Callable[[float], str], Callable[[float], str]]:
    """How the reasons write an amount and a rate: binary sizes for bytes, counts otherwise."""

    def size(n: float) -> str:
        if unit != "bytes":
            return f"{n:.0f} {unit}"
        for name, scale in (("GiB", 1 << 30), ("MiB", MIB), ("KiB", 1024)):
            if abs(n) >= scale:
                return f"{n / scale:.1f} {name}"
        return f"{n:.0f} B"

    def rate(per_hour: float) -> str:
        text = f"{abs(per_hour):.1f} {unit}" if unit != "bytes" else size(abs(per_hour))
        return f"{'+' if per_hour >= 0 else '-'}{text}/h"

    return size, rate


def _minutes(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def _clock(t: float) -> str:
    return time.strftime("%H:%M", time.gmtime(t)) + " UTC"
