"""Robust and least-squares fits for short series of floors, in pure Python.

The engine fits at most 64 points at a time, a few fits per refit: small enough for plain
Python, so the monitor needs no numpy.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median


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
    inflation = math.sqrt(variance_inflation(residuals))
    count = len(slopes)
    c = z * math.sqrt(n * (n - 1) * (2 * n + 5) / 18) * inflation
    lo = max(0, min(count - 1, math.floor((count - c) / 2)))
    hi = max(0, min(count - 1, math.ceil((count + c) / 2)))
    return Fit(slope, slopes[lo], slopes[hi], intercept)


def variance_inflation(residuals: Sequence[float]) -> float:
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


def mad(values: Sequence[float]) -> float:
    centre = median(values)
    return median(abs(v - centre) for v in values)


def least_squares(
    columns: Sequence[Sequence[float]], y: Sequence[float]
) -> tuple[list[float], list[list[float]], float] | None:
    """Ordinary least squares: the coefficients, the inverse of XᵀX, and the residual sum
    of squares; None when the columns are collinear. The floors are centred first: their
    squares are near 1e18 and would swamp the residuals'."""
    centre = median(y)
    v = [yi - centre for yi in y]
    k = len(columns)
    # These fits are about half of a refit's cost: each product is summed once (the
    # matrix is symmetric), and map() adds in the same order as a loop would, only sooner.
    gram = [[0.0] * k for _ in range(k)]
    for i in range(k):
        for j in range(i, k):
            gram[i][j] = gram[j][i] = sum(map(operator.mul, columns[i], columns[j]))
    rhs = [sum(map(operator.mul, col, v)) for col in columns]
    inverse = _inverse(gram)
    if inverse is None:
        return None
    beta = [sum(inverse[i][j] * rhs[j] for j in range(k)) for i in range(k)]
    rss = max(sum(vi * vi for vi in v) - sum(b * r for b, r in zip(beta, rhs, strict=True)), 0.0)
    beta[0] += centre  # the first column is the constant
    return beta, inverse, rss


def residual_variance(
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
    return rss / max(len(y) - spent, 1) * variance_inflation(residuals)


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
