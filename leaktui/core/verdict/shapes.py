"""The shapes floors take besides a line: a bend ahead, a warm-up under a leak, one step.

A leak is growth that goes on. Each test here asks whether the floors could instead be a
curve that levels off (a warm-up, a cache filling) or a single step up that stays (the
allocator's high-water mark), which look like growth for a while and are not leaks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from leaktui.core.verdict.stats import Fit, least_squares, mad, residual_variance, theil_sen

BOUND = 1.645
"""z of the lower bound on a leak's slope ahead (``bending``): one-sided, 95 %. The bound
only ever stops a call, never makes one, so the side that matters is the low one."""
TAIL = 1.96
"""…and for the tail of a longer growth, which looks straighter than the curve it ends: a
cache that fills as the square root of time, then stops, passed at 1.645 (seed 1 of
bench_verdicts, its recent quarter after 4.7 h)."""


def bending(
    x: Sequence[float],
    y: Sequence[float],
    fit: Fit,
    horizon: float,
    tau: float | None = None,
    z: float = BOUND,
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
    solved = least_squares(columns, v)
    if solved is None:
        return -math.inf
    beta, inverse, rss = solved
    b, q = beta[1], beta[2]
    sigma2 = residual_variance(columns, v, beta, rss, chosen=tau is not None)
    at = max(u) + horizon
    # slope at `at` is b + 2 q at: its variance from the covariance of (b, q)
    variance = sigma2 * (inverse[1][1] + 4 * at * inverse[1][2] + 4 * at * at * inverse[2][2])
    return b + 2 * q * at - z * math.sqrt(max(variance, 0.0))


SETTLED = 3.0
"""A warm-up is over after this many time constants (95 % of it is done)."""


@dataclass(frozen=True, slots=True)
class WarmUp:
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


def after_warm_up(
    x: Sequence[float], y: Sequence[float], fit: Fit, z: float = 1.96, strength: float = 3.0
) -> WarmUp | None:
    """The best line plus warm-up ``c + b t - rise·exp(-t/τ)``, τ profiled over a grid.

    τ runs from two floors' widths (one floor alone is an outlier, not a shape) to half
    the span, so that most of the warm-up is over by the end (14 % of its rise left); a
    longer one cannot be told from the line and is the bending test's business. Fitted
    with a shorter τ, a slow warm-up leaves part of its bend in the line: up to a quarter
    of the span, leaks under warm-ups of 1.5 to 2 h were missed in six-hour series, and up
    to a third, those of 2 h still were. Returns None unless the warm-up is significant
    (its rise ``strength`` standard errors above 0): otherwise the plain line already says
    what there is to say.
    """
    u, v, mid = _inliers(x, y, fit)
    m = len(u)
    if m < 12:
        return None
    ones = [1.0] * m
    fits: list[tuple[float, list[float], tuple[list[float], list[list[float]], float]]] = []
    tau, longest = 2 * (u[1] - u[0]), (u[-1] - u[0]) / 2
    while tau <= longest:
        decay = _decay(u, tau)
        solved = least_squares([ones, u, decay], v)
        if solved is not None:
            fits.append((tau, decay, solved))
        tau *= 1.25
    if not fits:
        return None
    tau, decay, (beta, inverse, rss) = min(fits, key=lambda f: f[2][2])
    b, a = beta[1], beta[2]
    sigma2 = residual_variance([ones, u, decay], v, beta, rss, chosen=1)
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
    return WarmUp(tau, -a, b, low, high, level)


def fills(x: Sequence[float], y: Sequence[float], fit: Fit, tau: float, z: float = 1.96) -> bool:
    """Whether a cache filling as the square root of time fits the floors as well as a line
    on a warm-up with time constant ``tau`` (hours) does.

    A cache that fills as sqrt(t) looks like such a line for hours: the warm-up takes the
    steep start, the line the gentle rest, and with the warm-up taken out the bending test
    sees too little curvature left (seed 7 of bench_verdicts: a cache of 42 % of 1 GiB,
    full after 9 h, was called a leak at 86 minutes). The fill ``c + a·sqrt(t + s)`` may
    have begun up to ``FILL_BEFORE`` spans before the first floor (s is profiled over a
    grid); it has one parameter fewer than the line on a warm-up, which must fit better by
    more than chance allows (``z``, a likelihood-ratio test of one degree of freedom) for
    the floors to show a leak rather than a fill.
    """
    u, v, _ = _inliers(x, y, fit)
    m = len(u)
    if m < 12:
        return False
    columns = [[1.0] * m, u, _decay(u, tau)]
    solved = least_squares(columns, v)
    if solved is None:
        return False
    beta, _, rss = solved
    sigma2 = residual_variance(columns, v, beta, rss, chosen=1)
    mean = sum(v) / m
    dv = [vi - mean for vi in v]
    total = sum(d * d for d in dv)
    first, span = u[0], u[-1] - u[0]
    s = (u[1] - u[0]) / 2
    while s <= FILL_BEFORE * span:
        root = [math.sqrt(ui - first + s) for ui in u]
        centre = sum(root) / m
        srr = sum((r - centre) ** 2 for r in root)
        srv = sum((r - centre) * d for r, d in zip(root, dv, strict=True))
        if srv > 0 and total - srv * srv / srr - rss <= z * z * sigma2:
            return True  # a growing fill: as good a fit
        s *= 1.3
    return False


FILL_BEFORE = 1.0
"""How long before the first floor a cache fill may have begun, in spans of the floors.
A fill that began long before looks like a line (its slope changes by sqrt(1 + 1/s)
over the span) and the bending test judges that tail."""


def _inliers(
    x: Sequence[float], y: Sequence[float], fit: Fit
) -> tuple[list[float], list[float], float]:
    """The floors not far above the line (a spike that filled whole bins is left out), with
    time centred on their mean for a well-conditioned fit: (times, floors, the mean)."""
    residuals = [yi - fit.intercept - fit.slope * xi for xi, yi in zip(x, y, strict=True)]
    centre, spread = median(residuals), 1.4826 * mad(residuals)
    keep = [i for i, r in enumerate(residuals) if r - centre <= 6 * spread + 1.0]
    mid = sum(x[i] for i in keep) / len(keep)
    return [x[i] - mid for i in keep], [y[i] for i in keep], mid


def _decay(u: Sequence[float], tau: float) -> list[float]:
    """exp(-t/tau), t counted from the first point: the shape of a warm-up's remaining rise."""
    return [math.exp(-(ui - u[0]) / tau) for ui in u]


def step(x: Sequence[float], y: Sequence[float], threshold: float) -> tuple[float, float] | None:
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
    if jump <= 6 * max(mad(y[:k]), mad(y[k:]), 1.0):
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
