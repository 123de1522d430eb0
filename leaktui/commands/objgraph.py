"""``leaktui objgraph PID``: which Python types grow inside a worker process, and what holds
them."""

from __future__ import annotations

import argparse

from leaktui.commands import agent_call, options
from leaktui.commands.output import print_json
from leaktui.core.errors import ExitStatus

NAME = "objgraph"


def add_parser(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        NAME,
        help="which Python types grow inside a worker process, and what holds them",
        description="Ask leaktui's agent inside a worker process (loaded with "
        "'celery -A proj worker -I leaktui.agent', or 'leaktui attach PID') for the types "
        "whose count grew since the last call, the most common types, gc statistics and "
        "tasks finished; with --type, a chain of references from a module to an object of "
        "that type.",
    )
    options.add_pid(parser)
    parser.add_argument("--type", metavar="NAME", help="a type's name, e.g. dict or tasks.Invoice")
    parser.add_argument(
        "--limit", type=int, default=20, metavar="N", help="rows per table (default: 20)"
    )
    options.add_json(parser)
    parser.add_argument(
        "--timeout",
        type=options.positive,
        default=30.0,
        metavar="S",
        help="seconds to wait (default: 30)",
    )
    options.add_broker(parser)
    return parser


def run(args: argparse.Namespace) -> ExitStatus:
    from leaktui import report

    request: dict = {"command": "report", "limit": args.limit}
    if args.type:
        request["type"] = args.type
    answer = agent_call.ask(args, request, args.timeout)
    if args.json:
        print_json(answer)
    else:
        print(report.objgraph_text(answer))
    return ExitStatus.OK
