"""``leaktui attach PID``: load the agent into a running worker, with no restart."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict

from leaktui.commands import options
from leaktui.commands.output import print_json
from leaktui.core.errors import ExitStatus

NAME = "attach"
SAID = {"loaded": "agent loaded", "already": "agent already loaded", "failed": "FAILED"}


def add_parser(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        NAME,
        help="load leaktui's agent into a running worker, without a restart",
        description="Load leaktui's agent into every process of a running Celery worker (its "
        "main process, then each pool child), as if it had been started with "
        "'-I leaktui.agent'. Python 3.14 and later: through sys.remote_exec; before: through "
        "ptrace, on Linux x86-64. Needs the right to trace the worker (its user, or root).",
    )
    options.add_pid(parser, help="any process of the worker")
    options.add_json(parser, help="print the outcome as JSON")
    return parser


def run(args: argparse.Namespace) -> ExitStatus:
    from leaktui.attach import attach

    outcomes = attach(args.pid)  # AttachError: refused before anything was touched
    if args.json:
        print_json([asdict(o) for o in outcomes])
    else:
        for o in outcomes:
            print(f"pid {o.pid} ({o.role}): {SAID[o.outcome]}")
        for o in outcomes:
            if o.detail:
                print(f"leaktui: {o.detail}", file=sys.stderr)
    failed = any(o.outcome == "failed" for o in outcomes)
    return ExitStatus.FAILED if failed else ExitStatus.OK
