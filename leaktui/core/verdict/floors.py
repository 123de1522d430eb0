"""The post-GC floor, estimated from the bins with the least noise, and stairs taken out.

A leak raises the floor the garbage collector and the allocator fall back to; the sawtooth
above it and one-off spikes are not growth. How best to read that floor depends on the
series: bin minima, minima over blocks that span a slow sawtooth, or means under plain
noise.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from statistics import median

from leaktui.core.verdict.bins import Bin
from leaktui.core.verdict.stats import least_squares, residual_variance


def estimate(bins: Sequence[Bin], width: float) -> tuple[list[Bin], float, float]:
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
    best: tuple[float, list[Bin], float, float] | None = None
    last = bins[-1].index
    for w in (1, 2, 4, 8):
        r = (last + 1) % w
        blocks: list[Bin] = []
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


def without_period(x: Sequence[float], y: Sequence[float]) -> list[float] | None:
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
        solved = least_squares([*trend, saw], y)
        if solved is not None:
            fits.append((solved, saw))
    if not fits:
        return None
    (beta, inverse, rss), saw = min(fits, key=lambda f: f[0][2])
    sigma2 = residual_variance([*trend, saw], y, beta, rss, chosen=2)
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
