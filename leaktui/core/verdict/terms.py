"""What the verdict engine takes (thresholds, limits) and what it gives (a verdict).

Plain frozen dataclasses, so that a verdict can cross threads inside a Snapshot, and the
journal, the CLI and the UI can share them without knowing how they were made.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["insufficient", "warming", "stable", "suspect", "leak"]
MIB = 1 << 20
HOUR = 3600.0


@dataclass(frozen=True, slots=True)
class Thresholds:
    """What counts as growth, and how much evidence a verdict needs. All are settable."""

    min_rate: float = 1 * MIB
    """Growth below this many bytes per hour is never a leak (``--min-rate``)."""
    min_relative: float = 0.001
    """…nor growth below this share of the level per hour (0.1 %/h: 1 MiB/h on 1 GiB).
    A floor that creeps up by a few parts in a thousand an hour is a warm-up's tail or a
    slow wobble more often than a leak, and at that pace it takes weeks to matter."""
    min_span: float = 3 * 60
    """Seconds of samples before any verdict but ``insufficient``: a worker's first
    minutes (imports, connections, first caches) are a warm-up of their own."""
    horizon: float = 3.0
    """How far ahead a leak must look straight, in times the span watched: a warm-up that
    would level off sooner (its time constant up to ``horizon`` spans) must be ruled out by
    the floors before growth is called ``leak``. A fast warm-up is ruled out at once, a slow
    one only with time: the wait depends on how clear the growth is, not on the clock."""
    warm_up: float = 3600.0
    """…and so must any warm-up with a time constant up to this many seconds, however short
    the span: a worker's caches and pools often take tens of minutes to fill. A warm-up
    that would add more than the process's size is not one to rule out: growth that big
    matters whatever its shape. (One that would run past a limit makes the growth
    ``urgent``.)"""
    sawtooth: float = 12 * 60
    """Growth watched for less than this many seconds may be the ramp of a slow GC or
    allocator sawtooth that has yet to fall back: it is called ``leak`` that soon only when
    it has grown the process by more than ``sawtooth_share`` of its level, or, in a series
    watched for longer, when the series has never fallen back by half as much."""
    sawtooth_share: float = 0.25
    bin_seconds: float = 30.0
    """Initial width of a floor bin; it doubles as the series grows."""
    max_bins: int = 64
    """Bins kept; the fits cost O(max_bins²) each time a bin closes."""
    confirm: int = 2
    """Refits a new verdict must hold before it replaces the current one."""
    unit: str = "bytes"
    """What the series counts, for the reasons: ``bytes``, or a count such as ``fds``."""


@dataclass(frozen=True, slots=True)
class Limit:
    """A ceiling the process will hit: bytes, and what it is."""

    bytes: int
    kind: str
    """``cgroup``, ``rlimit-as``, ``rlimit-data``, ``max-memory-per-child``, ``ram+swap``."""
    peak: bool = False
    """Compared with peak RSS (Celery's --max-memory-per-child checks after each task)."""
    headroom: bool = False
    """``bytes`` is the room left whatever the level: the host's free RAM plus free swap.
    Verdicts report it as a ceiling (level plus room)."""


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: Kind
    reason: str
    rate: float | None = None
    """Growth of the floor, bytes per hour."""
    rate_ci: tuple[float, float] | None = None
    level: float | None = None
    """The fitted floor now, in bytes (not the last sample)."""
    bytes_per_task: float | None = None
    follows: Literal["tasks", "time"] | None = None
    """Whether the floor grows only while tasks run, or while idle too; None when the task
    counts are unknown or never pause long enough to tell."""
    limit: Limit | None = None
    eta: float | None = None
    """Seconds until the nearest limit at this rate."""
    eta_ci: tuple[float, float] | None = None
    since: float | None = None
    """When the growth measured began (seconds since the epoch)."""
    urgent: bool = False
    """Growing into its limit: at this rate the limit comes before any warm-up the floors
    still allow could level off, so it is reached whatever the growth turns out to be."""


INSUFFICIENT = Verdict("insufficient", "no samples yet")
