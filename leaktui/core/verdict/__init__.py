"""The leak verdict engine: does this process leak, how fast, and when does it hit its limit?

Real memory is noisy: GC and allocator sawtooth, a spike from one big task, a step up that
stays (the allocator's high-water mark), warm-up curves that level off. So the engine looks
at the post-GC floor, not at RSS itself, and waits for evidence, not for the clock:

1. Samples fall into time bins; each bin keeps its minimum (the floor a leak raises), its
   maximum (for the sawtooth height) and its mean. When there are too many bins,
   neighbours merge and the width doubles, so the state stays bounded however long the
   series. Each fit takes the floor estimate with the least noise: bin minima, or minima
   over blocks of bins that span a slow sawtooth, or means under plain noise. When the
   floors rise, a regular sawtooth that stands out of them is taken out: the stairs of a
   periodic task that leaks each run, or a GC sawtooth slower than the blocks.
2. A robust slope (Theil-Sen) through the floors, with Sen's 95% interval widened for the
   autocorrelation of the residuals. Least squares, what Prometheus' ``deriv`` uses, is
   pulled by spikes; the median of pairwise slopes is not. Growth is a slope above
   ``min_rate`` (and ``min_relative`` of the level) whose interval excludes 0; one step up
   between two flat stretches, or growth that has levelled off, is ``stable``.
3. Growth is a ``leak`` when it goes on: a likelihood ratio of a line against every
   warm-up that would level off soon (``shapes.goes_on``). The warm-ups in play are those
   with a time constant up to ``horizon`` times the span watched (at least ``warm_up``),
   and none that would add more than the process's size. A fast warm-up bends where a line
   does not and is ruled out at once; a slow one only as the span grows; so a straight
   leak that doubles a process in minutes is called in minutes, and a slow one in hours.
   Growth that speeds up is not a line either. Within ``sawtooth`` seconds, growth of less
   than ``sawtooth_share`` of the level may yet be the ramp of a slow sawtooth.
4. The recent half, and its recent half, are judged on their own too: a leak that began
   late, or is left once a warm-up is over, is a line there. When the older half grew
   too, a warm-up that began with the series is still in play, as slow as the halves'
   slopes allow.
5. Growth whose limit comes before any warm-up the floors allow could level off is
   ``urgent``, whatever its verdict.
6. A verdict changes only when the new one has held for ``confirm`` refits in a row, and a
   ``leak`` is undone only by evidence that it stopped (``stable``).

``LeakTracker`` is fed one sample at a time and refits only when a bin closes; ``assess``
replays a whole series through a tracker, so the two always agree.

The modules, in the order a sample meets them: ``tracker`` (bins and step 6), ``bins``,
``judging`` (one refit: steps 2, 4 and 5, and the calls to the rest), ``floors`` (step 1),
``stats`` (the fits), ``shapes`` (the step up of 2, the test of 3), ``evidence`` (limits,
tasks), ``wording`` (the reason), and ``terms`` (Thresholds, Limit, Verdict).
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
