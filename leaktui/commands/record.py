"""``leaktui record``: sample headless into the journal, then write the CSV."""

from __future__ import annotations

import argparse
import sys
import threading
import time

from leaktui import fmt
from leaktui.commands import options
from leaktui.commands.output import refuse_overwrite, say
from leaktui.commands.session import live_session_for, stop_on_signals
from leaktui.core.errors import ExitStatus

NAME = "record"


def add_parser(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        NAME,
        help="sample headless into a CSV, until Ctrl-C or --duration",
        description="Sample every Celery worker process on this host without the UI. Every "
        "tick is journaled as it is taken; the CSV is written, complete, when "
        "recording stops (Ctrl-C, SIGTERM, a dropped SSH session or --duration). "
        "Workers started with -I leaktui.agent also report the tasks each process has "
        "finished, which gives the verdicts a cost per task.",
    )
    parser.add_argument(
        "-o", "--output", required=True, metavar="FILE.csv", help="the CSV to write"
    )
    options.add_interval(parser, command=True)
    parser.add_argument(
        "--duration",
        type=options.positive,
        metavar="S",
        help="stop after this many seconds (default: until interrupted)",
    )
    options.add_session(parser, command=True)
    options.add_match(parser, command=True)
    options.add_min_rate(parser, command=True)
    parser.add_argument("--force", action="store_true", help="replace FILE.csv if it exists")
    return parser


def run(args: argparse.Namespace) -> ExitStatus:
    from leaktui.core import csvfile, journal
    from leaktui.core.monitor import run as run_every

    refuse_overwrite(args.output, args.force)
    stop = threading.Event()
    live_terminal = sys.stderr.isatty()
    started = time.monotonic()
    with live_session_for(args) as live:
        say(f"recording to {args.output}; journal {live.path}; Ctrl-C stops")
        reported: set[str] = set()

        def tick() -> None:
            snapshot = live.monitor.tick()
            if snapshot.tick == 1 and not snapshot.workers:  # this run's first tick
                say(
                    f"no Celery worker found on {snapshot.host} yet; recording picks them up "
                    "when they start ('leaktui ps' explains what leaktui looks for)"
                )
            for error in set(snapshot.errors) - reported:  # each problem once, not every tick
                reported.add(error)
                say(("\n" if live_terminal else "") + f"leaktui: {error}")
            if live_terminal:
                say(
                    f"\r{live.journal.ticks} ticks · {len(snapshot.workers)} workers · "
                    f"{len(snapshot.samples)} processes · "
                    f"{fmt.duration(time.monotonic() - started)}   ",
                    end="",
                )

        with stop_on_signals(stop):
            run_every(tick, args.interval, stop, args.duration)
        ticks = live.journal.ticks
    if live_terminal:
        say("")
    rows = csvfile.write_csv(journal.read_journal(live.path), args.output)
    say(f"wrote {rows} rows from {ticks} ticks to {args.output}")
    return ExitStatus.OK
