"""The shapes floors take besides a line: a warm-up that levels off, and one step up.

A leak is growth that goes on. Each test here asks whether the floors could instead be a
curve that levels off (a warm-up, a cache filling) or a single step up that stays (the
allocator's high-water mark), which look like growth for a while and are not leaks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from leaktui.core.verdict.stats import Fit, least_squares, mad, theil_sen, variance_inflation

Z = 1.96
"""z of the one-sided bound the line must clear against every warm-up in play: 97.5 %,
because each refit tests up to three windows (the series, its recent half and quarter),
and at 95 % each, a cache filling slower and slower was called a leak in its recent
quarter (the real lru-cache trace, at 24 minutes)."""


def student(dof: int, z: float = Z) -> float:
    """Student's t quantile for ``dof`` degrees of freedom at the normal quantile ``z``
    (Cornish-Fisher, within 1 % from 3 dof up): a few floors must clear a higher bar."""
    n = max(dof, 1)
    return z + (z**3 + z) / (4 * n) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * n * n)


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the floors say of growth against the warm-ups in play."""

    sure: float
    """The likelihood ratio of the line against the best warm-up, in units of what chance
    allows: above 1, growth goes on."""
    fastest: float
    """The shortest time constant (hours) of a warm-up the floors do not rule out on its
    own, or the longest in play when they rule out every one. Growth that reaches a limit
    sooner reaches it whatever its shape."""


NONE = Evidence(0.0, 0.0)


def goes_on(
    x: Sequence[float], y: Sequence[float], fit: Fit, threshold: float, longest: float
) -> Evidence:
    """How sure the floors are that growth goes on: a likelihood ratio of a line against
    every plausible warm-up, in units of what chance allows.

    The two hypotheses, fitted to the floors by least squares:

    - a leak: the line ``c + b·t``, b above ``threshold``;
    - a warm-up: ``c + threshold·t − A·exp(−t/τ)``, A ≥ 0, for each time constant τ from
      two floors' widths up to ``longest`` hours. It rises and levels off, to growth at
      the threshold (the most a non-leak may keep).

    The leak wins when even the best warm-up leaves more residual than the line by more
    than chance allows: the gap, in units of the line's residual variance widened for
    autocorrelation, against the square of Student's quantile at ``Z``. A warm-up with a
    short τ bends where the line does not, so it is ruled out at once; one with a τ much
    longer than the span is a line there, and is ruled out only as the span grows.

    A line is straight both ways: floors that curve upwards significantly (the rise of a
    slow wobble, or a window that holds a leak's onset) are not a line either, and get 0.
    A leak that began late, or is left under a warm-up once it is over, is a line in the
    recent half, which is judged on its own. Returns ``NONE`` too when the floors are too
    few or the line is not above ``threshold``.
    """
    u, v, _ = _inliers(x, y, fit)
    m = len(u)
    if m < 6:
        return NONE
    ones = [1.0] * m
    line = least_squares([ones, u], v)
    if line is None or line[0][1] <= threshold:
        return NONE
    (c, b), _, rss = line
    inflation = variance_inflation([vi - c - b * ui for ui, vi in zip(u, v, strict=True)])
    sigma2 = rss / (m - 2) * inflation
    bent = least_squares([ones, u, [ui * ui for ui in u]], v)
    if bent is not None:  # growth that speeds up is no line either
        q, var_q, rss_q = bent[0][2], bent[1][2][2], bent[2]
        if q > 0 and q * q > student(m - 3) ** 2 * rss_q / (m - 3) * inflation * var_q:
            return NONE
    rest = [vi - threshold * ui for ui, vi in zip(u, v, strict=True)]
    mean = sum(rest) / m
    warm_up = sum((r - mean) ** 2 for r in rest)  # A = 0: growth at the threshold alone
    allowed = (student(m - 2) ** 2) * sigma2  # what chance allows, in residual
    fastest = longest
    tau, shortest = longest, 2 * (u[1] - u[0])
    while tau >= shortest:  # from the slowest warm-up in play down
        held = least_squares([ones, _decay(u, tau)], rest)
        if held is not None and held[0][1] < 0:  # with a > 0 it falls: no warm-up
            warm_up = min(warm_up, held[2])
            if held[2] - rss <= allowed:
                fastest = tau
        tau /= 1.25
    if sigma2 <= 0:
        return Evidence(math.inf, fastest)
    return Evidence(math.sqrt(max(warm_up - rss, 0.0) / sigma2) / student(m - 2), fastest)


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
