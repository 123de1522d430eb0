"""The ``leaktui`` command line: one module per command, the shared options apart.

Each command module has ``NAME``, ``add_parser`` (its sub-parser, help and options) and
``run`` (the work, calling the layers below; it returns an ``ExitStatus``). ``leaktui``
with no command is the live monitor (``commands.monitor``). Every error a user can meet
carries its exit status and is printed, as one line, in one place: ``main``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from leaktui import __version__
from leaktui.commands import (
    allocs,
    attach,
    demo,
    export,
    monitor,
    objgraph,
    ps,
    record,
    replay,
    tasks,
    verdict,
)
from leaktui.core.errors import ExitStatus, LeaktuiError
from leaktui.protocol import ProtocolError

COMMANDS = (ps, record, replay, export, verdict, objgraph, allocs, tasks, attach, demo)
"""In the order ``leaktui --help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leaktui",
        description="Find memory leaks in long-running Celery workers on this host.",
        epilog="Run 'leaktui COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"leaktui {__version__}")
    monitor.add_options(parser)
    parser.set_defaults(run=monitor.run)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(commands).set_defaults(run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except (LeaktuiError, ProtocolError) as exc:
        print(f"leaktui: {exc}", file=sys.stderr)
        return int(exc.exit_status)
    except KeyboardInterrupt:
        return ExitStatus.INTERRUPTED
