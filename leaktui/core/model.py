"""The immutable values that flow from the sampler to every consumer.

Everything here is a frozen dataclass: a Snapshot is built once per tick in the sampler
thread and then read, never changed, by the journal, the verdict engine and the UI.
Sizes are bytes, times are seconds since the epoch, counts are plain integers; ``None``
always means "unknown" (not readable, not measured this tick), never zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # assessment builds on this module; the annotation only names it
    from leaktui.core.assessment import Assessed

Role = Literal["main", "child"]


def _empty() -> Mapping:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class WorkerCommand:
    """What a worker's command line (or its setproctitle title) says about it."""

    node: str
    """The node name as Celery expands it, e.g. ``w1@linode-1``."""
    app: str | None = None
    pool: str | None = None
    """``-P`` as given; ``None`` when the command line leaves it to the app's config."""
    concurrency: int | None = None
    """``-c``, or the maximum of ``--autoscale``."""
    max_tasks_per_child: int | None = None
    max_memory_per_child: int | None = None
    """In bytes; Celery takes the option in KiB and checks it against peak RSS after a task."""
    includes: tuple[str, ...] = ()
    """Modules given with ``-I``/``--include`` (the agent is loaded this way)."""


@dataclass(frozen=True, slots=True)
class RLimit:
    """One resource limit; ``None`` is unlimited."""

    soft: int | None
    hard: int | None


UNLIMITED = RLimit(None, None)


@dataclass(frozen=True, slots=True)
class ProcessLimits:
    """The limits a process runs under, read from /proc/PID/limits and its cgroup."""

    address_space: RLimit = UNLIMITED
    """RLIMIT_AS, what ``ulimit -v`` sets."""
    data: RLimit = UNLIMITED
    rss: RLimit = UNLIMITED
    """RLIMIT_RSS: recorded for completeness; Linux ignores it."""
    nofile: RLimit = UNLIMITED
    """RLIMIT_NOFILE, what ``ulimit -n`` sets."""
    oom_score: int | None = None
    cgroup: str | None = None
    """The process's memory cgroup, as a path below the cgroup mount."""
    cgroup_limit: int | None = None
    """The tightest memory limit on the cgroup or any ancestor; ``None`` if unlimited."""


@dataclass(frozen=True, slots=True)
class ProcessInfo:
    """A process that belongs to a worker: who it is, not how much it uses."""

    pid: int
    role: Role
    worker: str
    """The worker's name (its ``Worker.name``)."""
    started: float
    """Start time; with the pid it identifies the process even when the pid is reused."""
    user: str | None = None
    readable: bool = True
    """False when leaktui may read only part of /proc/PID (another user's process)."""
    limits: ProcessLimits | None = None


@dataclass(frozen=True, slots=True)
class Worker:
    """A Celery worker: its main process and its pool children."""

    name: str
    """Unique on this host: the node name, or ``node/PID`` when two workers share a node name."""
    node: str
    command: WorkerCommand
    main_pid: int
    children: tuple[int, ...] = ()
    agent: bool = False
    cmdline: str = ""
    """The main process's command line, with passwords in URLs masked."""

    @property
    def pids(self) -> tuple[int, ...]:
        return (self.main_pid, *self.children)

    @property
    def pool(self) -> str:
        """The pool as Celery would pick it: ``-P``, else prefork (the default)."""
        return self.command.pool or "prefork"

    @property
    def concurrency(self) -> int | None:
        """``-c``; for a prefork worker without ``-c`` the children actually running."""
        if self.command.concurrency is not None:
            return self.command.concurrency
        if self.pool == "prefork" and self.children:
            return len(self.children)
        return None


@dataclass(frozen=True, slots=True)
class Sample:
    """One process's metrics at one tick."""

    pid: int
    time: float
    rss: int
    vms: int | None = None
    uss: int | None = None
    """Read only every Nth tick (it costs ten times the rest); ``None`` in between."""
    swap: int | None = None
    num_fds: int | None = None
    num_threads: int | None = None
    cpu_percent: float | None = None
    """Since the previous tick, in percent of one core; ``None`` on a process's first tick."""
    tasks: int | None = None
    """Tasks this process has finished, when the agent tells; ``None`` otherwise."""


@dataclass(frozen=True, slots=True)
class Row:
    """One row of a recording (CSV or journal): a sample and what it belonged to."""

    sample: Sample
    worker: str | None = None
    role: Role | None = None
    host: str | None = None


@dataclass(frozen=True, slots=True)
class Pressure:
    """Linux PSI for memory: the share of time tasks stalled waiting for memory."""

    some_avg10: float
    some_avg60: float
    full_avg10: float
    full_avg60: float


@dataclass(frozen=True, slots=True)
class SystemFacts:
    """The machine's memory at one tick."""

    time: float
    mem_total: int
    mem_available: int
    swap_total: int
    swap_used: int
    swap_in_per_s: float | None = None
    """Bytes swapped in per second since the previous reading; ``None`` on the first."""
    swap_out_per_s: float | None = None
    pressure: Pressure | None = None
    """``None`` where the kernel has no /proc/pressure/memory."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything known at one tick; built in the sampler thread, read-only afterwards."""

    tick: int
    time: float
    host: str
    workers: tuple[Worker, ...]
    processes: Mapping[int, ProcessInfo] = field(default_factory=_empty)
    samples: Mapping[int, Sample] = field(default_factory=_empty)
    system: SystemFacts | None = None
    errors: tuple[str, ...] = ()
    """Problems this tick that did not stop it, in words a user can act on."""
    verdicts: Mapping[tuple[str | None, int | None], Assessed] = field(default_factory=_empty)
    """The verdict of each process, and of each worker's sum (pid None), at this tick."""
    changes: tuple[Assessed, ...] = ()
    """The verdicts that changed this tick, for the journal."""
    unreadable: int = 0
    """Processes /proc would not show in this tick's scan (hidepid): why no worker may be
    found."""
