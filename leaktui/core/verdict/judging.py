"""One refit: the verdict a series' bins support on their own, without hysteresis."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import replace
from statistics import median

from leaktui import fmt
from leaktui.core.verdict import evidence, floors, shapes, wording
from leaktui.core.verdict.bins import Bin
from leaktui.core.verdict.stats import theil_sen
from leaktui.core.verdict.terms import HOUR, INSUFFICIENT, Limit, Thresholds, Verdict


def judge(
    bins: Sequence[Bin],
    width: float,
    origin: float,
    th: Thresholds,
    limits: Sequence[Limit] = (),
    longest: float | None = None,
    falls: float | None = None,
) -> Verdict:
    """The verdict the bins support on their own (the tracker adds the hysteresis).

    The whole series is judged first. A leak that began late, or that is left once a
    warm-up is over, is diluted in it, so the recent half is judged on its own too, and
    its recent half in turn. ``longest`` is the slowest warm-up (its time constant, in
    hours) a leak must rule out: ``horizon`` times the span. When the older half was flat,
    the growth began in the recent half and its own span sets it; otherwise the recent
    half is the tail of a longer growth, and a warm-up that began with the series is still
    in play, as slow as the two halves allow (``_recent_longest``).
    """
    if not bins:
        return INSUFFICIENT
    if longest is None:
        longest = _longest(bins[-1].end - bins[0].start, th)
    if falls is None:
        falls = _falls(bins, th)
    found = _judge_window(bins, width, origin, th, limits, longest, falls)
    half = len(bins) // 2
    if found.kind == "leak" or half < 6 or bins[-1].end - bins[half].start < th.min_span:
        return found
    recent = bins[half:]
    longest = _recent_longest(bins, half, width, th, longest)
    later = judge(recent, width, origin, th, limits, longest, falls)
    if later.kind == "suspect" and found.kind in ("stable", "warming"):
        # Recent growth that the whole series dilutes is not "flat"; growth that slowed
        # once (threads starting, a first cache) but goes on unslowed is not "warming".
        return later
    if later.kind != "leak":
        return found
    if found.kind == "warming" and "warm-up" not in later.reason:
        return replace(later, reason=f"{later.reason}, after a warm-up")
    return later


def _falls(bins: Sequence[Bin], th: Thresholds) -> float:
    """The largest fall between neighbouring floors, or infinite while the series is too
    short to have shown a slow sawtooth's fall."""
    if bins[-1].end - bins[0].start < th.sawtooth:
        return math.inf
    return max((a.low - b.low for a, b in itertools.pairwise(bins)), default=0.0)


def _longest(span: float, th: Thresholds) -> float:
    """The slowest warm-up (time constant, hours) a leak over ``span`` seconds must rule out."""
    return max(th.horizon * span, th.warm_up) / HOUR


def _recent_longest(
    bins: Sequence[Bin], half: int, width: float, th: Thresholds, longest: float
) -> float:
    """The slowest warm-up (hours) a leak in the recent half must rule out.

    When the older half did not grow (a robust slope below the threshold), or the growth
    sped up for sure, the recent half's growth is its own (no warm-up that began earlier
    makes growth speed up), and its own span sets it. Otherwise a warm-up that began with
    the series may still be under it: a warm-up slows by e^(T/2τ) from one half of a span T
    to the other, so growth that slowed by a factor r between the halves bounds τ by
    T / (2 ln r) (times ``FILLS``), taken at the ends of the slopes' intervals that make it
    longest, and never beyond the whole series' ``longest``.
    """
    x = [(b.index + 0.5) * width / HOUR for b in bins]
    y = [b.low for b in bins]
    own = _longest(bins[-1].end - bins[half].start, th)
    older = theil_sen(x[:half], y[:half])
    if older is not None and older.slope < max(th.min_rate, th.min_relative * median(y[:half])):
        return own  # the older half was flat
    recent = theil_sen(x[half:], y[half:])
    threshold = max(th.min_rate, th.min_relative * median(y))
    if older is None or recent is None or recent.high <= threshold:
        return longest
    if recent.low > older.high:
        return own  # sped up for sure
    ratio = (older.low - threshold) / (recent.high - threshold)
    if ratio <= 1:
        return longest  # slowed, but not for sure: any warm-up may be under it
    return min(longest, FILLS * (x[-1] - x[0]) / (2 * math.log(ratio)))


FILLS = 2.0
"""How much slower than an exponential warm-up a fill may level off. A cache filling as
t^α (α 0.3 to 0.7) slows between the halves of a span as an exponential with a time
constant 2.3 to 3 times shorter would, but bends less in its recent half, so the warm-ups
left in play must reach past that. It trades against a leak left under a warm-up: at 1.5,
the real lru-cache trace (a cache filling slower and slower for 33 minutes) is called a
leak at 24 minutes, and a leak of 20 MiB/h under a warm-up of 0.6 h is called at 2.9 h; at
2, that leak is not called within 6 hours."""


def _judge_window(
    bins: Sequence[Bin],
    width: float,
    origin: float,
    th: Thresholds,
    limits: Sequence[Limit],
    longest: float,
    falls: float,
) -> Verdict:
    _size, _rate = wording.formatters(th.unit)
    span = bins[-1].end - bins[0].start
    if span < th.min_span or len(bins) < 6:
        return Verdict(
            "insufficient",
            f"{fmt.span(span)} of samples; a verdict needs {fmt.span(th.min_span)}",
        )
    sawtooth = median(b.high - b.low for b in bins)
    end = bins[-1].end
    bins, width, shift = floors.estimate(bins, width)
    origin += shift
    # Hours since the series began: the verdict must not depend on the clock's origin.
    x = [(b.index + 0.5) * width / HOUR for b in bins]
    y = [b.low for b in bins]
    fit = theil_sen(x, y)
    if fit is None:
        return INSUFFICIENT
    now = (end - origin) / HOUR  # the level at the last sample, not mid-way through a floor
    level = fit.intercept + fit.slope * now
    threshold = max(th.min_rate, th.min_relative * max(level, 0.0))
    if fit.slope > threshold:
        smooth = floors.without_period(x, y)
        if smooth is not None and (refit := theil_sen(x, smooth)) is not None:
            y, fit = smooth, refit
            level = fit.intercept + fit.slope * now
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
            f"stepped up {_size(jump)} once at {fmt.clock(origin + at * HOUR)} "
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
    rise = fit.slope * span / HOUR
    # Growth too small to matter yet: less than an hour at the threshold (a rate per hour)
    # has added (a new worker's first minutes settle by a few hundred KiB).
    if fit.slope <= threshold or fit.low <= 0 or rise < threshold:
        return Verdict(
            "stable",
            f"floor flat at {_size(level)} (sawtooth {_size(sawtooth)}) over {fmt.span(span)}",
            **common,
        )
    # Growing. A warm-up that would add more than the process's size is not one to wait
    # for: growth that big matters whatever its shape.
    longest = min(longest, level / fit.slope)
    ramp = span < th.sawtooth and rise < th.sawtooth_share * level and falls >= rise / 2
    said = shapes.goes_on(x, y, fit, threshold, longest) if fit.low > threshold else shapes.NONE
    eta = evidence.eta(level, level + sawtooth, fit, limits)
    # Urgent, leak or not: the limit comes before any warm-up the floors allow levels off.
    urgent = "eta" in eta and eta["eta"] / HOUR <= said.fastest
    if said.sure > 1 and not ramp:
        since = bins[0].start
        return Verdict(
            "leak",
            f"floor rose {_size(rise)} in {fmt.span(span)} "
            f"({_rate(fit.slope)}){cause}, steady since {fmt.clock(since)}",
            since=since,
            urgent=urgent,
            **common,
            **eta,
        )
    # Slowing down for sure: the recent slope's interval lies wholly below the older one's,
    # each half long enough to be judged on its own (so that a start in steps, threads
    # starting one by one, is not read as a warm-up before the recent half can say more).
    if half >= 6 and older is not None and recent is not None and recent.high < older.low:
        return Verdict(
            "warming",
            f"growth slowing: {_rate(recent.slope)} now, {_rate(older.slope)} earlier",
            urgent=urgent,
            **common,
            **eta,
        )
    return Verdict(
        "suspect",
        f"floor rising {_rate(fit.slope)} ({_rate(fit.low)} to {_rate(fit.high)}) over "
        f"{fmt.span(span)}{cause}; not yet sure it goes on",
        urgent=urgent,
        **common,
        **eta,
    )
