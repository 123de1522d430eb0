"""One refit: the verdict a series' bins support on their own, without hysteresis."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from statistics import median

from leaktui.core.verdict import evidence, floors, shapes, wording
from leaktui.core.verdict.bins import Bin
from leaktui.core.verdict.stats import Fit, theil_sen
from leaktui.core.verdict.terms import HOUR, INSUFFICIENT, Limit, Thresholds, Verdict
from leaktui.core.verdict.wording import clock, minutes


def judge(
    bins: Sequence[Bin],
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
    found = _judge_window(
        bins, width, origin, th, limits, horizon, shapes.TAIL if tail else shapes.BOUND
    )
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


def _flat(bins: Sequence[Bin], width: float, th: Thresholds) -> bool:
    """Whether these floors did not grow: a robust slope below the threshold."""
    y = [b.low for b in bins]
    fit = theil_sen([(b.index + 0.5) * width / HOUR for b in bins], y)
    return fit is not None and fit.slope < max(th.min_rate, th.min_relative * median(y))


def _judge_window(
    bins: Sequence[Bin],
    width: float,
    origin: float,
    th: Thresholds,
    limits: Sequence[Limit],
    horizon: float,
    z: float,
) -> Verdict:
    if not bins:
        return INSUFFICIENT
    _size, _rate = wording.formatters(th.unit)
    span = bins[-1].end - bins[0].start
    if span < th.min_span or len(bins) < 6:
        return Verdict(
            "insufficient",
            f"{minutes(span)} of samples; a verdict needs {minutes(th.min_span)}",
        )
    sawtooth = median(b.high - b.low for b in bins)
    bins, width, shift = floors.estimate(bins, width)
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
        smooth = floors.without_period(x, y)
        if smooth is not None and (refit := theil_sen(x, smooth)) is not None:
            y, fit = smooth, refit
            level = fit.intercept + fit.slope * x[-1]
    half = len(bins) // 2
    older, recent = theil_sen(x[:half], y[:half]), theil_sen(x[half:], y[half:])
    per_task, follows = evidence.per_task(bins), evidence.follows(bins, width, threshold)
    common = {
        "level": level,
        "rate": fit.slope,
        "rate_ci": (fit.low, fit.high),
        "bytes_per_task": per_task,
        "follows": follows,
    }
    cause = wording.cause(per_task, follows, _size)

    step = shapes.step(x, y, threshold)
    if step is not None:
        at, jump = step
        return Verdict(
            "stable",
            f"stepped up {_size(jump)} once at "
            f"{clock(origin + at * HOUR)} "
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
        and shapes.bending(x, y, fit, horizon / HOUR, z=z)
        > max(threshold, th.keep_slope * fit.slope)
    ):
        since = bins[0].start
        eta = evidence.eta(level, level + sawtooth, fit, limits)
        return Verdict(
            "leak",
            f"floor rose {_size(grown)} in {minutes(span)} "
            f"({_rate(fit.slope)}){cause}, steady since {clock(since)}",
            since=since,
            **common,
            **eta,
        )
    elif fit.slope > threshold and fit.low > 0:
        found = Verdict(
            "suspect",
            f"floor rising {_rate(fit.slope)} "
            f"({_rate(fit.low)} to {_rate(fit.high)}) over "
            f"{minutes(span)}{cause}; not yet sure",
            **common,
            **evidence.eta(level, level + sawtooth, fit, limits),
        )
    else:
        return Verdict(
            "stable",
            f"floor flat at {_size(level)} (sawtooth {_size(sawtooth)}) over {minutes(span)}",
            **common,
        )
    warm = shapes.after_warm_up(x, y, fit) if span >= th.leak_span else None
    if (
        warm is None
        or warm.low <= threshold
        or shapes.bending(x, y, fit, 2 * horizon / HOUR, warm.tau, z)
        <= max(threshold, th.keep_slope * warm.rate)
        or shapes.fills(x, y, fit, warm.tau)
    ):
        return found
    line = Fit(warm.rate, warm.low, warm.high, warm.level - warm.rate * x[-1])
    if warm.rise >= 0.1 * warm.rate * span / HOUR:  # a warm-up worth naming
        since = min(bins[0].start + shapes.SETTLED * warm.tau * HOUR, bins[-1].end)
        what = f"floor rising {_rate(warm.rate)} after a warm-up of {_size(warm.rise)}"
    else:  # a small start-up bend, which only hid how straight the rest is
        since = bins[0].start
        what = (
            f"floor rose {_size(warm.rate * span / HOUR)} in {minutes(span)} ({_rate(warm.rate)})"
        )
    return Verdict(
        "leak",
        f"{what}{cause}, steady since {clock(since)}",
        since=since,
        **{**common, "level": warm.level, "rate": warm.rate, "rate_ci": (warm.low, warm.high)},
        **evidence.eta(warm.level, warm.level + sawtooth, line, limits),
    )
