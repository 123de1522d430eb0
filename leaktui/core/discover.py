"""Find the Celery workers on this host and group each main process with its pool children.

Cheap on a busy host: each scan diffs the pid list and parses the command line of new
pids only. A pid seen young is looked at again for a few seconds, because supervisord,
systemd and ``--detach`` fork first and exec celery a moment later; caching "not celery"
from that first look would miss the worker for good.

Grouping follows the parent chain: a worker process whose parent is also a worker process
is a child, the top one is the main. That works with setproctitle (children are titled
``[celeryd: w1@host:ForkPoolWorker-1]``) and without it (children carry the main's exact
command line).
"""

from __future__ import annotations

import os
import pwd
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache

import psutil

from leaktui.core import procfs
from leaktui.core.cmdline import Title, parse_argv, parse_title, redact, split_cmdline
from leaktui.core.model import ProcessInfo, Role, Worker, WorkerCommand

#: How long after it started a process that is not (yet) Celery keeps being looked at again.
RECHECK_SECONDS = 5.0


def boot_clock() -> float:
    """Seconds since boot: the clock of a process's start time in /proc/PID/stat."""
    return time.clock_gettime(time.CLOCK_BOOTTIME)


@dataclass(slots=True)
class _Seen:
    """What a scan learnt about one pid; kept until the pid goes away."""

    recheck_until: float = 0.0
    """Seconds since boot until which a pid that is not (yet) Celery is looked at again."""
    start_ticks: int = 0
    ppid: int = 0
    uid: int = -1
    title: Title | None = None
    command: WorkerCommand | None = None
    cmdline: str = ""
    denied: bool = False
    """/proc would not show its command line (hidepid): it may be a worker we cannot see."""

    @property
    def is_celery(self) -> bool:
        return self.title is not None or self.command is not None


@dataclass(frozen=True, slots=True)
class Discovery:
    """The workers found by one scan, with each of their processes."""

    workers: tuple[Worker, ...]
    processes: dict[int, ProcessInfo]
    unreadable: tuple[int, ...] = ()
    """Pids whose command line /proc would not show us (hidepid): they may be workers."""


@lru_cache(maxsize=128)
def _user_name(uid: int) -> str | None:
    if uid < 0:
        return None
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


class Discoverer:
    """Keeps what it has seen between scans, so each scan does only the new work."""

    def __init__(
        self,
        hostname: str | None = None,
        match: str | re.Pattern[str] | None = None,
        clock: Callable[[], float] = boot_clock,
    ) -> None:
        self.hostname = hostname or socket.gethostname()
        self._match = re.compile(match) if isinstance(match, str) else match
        self._clock = clock
        self._seen: dict[int, _Seen] = {}
        self._names: dict[int, str] = {}  # main pid -> worker name, stable while it lives
        self._infos: dict[int, ProcessInfo] = {}
        self._own_uid = os.geteuid()
        self._own_pid = os.getpid()

    def scan(self) -> Discovery:
        now = self._clock()
        pids = set(psutil.pids())
        pids.discard(self._own_pid)
        for pid in self._seen.keys() - pids:
            del self._seen[pid]
        for pid in pids:
            seen = self._seen.get(pid)
            if seen is None:
                seen = self._seen[pid] = _Seen()
            elif seen.is_celery or now > seen.recheck_until:
                continue  # settled: only a young process may still exec celery
            try:
                self._look(pid, seen)
            except procfs.ProcessGone:
                del self._seen[pid]
            except PermissionError:
                seen.denied = True
        return self._group(tuple(sorted(p for p, s in self._seen.items() if s.denied)))

    # -- one pid ---------------------------------------------------------------------------

    def _look(self, pid: int, seen: _Seen) -> None:
        stat = procfs.read_stat(pid)
        seen.start_ticks, seen.ppid = stat.start_ticks, stat.ppid
        # Judged by the process's own age, not by when leaktui first saw it: a process that
        # started long before leaktui is settled at the first look.
        seen.recheck_until = stat.start_ticks / procfs.CLK_TCK + RECHECK_SECONDS
        raw = procfs.read_cmdline(pid)
        if b"celery" not in raw:  # cheap filter: every worker argv or title says celery
            return
        argv = split_cmdline(raw)
        if not argv:
            return
        seen.title = parse_title(argv[0], self.hostname)
        if seen.title is not None:
            seen.command = seen.title.command
        else:
            seen.command = parse_argv(argv, self.hostname)
        if not seen.is_celery:
            return
        seen.cmdline = redact(" ".join(argv))
        if seen.command is not None and seen.command.app is None:
            app = procfs.read_environ_value(pid, "CELERY_APP")
            if app:
                seen.command = replace(seen.command, app=app)
        try:
            seen.uid = procfs.read_status(pid).uid
        except (procfs.ProcessGone, PermissionError):
            seen.uid = -1

    # -- grouping --------------------------------------------------------------------------

    def _main_of(self, pid: int) -> int:
        """Walk up while the parent is a Celery process too; the top one is the main."""
        hops = 0
        while True:
            parent = self._seen.get(self._seen[pid].ppid)
            if parent is None or not parent.is_celery or hops > 64:
                return pid
            pid, hops = self._seen[pid].ppid, hops + 1

    def _group(self, unreadable: tuple[int, ...]) -> Discovery:
        members: dict[int, list[int]] = {}
        for pid, seen in self._seen.items():
            if seen.is_celery:
                members.setdefault(self._main_of(pid), []).append(pid)

        workers = []
        live_names: set[str] = set()
        processes: dict[int, ProcessInfo] = {}
        # Oldest first, so the first worker with a node name keeps it plain.
        for main in sorted(members, key=lambda p: (self._seen[p].start_ticks, p)):
            seen = self._seen[main]
            title = seen.title
            if title is not None and not title.is_main:
                continue  # a pool child whose main we cannot see: not a worker of its own
            command = seen.command or WorkerCommand(node=title.node if title else "?")
            name = self._names.get(main)
            if name is None or name in live_names:
                name = command.node
                if name in live_names:
                    name = f"{command.node}/{main}"
            self._names[main] = name
            live_names.add(name)
            children = tuple(sorted(p for p in members[main] if p != main))
            worker = Worker(
                name=name,
                node=command.node,
                command=command,
                main_pid=main,
                children=children,
                cmdline=seen.cmdline,
            )
            if self._match is not None and not (
                self._match.search(name) or self._match.search(seen.cmdline)
            ):
                continue
            workers.append(worker)
            for pid in worker.pids:
                role: Role = "main" if pid == main else "child"
                processes[pid] = self._info(pid, role, name)

        for pid in self._names.keys() - members.keys():
            del self._names[pid]
        self._infos = processes
        return Discovery(tuple(workers), processes, unreadable)

    def _info(self, pid: int, role: Role, worker: str) -> ProcessInfo:
        previous = self._infos.get(pid)
        if previous is not None and previous.role == role and previous.worker == worker:
            return previous
        seen = self._seen[pid]
        return ProcessInfo(
            pid=pid,
            role=role,
            worker=worker,
            started=procfs.boot_time() + seen.start_ticks / procfs.CLK_TCK,
            user=_user_name(seen.uid),
            readable=self._own_uid == 0 or seen.uid == self._own_uid,
        )
