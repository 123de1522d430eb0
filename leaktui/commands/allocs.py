"""``leaktui allocs PID``: which lines of code keep memory inside a worker process
(tracemalloc over a window)."""

from __future__ import annotations

import argparse

from leaktui.commands import agent_call, options
from leaktui.commands.output import print_json, say
from leaktui.core.errors import ExitStatus

NAME = "allocs"
TASKS_CAP = 300.0
"""Seconds a --tasks window lasts at most, unless --seconds says otherwise."""


def add_parser(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        NAME,
        help="which lines of code keep memory inside a worker process (tracemalloc)",
        description="Ask leaktui's agent inside a worker process to trace allocations for a "
        "window (tracemalloc, started for the window and stopped after it) and print the "
        "lines whose live memory grew most, with how RSS, USS, the traced total, the "
        "allocator and the collector moved meanwhile, and the likely cause.",
    )
    options.add_pid(parser)
    window = parser.add_mutually_exclusive_group()
    window.add_argument(
        "--seconds", type=options.positive, metavar="S", help="trace for S seconds (default: 10)"
    )
    window.add_argument(
        "--tasks",
        type=int,
        metavar="N",
        help=f"trace until the process has finished N more tasks (at most {TASKS_CAP:g} s)",
    )
    parser.add_argument(
        "--frames",
        type=int,
        default=1,
        metavar="K",
        help="frames kept per allocation, 1 to 25; above 1, tracebacks (default: 1)",
    )
    parser.add_argument(
        "--limit", type=int, default=20, metavar="N", help="sites to print (default: 20)"
    )
    parser.add_argument("--keep", action="store_true", help="leave tracemalloc tracing afterwards")
    options.add_json(parser)
    options.add_broker(parser)
    return parser


def run(args: argparse.Namespace) -> ExitStatus:
    from leaktui import report

    request: dict = {
        "command": "allocs",
        "frames": args.frames,
        "limit": args.limit,
        "keep": args.keep,
    }
    if args.tasks is not None:
        request["tasks"] = args.tasks
    if args.seconds is not None:
        request["seconds"] = args.seconds
    window = args.seconds if args.seconds is not None else TASKS_CAP if args.tasks else 10.0
    if not args.json:
        what = f"{args.tasks} tasks (at most {window:g} s)" if args.tasks else f"{window:g} s"
        say(f"tracing allocations in pid {args.pid} for {what}…")
    answer = agent_call.ask(args, request, window + 30)
    if args.json:
        print_json(answer)
    else:
        print(report.allocs_text(answer))
    return ExitStatus.OK
