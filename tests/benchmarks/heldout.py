"""The held-out traces: a second generator, written apart from the tuning one, never tuned on.

bench_verdicts.py tunes on its own generator (``synthetic``). Figures tuned on one generator
hold there by construction, so the verdicts are also scored here, on shapes that generator
lacks and drawn another way: memory sampled at 1 s or 10 s, noise from the allocator as a
share of the level, and the workloads of a Celery worker (bursts of tasks, big transient
allocations, pools that start their threads as work arrives).

Not leaks: a daily load wobble whose floor climbs at up to 1 MiB/h for hours, the slow tail
of a warm-up watched from its middle, a GC sawtooth, bursty load with big transient
allocations and high-water steps that stay, and a threads or gevent pool that starts its
threads and then holds.
Leaks: straight, starting late, under a sawtooth (sawtooth with drift), under bursty load,
in irregular increments (a task that leaks, run at random), and a threads or gevent pool
leaking after its start; 2 to 50 MiB/h on 60 MiB to 1.5 GiB.

    python tests/benchmarks/heldout.py [--seed 1001]     prints what it draws

Scored by ``bench_verdicts.py --heldout``. Change this file only to add shapes, never to make
a figure come out: a held-out set that is tuned against is a second tuning set.
"""

from __future__ import annotations

import argparse
import bisect
import math
import random
from dataclasses import dataclass

MIB = 1 << 20
HOUR = 3600.0
START = 1.9e9


@dataclass(frozen=True)
class Drawn:
    name: str
    leak: bool
    onset: float
    """Seconds after the first sample when the leak begins (0 for non-leaks)."""
    rate: float
    """MiB/h, 0 for non-leaks."""
    points: list[tuple[float, float]]


def _sample(rng: random.Random, level: float, hours: float, every: float, floor, extra=None):
    """Samples of ``floor(t)`` (t in seconds) with allocator noise, plus ``extra(t)``."""
    sigma = level * rng.uniform(0.0005, 0.006)
    points = []
    t = 0.0
    while t < hours * HOUR:
        value = floor(t) + abs(rng.gauss(0, sigma)) + (extra(t) if extra else 0.0)
        points.append((START + t, value))
        t += every
    return points


def _sawtooth(rng: random.Random, level: float):
    period = rng.uniform(60, 600)
    height = level * rng.uniform(0.03, 0.15)
    jitter = rng.uniform(0, 0.3)
    phases: dict[int, float] = {}

    def saw(t: float) -> float:
        k = int(t // period)
        stretch = phases.setdefault(k, 1 + jitter * (rng.random() - 0.5))
        return height * min(1.0, (t % period) / period * stretch)

    return saw


def _bursts(rng: random.Random, level: float, hours: float):
    """Big transient allocations (a task that loads a file): up at once, gone when done."""
    spikes = []
    t = 0.0
    while t < hours * HOUR:
        t += rng.expovariate(1 / rng.uniform(120, 1800))
        spikes.append((t, t + rng.uniform(5, 60), level * rng.uniform(0.2, 1.0)))

    starts = [start for start, _, _ in spikes]

    def extra(t: float) -> float:  # a spike lasts at most 60 s
        first = bisect.bisect_right(starts, t - 60)
        last = bisect.bisect_right(starts, t)
        return sum(size for start, end, size in spikes[first:last] if t < end)

    return extra


def _threads_start(rng: random.Random, level: float):
    """A threads or gevent pool starting its workers as tasks arrive: a few steps at once."""
    steps = sorted(rng.uniform(1, 120) for _ in range(rng.randint(2, 8)))
    size = level * rng.uniform(0.01, 0.04)
    return lambda t: size * sum(1 for at in steps if t >= at)


def draw(seed: int) -> list[Drawn]:
    rng = random.Random(seed)
    out: list[Drawn] = []

    def level() -> float:
        return rng.choice((60, 90, 150, 300, 600, 1024, 1536)) * MIB

    def every() -> float:
        return rng.choice((1.0, 10.0))

    for copy in range(6):
        # -- not leaks ------------------------------------------------------------------
        base = level()
        amplitude = rng.uniform(1.0, 1.0 * 24 / (2 * math.pi)) * MIB  # climbs ≤ 1 MiB/h
        phase = rng.uniform(0, 2 * math.pi)
        out.append(
            _flat(
                rng,
                f"daily wobble ±{amplitude / MIB:.1f} MiB on {base / MIB:.0f} MiB #{copy}",
                base,
                36,
                10.0,
                lambda t, b=base, a=amplitude, p=phase: (
                    b + a * math.sin(2 * math.pi * t / 86400 + p)
                ),
            )
        )
        base = level()
        rest, tau = rng.uniform(2, 30) * MIB, rng.uniform(1, 4)
        out.append(
            _flat(
                rng,
                f"warm-up tail {rest / tau / MIB:.1f} MiB/h slowing (τ {tau:.1f} h) "
                f"on {base / MIB:.0f} MiB #{copy}",
                base,
                12,
                every(),
                lambda t, b=base, r=rest, tau=tau: b + r * (1 - math.exp(-t / HOUR / tau)),
            )
        )
        base = level()
        saw = _sawtooth(rng, base)
        out.append(
            _flat(
                rng,
                f"GC sawtooth on {base / MIB:.0f} MiB #{copy}",
                base,
                4,
                1.0,
                lambda t, b=base, s=saw: b + s(t),
            )
        )
        base = level()
        hours = rng.uniform(4, 12)
        bursts = _bursts(rng, base, hours)
        steps = [
            (rng.uniform(0, hours * HOUR), base * rng.uniform(0.05, 0.2))
            for _ in range(rng.randint(1, 2))
        ]
        out.append(
            _flat(
                rng,
                f"bursty load with high-water steps on {base / MIB:.0f} MiB #{copy}",
                base,
                hours,
                every(),
                lambda t, b=base, st=steps: b + sum(s for at, s in st if t >= at),
                bursts,
            )
        )
        base = level()
        start = _threads_start(rng, base)
        pool = rng.choice(("threads", "gevent"))
        out.append(
            _flat(
                rng,
                f"{pool} pool, flat after its start, on {base / MIB:.0f} MiB #{copy}",
                base,
                3,
                1.0,
                lambda t, b=base, s=start: b + s(t),
            )
        )

        # -- leaks ------------------------------------------------------------------------
        for rate in (2.0, 5.0, 10.0, 20.0, 50.0):
            r = rate * MIB / HOUR  # bytes per second
            hours = 16 if rate < 5 else 8 if rate < 20 else 4
            base = level()
            out.append(
                _leak(
                    rng,
                    f"straight {rate:g} MiB/h on {base / MIB:.0f} MiB #{copy}",
                    rate,
                    0.0,
                    base,
                    hours,
                    every(),
                    lambda t, b=base, r=r: b + r * t,
                )
            )
            base = level()
            onset = rng.uniform(0.2, 0.5) * hours * HOUR
            out.append(
                _leak(
                    rng,
                    f"late {rate:g} MiB/h on {base / MIB:.0f} MiB #{copy}",
                    rate,
                    onset,
                    base,
                    hours,
                    every(),
                    lambda t, b=base, r=r, o=onset: b + r * max(0.0, t - o),
                )
            )
            base = level()
            saw = _sawtooth(rng, base)
            out.append(
                _leak(
                    rng,
                    f"sawtooth with drift {rate:g} MiB/h on {base / MIB:.0f} MiB #{copy}",
                    rate,
                    0.0,
                    base,
                    hours,
                    1.0,
                    lambda t, b=base, r=r, s=saw: b + r * t + s(t),
                )
            )
            base = level()
            bursts = _bursts(rng, base, hours)
            out.append(
                _leak(
                    rng,
                    f"bursty load, {rate:g} MiB/h on {base / MIB:.0f} MiB #{copy}",
                    rate,
                    0.0,
                    base,
                    hours,
                    every(),
                    lambda t, b=base, r=r: b + r * t,
                    bursts,
                )
            )
            base = level()
            kept = _increments(rng, r, hours)
            out.append(
                _leak(
                    rng,
                    f"irregular increments {rate:g} MiB/h on {base / MIB:.0f} MiB #{copy}",
                    rate,
                    0.0,
                    base,
                    hours,
                    every(),
                    lambda t, b=base, k=kept: b + k(t),
                )
            )
            base = level()
            start = _threads_start(rng, base)
            pool = rng.choice(("threads", "gevent"))
            out.append(
                _leak(
                    rng,
                    f"{pool} pool leaking {rate:g} MiB/h on {base / MIB:.0f} MiB #{copy}",
                    rate,
                    0.0,
                    base,
                    hours,
                    1.0,
                    lambda t, b=base, r=r, s=start: b + s(t) + r * t,
                )
            )
    return out


def _increments(rng: random.Random, rate: float, hours: float):
    """A leak in irregular steps: a task that keeps a few KiB to MiB each time it runs."""
    times, sizes = [], []
    t, total = 0.0, 0.0
    mean_gap = rng.uniform(10, 600)
    while t < hours * HOUR:
        t += rng.expovariate(1 / mean_gap)
        total += rate * mean_gap * rng.expovariate(1.0)
        times.append(t)
        sizes.append(total)

    def kept(now: float) -> float:
        done = bisect.bisect_right(times, now)
        return sizes[done - 1] if done else 0.0

    return kept


def _flat(rng, name, base, hours, every, floor, extra=None) -> Drawn:
    return Drawn(name, False, 0.0, 0.0, _sample(rng, base, hours, every, floor, extra))


def _leak(rng, name, rate, onset, base, hours, every, floor, extra=None) -> Drawn:
    return Drawn(name, True, onset, rate, _sample(rng, base, hours, every, floor, extra))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1001)
    args = parser.parse_args()
    for d in draw(args.seed):
        span = (d.points[-1][0] - d.points[0][0]) / HOUR
        print(f"{'leak' if d.leak else '    '} {d.name}: {len(d.points)} samples over {span:.1f} h")


if __name__ == "__main__":
    main()
