"""``leaktui``: the live monitor of this host's workers, each tick journaled as it is taken."""

from __future__ import annotations

import argparse

from leaktui.commands import options
from leaktui.commands.output import say
from leaktui.commands.session import live_session_for
from leaktui.core.errors import ExitStatus


def add_options(parser: argparse.ArgumentParser) -> None:
    """The monitor's options sit on the top-level parser: ``leaktui [OPTIONS]``."""
    options.add_interval(parser)
    options.add_match(parser)
    options.add_session(parser)
    options.add_min_rate(parser)
    parser.add_argument(
        "--broker",
        metavar="URL",
        help="reach the agent through this Celery broker when a process's local channel is "
        "out of reach (transport options as JSON in $LEAKTUI_BROKER_OPTIONS)",
    )


def run(args: argparse.Namespace) -> ExitStatus:
    from leaktui.remote import broker_options
    from leaktui.tui.app import LeakTuiApp
    from leaktui.tui.source import LiveSource

    transport = broker_options()  # a bad $LEAKTUI_BROKER_OPTIONS stops here, not in the UI
    with live_session_for(args) as live:
        app = LeakTuiApp(
            LiveSource(live.monitor, args.interval),
            match=args.match,
            broker=args.broker,
            broker_options=transport,
        )
        app.run()
    say(f"session journal: {live.path} ('leaktui export {live.path} -o FILE.csv' writes a CSV)")
    return ExitStatus.OK
