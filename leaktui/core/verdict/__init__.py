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
   levels off (``rise·exp(-t/τ)``, τ profiled up to half the span) is fitted too.
   When the warm-up is significant, the line's rate is above the threshold over every τ
   the floors allow, and the line stays straight with the warm-up's share of the
   curvature carried in (for twice as long: it is the tail of a longer growth), it is a
   ``leak`` at the line's rate, not the warm-up's, unless a cache filling as the square
   root of time fits the floors as well: that shape, too, is a steep start and a gentle
   rest, and it stops.
7. A verdict changes only when the new one has held for ``confirm`` refits in a row, and a
   ``leak`` is undone only by evidence that it stopped (``stable``).

``LeakTracker`` is fed one sample at a time and refits only when a bin closes; ``assess``
replays a whole series through a tracker, so the two always agree.

The modules, in the order a sample meets them: ``tracker`` (bins and step 7), ``bins``,
``judging`` (one refit: steps 3 and 5, and the calls to the rest), ``floors`` (step 1),
``stats`` (the fits of step 2 and after), ``shapes`` (the one-off step of 3, the bend of 4,
the warm-up and the cache fill of 6), ``evidence`` (limits, tasks), ``wording`` (the
reason), and ``terms`` (Thresholds, Limit, Verdict).
"""

from leaktui.core.verdict.judging import judge
from leaktui.core.verdict.stats import Fit, theil_sen
from leaktui.core.verdict.terms import (
    HOUR,
    INSUFFICIENT,
    MIB,
    Kind,
    Limit,
    Thresholds,
    Verdict,
)
from leaktui.core.verdict.tracker import LeakTracker, assess

__all__ = [
    "HOUR",
    "INSUFFICIENT",
    "MIB",
    "Fit",
    "Kind",
    "LeakTracker",
    "Limit",
    "Thresholds",
    "Verdict",
    "assess",
    "judge",
    "theil_sen",
]
