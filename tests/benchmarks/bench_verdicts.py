"""Leak verdicts against the usual alert rule: a tuning set, a held-out set, real traces.

    python tests/benchmarks/bench_verdicts.py [--seed 1] [--heldout 1001] [--traces DIR]
    python tests/benchmarks/bench_verdicts.py --seeds 1-9        many draws of the tuning set
    python tests/benchmarks/bench_verdicts.py --heldout-seeds 1002-1004  many of the held-out

Three sets, kept apart:
- the tuning set, drawn by ``synthetic`` below, sampled every 10 s: not leaks (flat, GC
  sawtooth, one big spike, a step up that stays, warm-ups that level off, a cache filling
  to its bound, heavy noise, gaps) and leaks (linear, starting late, on top of a warm-up,
  in stair steps, in irregular increments, under heavy noise), 0.5 to 50 MiB/h on 50 MiB
  to 1 GiB, over 6 to 72 h. The engine's thresholds were chosen on it;
- the held-out set, drawn by ``heldout.py``, a generator written apart with shapes this
  one lacks, never tuned on;
- real traces: ``traces/real/`` (13 scenarios from real Celery 5.7 workers, 1 s sampling,
  recorded by record_traces.py, labelled in ``scenarios.json``) and the first recording in
  ``traces/*.csv`` (5 s sampling).

The baseline is the rule most people alert on today, the shape of Prometheus
``deriv``/``predict_linear`` alerts: the least-squares slope over the trailing hour above
max(2 MiB/h, 0.5 %/h of the level), held for 30 minutes.

Scores: false alarms (a non-leak series called a leak at any moment), recall (a leak series
called a leak after its onset), and detection delay (onset to first call). The tables are
Markdown, to paste into docs/verdicts.md as printed.
"""

from __future__ import annotations

import argparse
import bisect
import functools
import json
import math
import os
import random
import statistics
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import heldout

from leaktui.core import csvfile
from leaktui.core.assessment import Assessment
from leaktui.core.model import Row
from leaktui.core.verdict import LeakTracker, Thresholds

MIB = 1 << 20
HOUR = 3600.0
EVERY = 10.0
HERE = Path(__file__).resolve().parent


@dataclass
class Trace:
    name: str
    leak: bool
    onset: float  # seconds after the start when the leak begins (0 for non-leaks)
    rate: float  # MiB/h, 0 for non-leaks
    noisy: bool
    points: list[tuple[float, float]]
    shape: Callable[[float], float] | None = None
    """The level without sawtooth or noise, in bytes, against hours (synthetic traces)."""
    noise: float = 0.0
    """The standard deviation of the noise added to each sample, in bytes."""
    base: float = 0.0
    """The level before any growth, in bytes; the sawtooth's height is a share of it."""


# -- the generator ----------------------------------------------------------------------------


def render(
    shape: Callable[[float], float],
    hours: float,
    base: float,
    rng: random.Random,
    noise: float,
    gaps: bool = False,
) -> list[tuple[float, float]]:
    period = rng.uniform(120, 600)
    saw_height = base * rng.uniform(0.01, 0.05)
    points = []
    t = 0.0
    while t < hours * HOUR:
        if gaps and rng.random() < 0.0005:  # now and then, 5 to 40 minutes missing
            t += rng.uniform(300, 2400)
            continue
        saw = (t % period) / period * saw_height
        points.append((1.8e9 + t, max(1.0, shape(t / HOUR) + saw + rng.gauss(0, noise))))
        t += EVERY
    return points


def synthetic(seed: int) -> list[Trace]:
    rng = random.Random(seed)
    traces = []
    bases = [50 * MIB, 200 * MIB, 1024 * MIB]
    for horizon in (6, 24, 72):
        for base in bases:
            for copy in range(2):
                quiet = base * 0.003 + 0.3 * MIB
                loud = base * 0.03
                a, tau, at = (
                    rng.uniform(0.1, 0.5) * base,
                    rng.uniform(0.3, 3),
                    rng.uniform(0.1, 0.8) * horizon,
                )
                shapes = {
                    "flat": (lambda h, b=base: b, quiet, False),
                    "spike": (
                        lambda h, b=base, s=at: b + (b * 2 if s < h < s + 0.08 else 0),
                        quiet,
                        False,
                    ),
                    "step": (lambda h, b=base, s=at, a=a: b + (a if h > s else 0), quiet, False),
                    "warm-up": (
                        lambda h, b=base, a=a, tau=tau: b + a * (1 - math.exp(-h / tau)),
                        quiet,
                        False,
                    ),
                    "cache-fill": (
                        lambda h, b=base, a=a, tau=tau: b + a * min(1, math.sqrt(h / (3 * tau))),
                        quiet,
                        False,
                    ),
                    "noisy-flat": (lambda h, b=base: b, loud, False),
                    "gaps": (lambda h, b=base: b, quiet, True),
                }
                detail = {
                    "spike": f" at {at:.1f} h",
                    "step": f" +{a / base:.0%} at {at:.1f} h",
                    "warm-up": f" +{a / base:.0%} τ {tau:.1f} h",
                    "cache-fill": f" +{a / base:.0%} full at {3 * tau:.1f} h",
                }
                for name, (shape, noise, gaps) in shapes.items():
                    traces.append(
                        Trace(
                            f"{name} {base // MIB}MiB {horizon}h #{copy}{detail.get(name, '')}",
                            False,
                            0.0,
                            0.0,
                            noise == loud,
                            render(shape, horizon, base, rng, noise, gaps),
                            shape,
                            noise,
                            base,
                        )
                    )
    for rate in (0.5, 1, 2, 5, 10, 20, 50):
        horizon = 72 if rate <= 1 else 24 if rate <= 5 else 6
        for base in bases:
            quiet = base * 0.003 + 0.3 * MIB
            loud = base * 0.03
            onset = rng.uniform(0.1, 0.4) * horizon
            a, tau = rng.uniform(0.1, 0.3) * base, rng.uniform(0.3, 2)
            r = rate * MIB
            shapes = {
                "linear": (lambda h, b=base, r=r: b + r * h, quiet, 0.0),
                "late": (lambda h, b=base, r=r, o=onset: b + r * max(0.0, h - o), quiet, onset),
                "warm+leak": (
                    lambda h, b=base, r=r, a=a, tau=tau: b + a * (1 - math.exp(-h / tau)) + r * h,
                    quiet,
                    0.0,
                ),
                "stairs": (lambda h, b=base, r=r: b + r * math.floor(h * 4) / 4, quiet, 0.0),
                "noisy": (lambda h, b=base, r=r: b + r * h, loud, 0.0),
            }
            for name, (shape, noise, start) in shapes.items():
                traces.append(
                    Trace(
                        f"{name} {rate}MiB/h on {base // MIB}MiB",
                        True,
                        start * HOUR,
                        rate,
                        noise == loud,
                        render(shape, horizon, base, rng, noise),
                        shape,
                        noise,
                        base,
                    )
                )
    # Added later, from a generator of their own: the traces above stay as they were.
    rng = random.Random(-seed)
    for rate in (0.5, 1, 2, 5, 10, 20, 50):
        horizon = 72 if rate <= 1 else 24 if rate <= 5 else 6
        for base in bases:
            quiet = base * 0.003 + 0.3 * MIB
            kept = _kept(rng, rate * MIB, horizon)
            traces.append(
                Trace(
                    f"irregular {rate}MiB/h on {base // MIB}MiB",
                    True,
                    0.0,
                    rate,
                    False,
                    render(lambda h, b=base, k=kept: b + k(h), horizon, base, rng, quiet),
                    lambda h, b=base, k=kept: b + k(h),
                    quiet,
                    base,
                )
            )
    return traces


def _kept(rng: random.Random, r: float, hours: float) -> Callable[[float], float]:
    """What a task that leaks now and then has kept by hour h: it runs at random (a few
    times a minute to once in 20 minutes) and keeps a log-normal amount each time, r per
    hour on average."""
    gap = rng.uniform(20, 1200) / HOUR
    times, kept = [], []
    h, total = 0.0, 0.0
    while h < hours:
        h += rng.expovariate(1 / gap)
        total += r * gap * rng.lognormvariate(-0.5, 1.0)  # mean 1
        times.append(h)
        kept.append(total)

    def at(h: float) -> float:
        done = bisect.bisect_right(times, h)
        return kept[done - 1] if done else 0.0

    return at


def real(folder: Path) -> list[Trace]:
    """One trace per pool child in each recorded CSV; the file name says leak or not."""
    traces = []
    for path in sorted(folder.glob("*.csv")):
        for pid, points in _by_pid(csvfile.read_csv(path), "child").items():
            traces.append(
                Trace(
                    f"real {path.stem} (pid {pid})",
                    path.stem.startswith("leak"),
                    0.0,
                    0.0,
                    False,
                    points,
                )
            )
    return traces


# -- the two methods ------------------------------------------------------------------------


def leaktui_first_leak(
    points: list[tuple[float, float]], thresholds: Thresholds | None = None
) -> float | None:
    """Seconds from the first sample to leaktui's first 'leak' verdict, or None."""
    tracker = LeakTracker(thresholds or Thresholds())
    start = points[0][0]
    for t, value in points:
        if tracker.add(t, value).kind == "leak":
            return t - start
    return None


def baseline_first_leak(
    points: list[tuple[float, float]], window_hours: float = 1.0, hold_hours: float = 0.5
) -> float | None:
    """The usual rule: the LSQ slope over a trailing window (1 h) above max(2 MiB/h, 0.5 %/h
    of the level), held for a while (30 min).

    A longer window or hold is what an operator would try first to silence its false alarms.
    """
    window: deque[tuple[float, float]] = deque()
    sx = sy = sxx = sxy = 0.0
    start = points[0][0]
    above_since = None
    for t, value in points:
        x = (t - start) / HOUR
        window.append((x, value))
        sx, sy, sxx, sxy = sx + x, sy + value, sxx + x * x, sxy + x * value
        while window and window[0][0] < x - window_hours:
            ox, oy = window.popleft()
            sx, sy, sxx, sxy = sx - ox, sy - oy, sxx - ox * ox, sxy - ox * oy
        n = len(window)
        if n < 10 or x - window[0][0] < 0.9 * window_hours:  # needs most of the window
            above_since = None
            continue
        denominator = n * sxx - sx * sx
        slope = (n * sxy - sx * sy) / denominator if denominator else 0.0
        level = sy / n
        if slope > max(2 * MIB, 0.005 * level):
            above_since = t if above_since is None else above_since
            if t - above_since >= hold_hours * HOUR:
                return t - start
        else:
            above_since = None
    return None


# -- scoring ----------------------------------------------------------------------------------


def delay(call: float | None, trace: Trace) -> float | None:
    """Seconds from the leak's onset to a method's call; None when it was never called, or
    called before its onset (the growth it saw then was not the leak)."""
    return None if call is None or call < trace.onset else call - trace.onset


def score(traces: list[Trace], method: Callable) -> dict:
    calls = {trace.name: method(trace.points) for trace in traces}
    non_leaks = [t for t in traces if not t.leak]
    leaks = [t for t in traces if t.leak]
    false_alarms = [t.name for t in non_leaks if calls[t.name] is not None]

    def delays(selection: list[Trace]) -> list[float]:
        return [d for t in selection if (d := delay(calls[t.name], t)) is not None]

    def recall(selection: list[Trace]) -> float:
        return len(delays(selection)) / len(selection) if selection else float("nan")

    big = [t for t in leaks if t.rate >= 2]
    found = {t.name for t in big if delay(calls[t.name], t) is not None}
    return {
        "missed": [t.name for t in big if t.name not in found],
        "false_alarms": false_alarms,
        "false_rate": len(false_alarms) / len(non_leaks) if non_leaks else float("nan"),
        "recall_2": recall(big),
        "recall_by_rate": {
            r: recall([t for t in leaks if t.rate == r]) for r in sorted({t.rate for t in leaks})
        },
        "delay": statistics.median(delays(big)) if delays(big) else None,
        "delay_noisy": statistics.median(delays([t for t in big if t.noisy]))
        if delays([t for t in big if t.noisy])
        else None,
        "calls": calls,
    }


@dataclass(frozen=True)
class Outcome:
    """One leak of 2 MiB/h or more: its kind and each method's delay (seconds, None if missed)."""

    name: str
    kind: str
    noisy: bool
    ours: float | None
    theirs: float | None


@dataclass
class SeedFigures:
    """One seed's outcome, in lists that pool across seeds."""

    seed: int
    non_leaks: int
    false_alarms: list[str]
    baseline_false_alarms: int
    leaks: list[Outcome]


def seed_figures(seed: int, held: bool = False) -> SeedFigures:
    """Score both methods on one seed's traces, of the tuning set or (``held``) the held-out
    one, without the trade-off tables."""
    traces = held_out(seed) if held else synthetic(seed)
    ours, theirs = score(traces, leaktui_first_leak), score(traces, baseline_first_leak)
    return SeedFigures(
        seed,
        sum(not t.leak for t in traces),
        ours["false_alarms"],
        len(theirs["false_alarms"]),
        outcomes(traces, ours["calls"], theirs["calls"]),
    )


def outcomes(
    traces: list[Trace], ours: dict[str, float | None], theirs: dict[str, float | None]
) -> list[Outcome]:
    """One Outcome per leak of 2 MiB/h or more, from each method's calls."""
    return [
        Outcome(
            t.name, t.name.split()[0], t.noisy, delay(ours[t.name], t), delay(theirs[t.name], t)
        )
        for t in traces
        if t.leak and t.rate >= 2
    ]


def _seeds(text: str) -> list[int]:
    """'1-9' or '1,4,7' (or both, '1-3,7') as a list of seeds."""
    seeds: list[int] = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        try:
            seeds.extend(range(int(first), int(last or first) + 1))
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a seed or a range of seeds: {part!r}") from None
    if not seeds:
        raise argparse.ArgumentTypeError(f"no seeds in {text!r}")
    return seeds


def many_seeds(seeds: list[int], jobs: int, held: bool = False) -> None:
    """One line per seed, then all seeds pooled: the false alarms summed, the medians of
    every delay together."""
    contiguous = seeds == list(range(seeds[0], seeds[-1] + 1))
    named = f"{seeds[0]} to {seeds[-1]}" if contiguous else ", ".join(map(str, seeds))
    print(
        f"{'Held-out' if held else 'Tuning'} traces of seeds {named} ({len(seeds)} draws), "
        f"{jobs} at a time; leaktui's figures, then the baseline's:\n"
    )
    print(
        "| seed | false alarms | recall ≥ 2 MiB/h | median delay | on the leaks both call "
        "| noisy | baseline: false alarms, recall, median |\n|---|---|---|---|---|---|---|"
    )

    def row(name: str, figures: list[SeedFigures]) -> str:
        non = sum(f.non_leaks for f in figures)
        leaks = [o for f in figures for o in f.leaks]
        fa = sum(len(f.false_alarms) for f in figures)
        ours = _delays(leaks, "ours")
        return (
            f"| {name} | {fa}/{non} | {len(ours) / len(leaks):.0%} | {_median(ours)} "
            f"| {_both(leaks)} | {_median([o.ours for o in leaks if o.noisy])} | "
            f"{sum(f.baseline_false_alarms for f in figures)}/{non}, {_found(leaks, 'theirs')} |"
        )

    results: list[SeedFigures] = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for figures in pool.map(functools.partial(seed_figures, held=held), seeds):
            results.append(figures)
            print(row(str(figures.seed), [figures]), flush=True)
    print(row(f"all {len(seeds)}", results))
    by_kind([o for f in results for o in f.leaks], ", all seeds pooled")
    for figures in results:
        for name in figures.false_alarms:
            print(f"- seed {figures.seed}, false alarm: {name}")
        for leak in figures.leaks:
            if leak.ours is None:
                print(f"- seed {figures.seed}, missed: {leak.name}")


def by_kind(leaks: list[Outcome], which: str = "") -> None:
    """The leaks by kind: where each method is quicker, and why.

    A median over the leaks one method finds hides which leaks those are; on the leaks both
    call, the two compare like with like.
    """
    print(f"\nBy kind of leak{which} (2 MiB/h or more; recall, then the median delay):\n")
    print("| kind | leaks | leaktui | baseline | on the leaks both call |\n|---|---|---|---|---|")
    for kind in dict.fromkeys(o.kind for o in leaks):
        mine = [o for o in leaks if o.kind == kind]
        print(
            f"| {kind} | {len(mine)} | {_found(mine, 'ours')} | {_found(mine, 'theirs')} "
            f"| {_both(mine)} |"
        )


def _delays(leaks: list[Outcome], method: str) -> list[float]:
    """The delays of the leaks a method ('ours', 'theirs') calls."""
    return [d for o in leaks if (d := getattr(o, method)) is not None]


def _found(leaks: list[Outcome], method: str) -> str:
    """'96%, 108 min': the share of these leaks a method calls, and its median delay."""
    delays = _delays(leaks, method)
    return f"{len(delays) / len(leaks):.0%}, {_median(delays)}" if leaks else "-"


def _both(leaks: list[Outcome]) -> str:
    """'94 min vs 84 min (568)': both medians on the leaks both methods call."""
    both = _called_by_both(leaks)
    return f"{_median([o.ours for o in both])} vs {_median([o.theirs for o in both])} ({len(both)})"


def _called_by_both(leaks: list[Outcome]) -> list[Outcome]:
    """The leaks both methods call. Each method's own median is taken over the leaks it
    finds, and the baseline misses the slow ones that take longest to call: on the same
    leaks, the two medians compare like with like."""
    return [o for o in leaks if o.ours is not None and o.theirs is not None]


def _median(delays: list[float | None]) -> str:
    present = [d for d in delays if d is not None]
    return _h(statistics.median(present)) if present else "-"


def _listing(what: str, ours: list[str], theirs: list[str]) -> None:
    """Name the traces each method got wrong (the baseline's, up to 12)."""
    if ours or theirs:
        print(f"\n{what}, leaktui:", ", ".join(ours) or "none")
        print(
            f"{what}, baseline:", ", ".join(theirs[:12]) or "none", "…" if len(theirs) > 12 else ""
        )


def _h(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds / 60:.0f} min"


def _tradeoff(traces: list[Trace], non: int) -> None:
    """How far a leak must look straight: fewer false alarms against later calls."""
    print(
        "\nThe trade-off (horizon: how far ahead, in times the span watched, a leak must look "
        "straight; warm-ups that would level off sooner are ruled out first):\n"
    )
    print("| horizon | false alarms | recall ≥ 2 MiB/h | median delay | noisy |")
    print("|---|---|---|---|---|")
    for horizon in (2.0, 3.0, 4.0):
        th = Thresholds(horizon=horizon)
        result = score(traces, lambda points, th=th: leaktui_first_leak(points, th))
        mark = " (default)" if th == Thresholds() else ""
        print(
            f"| {horizon:g}{mark} | {len(result['false_alarms'])}/{non} "
            f"| {result['recall_2']:.0%} | {_h(result['delay'])} | {_h(result['delay_noisy'])} |",
            flush=True,
        )


def _baseline_tradeoff(traces: list[Trace], non: int) -> None:
    """The baseline over longer windows and held for longer: can it be made quiet?"""
    print(
        "\nThe baseline over a longer window, or held for longer (the first row is the "
        "baseline above):\n"
    )
    print(
        "| window | held for | false alarms | recall ≥ 2 MiB/h | median delay | noisy |\n"
        "|---|---|---|---|---|---|"
    )
    for window, hold in ((1, 0.5), (1, 1), (1, 2), (1, 4), (2, 2), (4, 1), (4, 4)):
        result = score(traces, lambda points, w=window, h=hold: baseline_first_leak(points, w, h))
        print(
            f"| {window:g} h | {hold * 60:.0f} min | {len(result['false_alarms'])}/{non} "
            f"| {result['recall_2']:.0%} | {_h(result['delay'])} | {_h(result['delay_noisy'])} |",
            flush=True,
        )


def held_out(seed: int) -> list[Trace]:
    """The held-out generator's traces, as Traces (its noise is never 'heavy')."""
    return [Trace(d.name, d.leak, d.onset, d.rate, False, d.points) for d in heldout.draw(seed)]


def compare(traces: list[Trace], what: str) -> None:
    """One set's table: leaktui against the baseline, and what each got wrong."""
    samples = sum(len(t.points) for t in traces)
    began = time.process_time()
    ours = score(traces, leaktui_first_leak)
    cost = (time.process_time() - began) / samples * 1e6
    theirs = score(traces, baseline_first_leak)
    non = sum(not t.leak for t in traces)
    print(
        f"\n{what}: {len(traces)} traces ({non} not leaks, {len(traces) - non} leaks), "
        f"{samples} samples\n"
    )
    print("| | leaktui | baseline (LSQ 1 h, held 30 min) |\n|---|---|---|")
    print(
        f"| false alarms (non-leaks ever called a leak) | {len(ours['false_alarms'])}/{non} "
        f"| {len(theirs['false_alarms'])}/{non} |"
    )
    print(
        f"| recall, leaks of 2 MiB/h or more | {ours['recall_2']:.0%} | {theirs['recall_2']:.0%} |"
    )
    for rate in ours["recall_by_rate"]:
        print(
            f"| recall at {rate:g} MiB/h | {ours['recall_by_rate'][rate]:.0%} | "
            f"{theirs['recall_by_rate'][rate]:.0%} |"
        )
    print(f"| median detection delay, ≥ 2 MiB/h | {_h(ours['delay'])} | {_h(theirs['delay'])} |")
    leaks = outcomes(traces, ours["calls"], theirs["calls"])
    both = _called_by_both(leaks)
    print(
        f"| median delay on the {len(both)} leaks both call "
        f"| {_median([o.ours for o in both])} | {_median([o.theirs for o in both])} |"
    )
    if any(t.noisy for t in traces):
        print(
            f"| median detection delay, noisy series | {_h(ours['delay_noisy'])} | "
            f"{_h(theirs['delay_noisy'])} |"
        )
    print(f"\nleaktui's cost: {cost:.1f} µs of CPU per sample, amortised")
    by_kind(leaks)
    _listing("leaks of 2 MiB/h or more missed", ours["missed"], theirs["missed"])
    _listing("false alarms", ours["false_alarms"], theirs["false_alarms"])


def recorded(folder: Path) -> None:
    """The real traces of ``folder/real`` against the targets: a leak of 20 %/h of its level
    or more is called within 15 minutes of its onset; a non-leak never."""
    manifest_path = folder / "real" / "scenarios.json"
    if not manifest_path.exists():
        return
    manifest = json.loads(manifest_path.read_text())
    where = os.path.relpath(folder / "real")
    print(
        f"\nReal traces ({where}), sampled every second; the verdict is read on the series named:\n"
    )
    print(
        "| scenario | series | leak? | growth after onset | leaktui: first leak after onset "
        "| target | baseline |\n|---|---|---|---|---|---|---|"
    )
    for label, scenario in manifest.items():
        rows = list(csvfile.read_csv(folder / "real" / f"{label}.csv"))
        for series, points in _series(rows, scenario["subject"]):
            onset = scenario["onset"]
            if series == "worker sum":  # the children's own growth, which recycling hides
                growth = statistics.median(
                    _relative_growth(child, onset) for _, child in _series(rows, "child")
                )
                first_ours = _worker_first_leak(rows)
            else:
                growth = _relative_growth(points, onset)
                first_ours = leaktui_first_leak(points)
            ours = delay(first_ours, _onset_trace(onset))
            theirs = baseline_first_leak(points)
            if not scenario["leak"]:
                met = "met" if first_ours is None else "**false alarm**"
            elif growth < 0.2:
                met = "(below 20 %/h)"
            else:
                met = "met" if ours is not None and ours <= 15 * 60 else "**not met**"
            print(
                f"| {label} | {series} | {'yes' if scenario['leak'] else 'no'} "
                f"| {growth:+.0%}/h | {_h(ours) if scenario['leak'] else _h(first_ours)} "
                f"| {met} | {_h(theirs)} |"
            )


def _worker_first_leak(rows: list[Row]) -> float | None:
    """Seconds to the first 'leak' of the worker's own verdict, as the monitor makes it:
    its sum, or its recycled children laid end to end."""
    start = rows[0].sample.time
    for change in Assessment().feed(rows):
        if change.pid is None and change.memory.kind == "leak":
            return change.time - start
    return None


def _onset_trace(onset: float) -> Trace:
    return Trace("", True, onset, 0.0, False, [])


def _series(rows: list[Row], subject: str) -> list[tuple[str, list[tuple[float, float]]]]:
    """The series a scenario is judged on: each child, the main process, or the worker's
    sum at each tick (children recycled under new pids)."""
    if subject == "worker":
        sums: dict[float, float] = {}
        for row in rows:
            sums[row.sample.time] = sums.get(row.sample.time, 0.0) + row.sample.rss
        return [("worker sum", sorted(sums.items()))]  # growth: the sum's; verdict: the worker's
    return [
        (f"{subject} {pid}", points)
        for pid, points in _by_pid(rows, subject).items()
        if len(points) > 60
    ]


def _by_pid(rows: Iterable[Row], role: str) -> dict[int, list[tuple[float, float]]]:
    """(time, RSS) per pid, of the processes in ``role``."""
    by_pid: dict[int, list[tuple[float, float]]] = {}
    for row in rows:
        if row.role == role:
            by_pid.setdefault(row.sample.pid, []).append((row.sample.time, row.sample.rss))
    return by_pid


def _relative_growth(points: list[tuple[float, float]], onset: float) -> float:
    """The floor's growth per hour after ``onset``, as a share of the level at onset: the
    least-squares slope of per-minute minima."""
    start = points[0][0] + onset
    minima: dict[int, float] = {}
    for t, value in points:
        if t >= start:
            k = int((t - start) // 60)
            minima[k] = min(minima.get(k, value), value)
    if len(minima) < 3:
        return 0.0
    xs = [k / 60 for k in minima]
    ys = list(minima.values())
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )
    return slope / ys[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1, help="the tuning set's draw")
    parser.add_argument("--heldout", type=int, default=1001, help="the held-out set's draw")
    parser.add_argument("--traces", type=Path, default=HERE / "traces")
    parser.add_argument(
        "--no-tradeoff", action="store_true", help="skip the tables of other thresholds (2 min)"
    )
    parser.add_argument(
        "--seeds",
        type=_seeds,
        metavar="RANGE",
        help="score these seeds of the tuning set ('1-9', '1,4,7'), one line each and pooled",
    )
    parser.add_argument(
        "--heldout-seeds",
        type=_seeds,
        metavar="RANGE",
        help="the same for the held-out set ('1002-1004')",
    )
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="seeds scored at once (--seeds)"
    )
    parser.add_argument(
        "--only",
        choices=("tuning", "heldout", "real"),
        help="score one set only",
    )
    args = parser.parse_args()
    if args.seeds or args.heldout_seeds:
        many_seeds(args.seeds or args.heldout_seeds, max(1, args.jobs), not args.seeds)
        return
    if args.only in (None, "tuning"):
        traces = synthetic(args.seed)
        compare(traces, f"Tuning set, seed {args.seed}, sampled every {EVERY:g} s")
        if not args.no_tradeoff:
            non = sum(not t.leak for t in traces)
            _tradeoff(traces, non)
            _baseline_tradeoff(traces, non)
    if args.only in (None, "heldout"):
        compare(
            held_out(args.heldout), f"Held-out set, seed {args.heldout}, sampled every 1 or 10 s"
        )
    if args.only in (None, "real"):
        recorded(args.traces)
        first = real(args.traces)
        if first:
            where = os.path.relpath(args.traces)
            print(f"\nThe first recording ({len(first)} traces in {where}, every 5 s):\n")
            print("| trace | leak? | leaktui calls it a leak after | baseline after |")
            print("|---|---|---|---|")
            for trace in first:
                print(
                    f"| {trace.name} | {'yes' if trace.leak else 'no'} | "
                    f"{_h(leaktui_first_leak(trace.points))} | "
                    f"{_h(baseline_first_leak(trace.points))} |"
                )


if __name__ == "__main__":
    main()
