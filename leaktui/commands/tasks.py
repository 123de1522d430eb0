"""``leaktui tasks PID``: the memory each task name leaves behind in a worker process."""

from __future__ import annotations

import argparse

from leaktui.commands import agent_call, options
from leaktui.commands.output import print_json
from leaktui.core.errors import ExitStatus

NAME = "tasks"


def add_parser(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        NAME,
        help="which task keeps memory inside a worker process",
        description="Ask leaktui's agent inside a worker process for the memory each task "
        "name leaves behind: RSS before and after every run, per task name, with the share "
        "of the process's growth since its first task.",
    )
    options.add_pid(parser)
    parser.add_argument(
        "--limit", type=int, default=20, metavar="N", help="task names to print (default: 20)"
    )
    options.add_json(parser)
    options.add_broker(parser)
    return parser


def run(args: argparse.Namespace) -> ExitStatus:
    from leaktui import report

    answer = agent_call.ask(args, {"command": "tasks", "limit": args.limit}, 30.0)
    if args.json:
        print_json(answer)
    else:
        print(report.tasks_text(answer))
    return ExitStatus.OK
