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
    min_relative: float = 0.0
    """…nor growth below this share of the level per hour. Off by default: a floor that keeps
    rising is a leak whatever the size of the process (the time to its limit says how
    urgent), and the verdict then does not depend on the level."""
    min_span: float = 10 * 60
    """Seconds of samples before any verdict but ``insufficient``."""
    leak_span: float = 45 * 60
    """Seconds over which growth must be seen before it is called ``leak``."""
    bin_seconds: float = 60.0
    """Initial width of a floor bin; it doubles as the series grows."""
    max_bins: int = 64
    """Bins kept; the fit costs O(max_bins²) each time a bin closes."""
    straight_for: float = 1.0
    """A leak's slope must survive the curvature the floors still allow, carried forward
    this many times the time since the growth began. A warm-up looks straight at first; one
    that bends within that horizon stays ``suspect`` or ``warming``, never ``leak``."""
    keep_slope: float = 0.6
    """…and at that horizon keep at least this share of its slope now: a curve that would
    have lost more than 40 % of its growth by then is levelling off, however fast it still
    grows. (At 0.5, a warm-up with a time constant of 2.5 h passes at 48 minutes old.)"""
    confirm: int = 3
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


INSUFFICIENT = Verdict("insufficient", "no samples yet")
