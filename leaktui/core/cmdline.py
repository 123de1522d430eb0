"""Recognise a Celery worker from its argv or its setproctitle title.

Celery 5 command lines put global options before the sub-command
(``celery -A proj worker -c 2``), the program may be ``celery``, ``python -m celery`` or
``python …/bin/celery``, and with setproctitle installed the argv is replaced by a title
such as ``[celeryd: w1@host:MainProcess] -active- (-A proj worker -c 2)``. That is why
``ps aux | grep 'celery worker'`` finds none of them; this module finds all of them.

Pure functions over strings: no /proc, no psutil, so every shape is unit-tested.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, replace
from functools import lru_cache

from leaktui.core.model import WorkerCommand

# Celery's umbrella options that take a value (celery/bin/celery.py). An option we do not
# know is assumed to be a flag; a stray value it leaves behind is skipped below.
_GLOBAL_VALUED = {
    "-A",
    "--app",
    "-b",
    "--broker",
    "--result-backend",
    "--loader",
    "--config",
    "--workdir",
}
# Sub-commands other than `worker`: seeing one of these first means "not a worker".
_OTHER_COMMANDS = {
    "beat",
    "events",
    "inspect",
    "control",
    "status",
    "call",
    "result",
    "migrate",
    "purge",
    "multi",
    "shell",
    "list",
    "upgrade",
    "report",
    "graph",
    "amqp",
    "logtool",
    "flower",
}
# Worker options that take a value (celery/bin/worker.py), so their values are not
# mistaken for the sub-command. Short ones may also be glued: -c2, -Pthreads.
_WORKER_VALUED = {
    "-n",
    "--hostname",
    "-S",
    "--statedb",
    "-l",
    "--loglevel",
    "-O",
    "--optimization",
    "--prefetch-multiplier",
    "-c",
    "--concurrency",
    "-P",
    "--pool",
    "--time-limit",
    "--soft-time-limit",
    "--max-tasks-per-child",
    "--pool-start-method",
    "--max-memory-per-child",
    "-Q",
    "--queues",
    "-X",
    "--exclude-queues",
    "-I",
    "--include",
    "--heartbeat-interval",
    "--autoscale",
    "-s",
    "--schedule-filename",
    "--schedule",
    "--scheduler",
    "-f",
    "--logfile",
    "--pidfile",
    "--uid",
    "--gid",
    "--umask",
    "--executable",
}
_VALUED = _GLOBAL_VALUED | _WORKER_VALUED

_TITLE = re.compile(r"^\[celeryd: (?P<node>[^\]]*?):(?P<proc>[A-Za-z]+(?:-\d+)?)\](?P<rest>.*)$")
_TITLE_ARGS = re.compile(r"\((?P<args>.*)\)\s*$")
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):[^@\s]*@", re.I)


@dataclass(frozen=True, slots=True)
class Title:
    """A setproctitle title that Celery gave a worker process."""

    node: str
    """Already expanded by the worker (``w1@linode-1``)."""
    process: str
    """``MainProcess``, ``ForkPoolWorker-3``, …"""
    command: WorkerCommand | None
    """Parsed from the argv echoed in the main process's title; ``None`` for children."""

    @property
    def is_main(self) -> bool:
        return self.process == "MainProcess"


def parse_title(text: str, hostname: str | None = None) -> Title | None:
    """Parse ``[celeryd: NODE:PROC] info (argv…)``; ``None`` if it is not such a title."""
    match = _TITLE.match(text)
    if match is None:
        return None
    node, process, rest = match["node"], match["proc"], match["rest"]
    command = None
    if process == "MainProcess":
        args_match = _TITLE_ARGS.search(rest)
        argv = _split(args_match["args"]) if args_match else []
        parsed = _parse_worker_args(argv, hostname) if argv else None
        # The title's node is the expanded one; argv may carry the raw `-n w1@%h`.
        command = replace(parsed, node=node) if parsed else WorkerCommand(node=node)
    return Title(node=node, process=process, command=command)


def parse_argv(
    argv: list[str] | tuple[str, ...], hostname: str | None = None
) -> WorkerCommand | None:
    """The worker a command line starts, or ``None`` if it does not start a Celery worker."""
    rest = _strip_program(argv)
    if rest is None:
        return None
    return _parse_worker_args(rest, hostname)


def split_cmdline(raw: bytes) -> list[str]:
    """Split the bytes of /proc/PID/cmdline into argv.

    setproctitle leaves the title followed by NUL padding; trailing empties are dropped.
    """
    parts = raw.decode("utf-8", "replace").split("\0")
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def redact(text: str) -> str:
    """Mask passwords in URLs (``redis://:secret@host`` -> ``redis://:***@host``).

    Broker URLs on command lines carry credentials; leaktui stores and shows command lines,
    so it masks them first.
    """
    return _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)


@lru_cache(maxsize=256)
def expand_node(value: str | None, hostname: str | None = None) -> str:
    """The node name Celery derives from ``-n`` (``None`` when absent), e.g. ``w1@%h``.

    Uses Celery's own functions so that ``%h``, ``%n``, ``%d`` and a bare name (``-n w1``
    means ``celery@w1``) come out exactly as the worker itself has them.
    """
    from celery.utils.nodenames import NODENAME_DEFAULT, gethostname, host_format, nodesplit

    # celery.utils.nodenames.default_nodename, but with the host we are given.
    name, host = nodesplit(value or "")
    node = f"{name or NODENAME_DEFAULT}@{host or hostname or gethostname()}"
    return host_format(node, host=hostname)


# -- internals -------------------------------------------------------------------------------


def _split(text: str) -> list[str]:
    """Split a title's echoed argv; Celery joined it with spaces, so quotes may be unbalanced."""
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _is_python(arg0: str) -> bool:
    return re.fullmatch(r"python[0-9.]*[a-z]?", os.path.basename(arg0)) is not None


def _strip_program(argv: list[str] | tuple[str, ...]) -> list[str] | None:
    """Drop the program part of a celery invocation; ``None`` if it is not one.

    Accepts ``celery …``, ``/venv/bin/celery …``, ``python -m celery …``,
    ``python /venv/bin/celery …`` and ``python …/celery/__main__.py …`` (how a script
    shebang, supervisord or systemd may start it), with interpreter flags before ``-m``.
    """
    if not argv:
        return None
    if os.path.basename(argv[0]) == "celery":
        return list(argv[1:])
    if not _is_python(argv[0]):
        return None
    i = 1
    while i < len(argv):
        arg = argv[i]
        if arg == "-m":
            return list(argv[i + 2 :]) if i + 1 < len(argv) and argv[i + 1] == "celery" else None
        if arg.startswith("-m"):  # -mcelery
            return list(argv[i + 1 :]) if arg == "-mcelery" else None
        if arg == "-c":  # python -c '…' runs a string, not celery
            return None
        if arg in ("-W", "-X"):  # interpreter options with a value
            i += 2
            continue
        if arg.startswith("-"):
            i += 1
            continue
        # The first non-option argument is the script.
        name = os.path.basename(arg)
        is_celery = name == "celery" or arg.endswith(("celery/__main__.py", "celery/bin/celery.py"))
        return list(argv[i + 1 :]) if is_celery else None
    return None


def _option(arg: str) -> tuple[str, str | None]:
    """Split ``--opt=value`` and glued short options (``-c2``) into name and value."""
    if arg.startswith("--"):
        name, eq, value = arg.partition("=")
        return name, (value if eq else None)
    if len(arg) > 2 and arg[:2] in _VALUED:
        return arg[:2], arg[2:].lstrip("=")
    return arg, None


def _parse_worker_args(args: list[str], hostname: str | None) -> WorkerCommand | None:
    """Find the ``worker`` sub-command among the arguments after the program and read it."""
    values: dict[str, list[str]] = {}
    seen_worker = False
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            break
        if arg.startswith("-") and arg != "-":
            name, value = _option(arg)
            if name in _VALUED and value is None:
                value = args[i + 1] if i + 1 < len(args) else None
                i += 1
            if value is not None:
                values.setdefault(name, []).append(value)
            i += 1
            continue
        if not seen_worker:
            if arg == "worker":
                seen_worker = True
            elif arg in _OTHER_COMMANDS:
                return None
            # Anything else is the value of an option we do not know: skip it.
        i += 1
    if not seen_worker:
        return None

    def last(*names: str) -> str | None:
        found = [v for n in names for v in values.get(n, ())]
        return found[-1] if found else None

    concurrency = _int(last("-c", "--concurrency"))
    autoscale = last("--autoscale")
    if autoscale:
        top = _int(autoscale.split(",")[0])
        concurrency = top if top is not None else concurrency
    max_memory_kib = _int(last("--max-memory-per-child"))
    includes = tuple(
        m for n in ("-I", "--include") for v in values.get(n, ()) for m in v.split(",") if m
    )
    return WorkerCommand(
        node=expand_node(last("-n", "--hostname"), hostname),
        app=last("-A", "--app"),
        pool=last("-P", "--pool"),
        concurrency=concurrency,
        max_tasks_per_child=_int(last("--max-tasks-per-child")),
        max_memory_per_child=max_memory_kib * 1024 if max_memory_kib is not None else None,
        includes=includes,
    )


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text.strip())
    except ValueError:
        return None
