"""How early could any rule call bench_verdicts' leaks a leak, and never its warm-ups?

    python tests/benchmarks/bench_verdict_bound.py [--seed 1]

A lower bound on the detection delay, to weigh bench_verdicts' targets (no false alarm,
and a median delay no worse than the usual alert rule's) against each other.

The generator's warm-ups and cache fills (its non-leaks that grow) are the "twins": for
each leak, at each minute, the twin closest to the leak's noise-free level so far, over
every warm-up (time constant 0.3 to 3 h) and cache fill (full after 0.9 to 9 h) of 10 to
50 % of the process the generator can draw, each at whatever level fits best (verdicts
must not depend on the level), and the flat line. An ideal rule that knows the leak's
exact curve and the noise can tell the leak from that twin, from the samples so far,
with a signal-to-noise ratio of

    d = sqrt(sum over the samples of (leak - twin)²) / noise

(the Neyman-Pearson test between two known curves in white Gaussian noise). Holding its
false alarms on that twin to Φ(-z), it calls the leak half of the time once d ≥ z; before
then, it calls it less often than it calls the twin a leak.

Everything here favours the ideal rule, so the bound is low: it knows the leak's shape;
the sawtooth is left out (an ideal rule could subtract it); only one look is counted
(a live rule looks every refit and pays for each look in false alarms); spikes and steps
are left out of the twins; and the twins are searched on a grid, which can only miss a
closer one. One choice goes the other way: a noisy leak's twins carry its heavy noise
(the generator draws heavy noise only on flat series, but a warm-up under heavy noise is
as much a non-leak).
"""

from __future__ import annotations

import argparse
import math
import random
from collections.abc import Callable, Sequence

from bench_verdicts import (
    EVERY,
    HOUR,
    MIB,
    Trace,
    baseline_first_leak,
    delay,
    leaktui_first_leak,
    render,
    score,
    synthetic,
)

STEP = 60.0
"""Seconds between the points the bound is computed on (the samples are 10 s apart; each
point stands for STEP / EVERY of them)."""
TAUS = [0.3 * 10 ** (k / 39) for k in range(40)]  # 0.3 to 3 h, evenly on a log scale
Z = (1.645, 2.326, 3.090)  # false alarms on the twin: 5 %, 1 %, 0.1 %
RENDERS = 3


def _twins() -> list[Callable[[float], float]]:
    """The growing non-leaks' shapes, of amplitude 1, against hours."""
    warm = [lambda h, tau=tau: 1 - math.exp(-h / tau) for tau in TAUS]
    fill = [lambda h, tau=tau: min(1.0, math.sqrt(h / (3 * tau))) for tau in TAUS]
    return warm + fill


def distance(
    trace: Trace, twins: Sequence[Callable[[float], float]]
) -> list[tuple[float, int, float]]:
    """For each STEP of the trace, d against the closest twin over the samples so far,
    with that twin: its index in ``twins`` (-1 for the flat line) and its amplitude."""
    assert trace.shape is not None
    end = trace.points[-1][0] - trace.points[0][0]
    hours = [k * STEP / 3600 for k in range(int(end // STEP) + 1)]
    start = trace.shape(0.0)
    f = [(trace.shape(h) - start) / MIB for h in hours]
    low, high = 0.1 * trace.base / MIB, 0.5 * trace.base / MIB
    best = [(r, -1, 0.0) for r in _flat(f)]
    for index, twin in enumerate(twins):
        g = [twin(h) for h in hours]
        for k, (residual, a) in enumerate(_residuals(f, g, low, high)):
            if residual < best[k][0]:
                best[k] = (residual, index, a)
    scale = math.sqrt(STEP / EVERY) / (trace.noise / MIB)
    return [(math.sqrt(r) * scale, index, a * MIB) for r, index, a in best]


def _flat(f: Sequence[float]) -> list[float]:
    """The least squares about a level, over each prefix."""
    out, n, sf, sff = [], 0, 0.0, 0.0
    for v in f:
        n, sf, sff = n + 1, sf + v, sff + v * v
        out.append(max(0.0, sff - sf * sf / n))
    return out


def _residuals(
    f: Sequence[float], g: Sequence[float], low: float, high: float
) -> list[tuple[float, float]]:
    """The least squares of f about level + a·g, a within [low, high], over each prefix,
    and the a that gives it."""
    out = []
    sf = sg = sff = sgg = sfg = 0.0
    for n, (fv, gv) in enumerate(zip(f, g, strict=True), start=1):
        sf, sg = sf + fv, sg + gv
        sff, sgg, sfg = sff + fv * fv, sgg + gv * gv, sfg + fv * gv
        cff, cgg, cfg = sff - sf * sf / n, sgg - sg * sg / n, sfg - sf * sg / n
        a = min(max(cfg / cgg, low), high) if cgg > 1e-12 else low
        out.append((max(0.0, cff - 2 * a * cfg + a * a * cgg), a))
    return out


def earliest(trace: Trace, d: Sequence[tuple[float, int, float]], z: float) -> float | None:
    """Seconds from the leak's onset to the first point where d ≥ z, or None."""
    for k, (value, _twin, _a) in enumerate(d):
        if k * STEP >= trace.onset and value >= z:
            return k * STEP - trace.onset
    return None


def twin_at(
    trace: Trace,
    d: Sequence[tuple[float, int, float]],
    at: float,
    twins: Sequence[Callable[[float], float]],
    seed: int,
) -> Trace:
    """The non-leak closest to the leak over its first ``at`` seconds, rendered as the
    generator renders its non-leaks (sawtooth, noise), over the same hours."""
    _d, index, a = d[min(len(d) - 1, int(at // STEP))]
    base = trace.base

    def shape(h: float) -> float:
        return base + (a * twins[index](h) if index >= 0 else 0.0)

    hours = round((trace.points[-1][0] - trace.points[0][0] + EVERY) / HOUR)
    tau = TAUS[index % len(TAUS)]
    kind = (
        "flat"
        if index < 0
        else f"warm-up +{a / base:.0%} τ {tau:.1f} h"
        if index < len(TAUS)
        else f"cache fill +{a / base:.0%} full at {3 * tau:.1f} h"
    )
    return Trace(
        f"{kind}, twin of {trace.name} at {at / 60:.0f} min",
        False,
        0.0,
        0.0,
        trace.noisy,
        render(shape, hours, base, random.Random(seed), trace.noise),
        shape,
        trace.noise,
        base,
    )


def _median(delays: Sequence[float | None]) -> str:
    """The median, counting a leak never told apart as later than any (shown as "never")."""
    if not delays:
        return "-"
    ranked = sorted(delays, key=lambda s: math.inf if s is None else s)
    middle = ranked[(len(ranked) - 1) // 2 : len(ranked) // 2 + 1]
    if any(s is None for s in middle):
        return "never"
    return f"{sum(middle) / len(middle) / 60:.0f} min"


def _cell(delays: Sequence[float | None]) -> str:
    """The median delay, and in brackets the share called before its trace ends."""
    return f"{_median(delays)} ({sum(s is not None for s in delays) / len(delays):.0%})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    leaks = [t for t in synthetic(args.seed) if t.leak and t.rate >= 2]
    twins = _twins()
    d = {t.name: distance(t, twins) for t in leaks}
    calls = {
        "leaktui": score(leaks, leaktui_first_leak)["calls"],
        "baseline": score(leaks, baseline_first_leak)["calls"],
    }

    def delays(group: list[Trace], method: str | float) -> list[float | None]:
        """Onset to call, by a method, or by the ideal rule at z."""
        if isinstance(method, float):
            return [earliest(t, d[t.name], method) for t in group]
        return [delay(calls[method][t.name], t) for t in group]

    print(
        f"{len(leaks)} leaks of 2 MiB/h or more (seed {args.seed}); twins: {len(twins)} "
        "warm-ups and cache fills, and the flat line.\n\nMedian delay from onset to call, "
        "a leak never called counting as later than any; in brackets, the share called "
        "before its trace ends:\n"
    )
    methods: list[str | float] = [*Z, "leaktui", "baseline"]
    names = [f"ideal, {1 - _phi(z):.1%} on the twin" for z in Z] + ["leaktui", "baseline"]
    print("| leaks | " + " | ".join(names) + " |\n" + "|---" * (len(names) + 1) + "|")
    groups = {"all": leaks} | {
        shape: [t for t in leaks if t.name.startswith(shape + " ")]
        for shape in ("linear", "late", "warm+leak", "stairs", "noisy")
    }
    for name, group in groups.items():
        cells = [_cell(delays(group, m)) for m in methods]
        print(f"| {name} | " + " | ".join(cells) + " |")

    # The engine's own margin: the non-leaks closest to each leak when leaktui called it,
    # each rendered RENDERS times (another sawtooth, another noise).
    called = [t for t, s in zip(leaks, delays(leaks, "leaktui"), strict=True) if s is not None]
    near = [
        twin_at(t, d[t.name], calls["leaktui"][t.name], twins, args.seed * 1000 + RENDERS * i + k)
        for i, t in enumerate(called)
        for k in range(RENDERS)
    ]
    alarms = [t.name for t in near if leaktui_first_leak(t.points) is not None]
    print(
        f"\nThe non-leak closest to each of the {len(called)} leaks leaktui called, over the "
        f"samples up to its call, rendered {RENDERS} times with sawtooth and noise like the "
        f"generator's non-leaks: leaktui calls {len(alarms)} of these {len(near)} a leak, the "
        f"baseline {sum(baseline_first_leak(t.points) is not None for t in near)}."
    )
    for name in alarms:
        print(f"- {name}")


def _phi(z: float) -> float:
    """The standard normal distribution function."""
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


if __name__ == "__main__":
    main()
