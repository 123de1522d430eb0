"""``leaktui ps``: the workers on this host and their processes, once."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from leaktui.commands import options
from leaktui.commands.output import print_json
from leaktui.core.errors import ExitStatus

NAME = "ps"


def add_parser(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        NAME,
        help="list the Celery workers on this host and their processes, once",
        description="List every Celery worker on this host with its main process and pool "
        "children, their memory, and the limits they run under.",
    )
    options.add_json(parser, help="print JSON (docs/formats.md)")
    options.add_match(parser, command=True)
    return parser


def run(args: argparse.Namespace) -> ExitStatus:
    from leaktui import report
    from leaktui.core.monitor import Monitor
    from leaktui.remote import has_agent

    monitor = Monitor(match=args.match, uss_every=1)
    snapshot = monitor.tick()
    agents = {pid for w in snapshot.workers for pid in w.pids if has_agent(pid)}
    workers = tuple(replace(w, agent=w.main_pid in agents) for w in snapshot.workers)
    snapshot = replace(snapshot, workers=workers)
    if args.json:
        print_json(report.ps_json(snapshot, agents))
        return ExitStatus.OK
    print(report.ps_text(snapshot))
    if not snapshot.workers:
        print(
            report.no_workers_help(snapshot.host, monitor.last_unreadable, args.match),
            file=sys.stderr,
        )
    return ExitStatus.OK
