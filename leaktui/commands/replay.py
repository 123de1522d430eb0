"""``leaktui replay``: the monitor over a recording, with a time cursor."""

from __future__ import annotations

import argparse

from leaktui.commands import options
from leaktui.core.errors import ExitStatus

NAME = "replay"


def add_parser(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        NAME,
        help="show a recorded session in the monitor, with a time cursor",
        description="Open the monitor on a recording (a session journal or a sample CSV). "
        "Space plays and stops, arrows step, Home/End jump, +/- change the speed; the "
        "verdicts shown are those known at that moment.",
    )
    parser.add_argument("file", metavar="FILE", help="a session journal or sample CSV")
    options.add_min_rate(parser, command=True)
    return parser


def run(args: argparse.Namespace) -> ExitStatus:
    from leaktui.core.replay import Player, survey
    from leaktui.tui.replay import ReplayApp
    from leaktui.tui.source import ReplaySource

    recording = survey(args.file)  # the file is checked before the screen opens
    player = Player(recording, options.thresholds(args, args.file))
    ReplayApp(ReplaySource(recording, player)).run()
    return ExitStatus.OK
