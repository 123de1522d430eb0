"""The ``leaktui`` command: parses arguments and calls the layers below. Thin on purpose."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path

from leaktui import __version__, fmt
from leaktui.core.errors import BadInput
from leaktui.core.journal import JournalError

EXIT_BAD_INPUT = 2


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0 seconds")
    return value


def _regex(text: str) -> str:
    try:
        re.compile(text)
    except re.error as exc:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a valid regular expression: {exc}"
        ) from None
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leaktui",
        description="Find memory leaks in long-running Celery workers on this host.",
        epilog="Run 'leaktui COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"leaktui {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    ps = commands.add_parser(
        "ps",
        help="list the Celery workers on this host and their processes, once",
        description="List every Celery worker on this host with its main process and pool "
        "children, their memory, and the limits they run under.",
    )
    ps.add_argument("--json", action="store_true", help="print JSON (see DESIGN.md)")
    ps.add_argument(
        "--match",
        type=_regex,
        metavar="REGEX",
        help="only workers whose node name or command line matches",
    )

    record = commands.add_parser(
        "record",
        help="sample headless into a CSV, until Ctrl-C or --duration",
        description="Sample every Celery worker process on this host without the UI. Every "
        "tick is journaled as it is taken; the CSV is written, complete, when "
        "recording stops (Ctrl-C, SIGTERM, a dropped SSH session or --duration).",
    )
    record.add_argument(
        "-o", "--output", required=True, metavar="FILE.csv", help="the CSV to write"
    )
    record.add_argument(
        "--interval",
        type=_positive,
        default=1.0,
        metavar="S",
        help="seconds between samples (default: 1)",
    )
    record.add_argument(
        "--duration",
        type=_positive,
        metavar="S",
        help="stop after this many seconds (default: until interrupted)",
    )
    record.add_argument(
        "--session",
        metavar="PATH",
        help="the session journal (default: a new file under $XDG_STATE_HOME/leaktui/sessions/)",
    )
    record.add_argument(
        "--match",
        type=_regex,
        metavar="REGEX",
        help="only workers whose node name or command line matches",
    )
    record.add_argument("--force", action="store_true", help="replace FILE.csv if it exists")

    export = commands.add_parser(
        "export",
        help="write a session journal out as CSV",
        description="Write a session journal (or a sample CSV) out as a sample CSV.",
    )
    export.add_argument("session", metavar="SESSION", help="a session journal or sample CSV")
    export.add_argument(
        "-o", "--output", required=True, metavar="FILE.csv", help="the CSV to write"
    )
    export.add_argument("--force", action="store_true", help="replace FILE.csv if it exists")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    handler = {"ps": cmd_ps, "record": cmd_record, "export": cmd_export}[args.command]
    try:
        return handler(args)
    except BadInput as exc:
        print(f"leaktui: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except JournalError as exc:
        print(f"leaktui: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


# -- ps --------------------------------------------------------------------------------------


def cmd_ps(args: argparse.Namespace) -> int:
    from leaktui.core.monitor import Monitor

    monitor = Monitor(match=args.match, uss_every=1)
    snapshot = monitor.tick()
    unreadable = monitor.last_unreadable
    if args.json:
        print(json.dumps(ps_json(snapshot), indent=2))
        return 0
    print(ps_text(snapshot))
    if not snapshot.workers:
        print(no_workers_help(snapshot.host, unreadable, args.match), file=sys.stderr)
    return 0


def ps_json(snapshot) -> dict:
    """The ``leaktui ps --json`` document (its shape is a contract: DESIGN.md)."""
    system = snapshot.system
    workers = []
    for w in snapshot.workers:
        processes = []
        for pid in w.pids:
            info, sample = snapshot.processes.get(pid), snapshot.samples.get(pid)
            processes.append(
                {
                    "pid": pid,
                    "role": info.role if info else ("main" if pid == w.main_pid else "child"),
                    "rss_bytes": sample.rss if sample else None,
                    "agent": w.agent,
                    "uss_bytes": sample.uss if sample else None,
                    "swap_bytes": sample.swap if sample else None,
                    "vms_bytes": sample.vms if sample else None,
                    "num_fds": sample.num_fds if sample else None,
                    "num_threads": sample.num_threads if sample else None,
                    "user": info.user if info else None,
                    "readable": info.readable if info else False,
                    "limits": asdict(info.limits) if info and info.limits else None,
                }
            )
        workers.append(
            {
                "worker": w.name,
                "node": w.node,
                "app": w.command.app,
                "pool": w.pool,
                "concurrency": w.concurrency,
                "max_tasks_per_child": w.command.max_tasks_per_child,
                "max_memory_per_child_bytes": w.command.max_memory_per_child,
                "cmdline": w.cmdline,
                "processes": processes,
            }
        )
    return {"host": snapshot.host, "workers": workers, "system": asdict(system) if system else None}


def _nofile(info, sample) -> str:
    limit = info.limits.nofile.soft if info and info.limits else None
    fds = fmt.count(sample.num_fds if sample else None)
    return f"{fds}/{fmt.limit(limit)}" if limit is not None else fds


def ps_text(snapshot) -> str:
    system = snapshot.system
    lines = []
    if system is not None:
        pressure = (
            f"{system.pressure.some_avg10:.1f}% some (10 s)" if system.pressure else "not available"
        )
        lines.append(
            f"{snapshot.host}: RAM {fmt.size(system.mem_available)} available of "
            f"{fmt.size(system.mem_total)} · swap {fmt.size(system.swap_used)} used of "
            f"{fmt.size(system.swap_total)} · memory pressure {pressure}"
        )
    if not snapshot.workers:
        lines.append("No Celery workers found.")
        return "\n".join(lines)
    rows = []
    for w in snapshot.workers:
        first = True
        for pid in w.pids:
            info, sample = snapshot.processes.get(pid), snapshot.samples.get(pid)
            access = "" if info is None or info.readable else " (no access)"
            cgroup = info.limits.cgroup_limit if info and info.limits else None
            rows.append(
                [
                    w.name if first else "",
                    (w.command.app or "-") if first else "",
                    w.pool if first else "",
                    fmt.count(w.concurrency) if first else "",
                    str(pid),
                    (info.role if info else "?") + access,
                    fmt.size(sample.rss if sample else None),
                    fmt.size(sample.uss if sample else None),
                    fmt.size(sample.swap if sample else None),
                    _nofile(info, sample),
                    fmt.size(cgroup) if cgroup else "-",
                ]
            )
            first = False
    lines.append("")
    lines.append(
        fmt.table(
            [
                "WORKER",
                "APP",
                "POOL",
                "CONC",
                "PID",
                "ROLE",
                "RSS",
                "USS",
                "SWAP",
                "FDS/NOFILE",
                "CGROUP LIMIT",
            ],
            rows,
        )
    )
    return "\n".join(lines)


def no_workers_help(host: str, unreadable: int, match: str | None) -> str:
    """Why no worker was found, and what to do about it."""
    lines = [f"leaktui found no Celery worker on {host}."]
    if match:
        lines.append(f"  - --match {match!r} may exclude them: try without it.")
    lines.append(
        "  - Is a worker running? leaktui finds processes started as "
        "'celery … worker' or 'python -m celery … worker', and titled '[celeryd: …]'."
    )
    if unreadable:
        lines.append(
            f"  - /proc hides {unreadable} processes from this user (hidepid): "
            "run leaktui as the workers' user, or with sudo."
        )
    else:
        lines.append(
            "  - Workers in another container or PID namespace are not visible "
            "from here: run leaktui inside it."
        )
    return "\n".join(lines)


# -- record ----------------------------------------------------------------------------------


def _refuse_overwrite(path: str, force: bool) -> None:
    if not force and os.path.exists(path):
        raise BadInput(f"{path}: the file exists; choose another name or pass --force")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise BadInput(f"{path}: the folder {directory} does not exist")


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP (the SSH session went away) end recording cleanly."""

    def handler(signum: int, frame: object) -> None:
        stop.set()

    names = ("SIGINT", "SIGTERM", "SIGHUP")
    previous = {name: signal.signal(getattr(signal, name), handler) for name in names}
    try:
        yield
    finally:
        for name, old in previous.items():
            signal.signal(getattr(signal, name), old)


def _say(text: str, end: str = "\n") -> None:
    """Progress on stderr; a terminal that went away (SIGHUP) must not stop the recording."""
    with contextlib.suppress(OSError, ValueError):
        print(text, end=end, file=sys.stderr, flush=True)


def cmd_record(args: argparse.Namespace) -> int:
    import socket

    from leaktui.core import csvfile, journal
    from leaktui.core.monitor import Monitor, run

    _refuse_overwrite(args.output, args.force)
    host = socket.gethostname()
    session = Path(args.session) if args.session else journal.new_session_path(host)
    stop = threading.Event()
    live = sys.stderr.isatty()
    started = time.monotonic()
    with journal.Journal(session, host=host, interval=args.interval) as store:
        monitor = Monitor(journal=store, hostname=host, match=args.match)
        _say(f"recording to {args.output}; journal {session}; Ctrl-C stops")

        def tick() -> None:
            snapshot = monitor.tick()
            if live:
                _say(
                    f"\r{store.ticks} ticks · {len(snapshot.workers)} workers · "
                    f"{len(snapshot.samples)} processes · "
                    f"{fmt.duration(time.monotonic() - started)}   ",
                    end="",
                )

        with _stop_on_signals(stop):
            run(tick, args.interval, stop, args.duration)
        ticks = store.ticks
    if live:
        _say("")
    rows = csvfile.write_csv(journal.read_journal(session), args.output)
    _say(f"wrote {rows} rows from {ticks} ticks to {args.output}")
    return 0


# -- export ----------------------------------------------------------------------------------


def cmd_export(args: argparse.Namespace) -> int:
    from leaktui.core import csvfile, recording

    _refuse_overwrite(args.output, args.force)
    rows = csvfile.write_csv(recording.read_rows(args.session), args.output)
    _say(f"wrote {rows} rows to {args.output}")
    return 0
