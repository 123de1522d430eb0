"""``leaktui demo``: real leaking workers on an embedded broker, and the monitor on them (or
their verdicts, headless). Everything it starts is stopped when it ends."""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading

from leaktui import fmt
from leaktui.commands import options
from leaktui.commands.output import print_json, say
from leaktui.commands.session import live_session, stop_on_signals
from leaktui.core.errors import ExitStatus

NAME = "demo"


def add_parser(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        NAME,
        help="real leaking Celery workers on an embedded broker, and the monitor on them",
        description="Start leaktui's own small Celery app: four real workers with the agent "
        "(a global-list leak, an LRU cache that warms up, a healthy threads worker, a file "
        "handle leak) on kombu's filesystem broker in a temporary folder, fed a steady "
        "stream of tasks, and open the monitor on them. The leak is called within about "
        "four minutes. Everything it starts is stopped when it ends.",
    )
    parser.add_argument(
        "--broker",
        default=argparse.SUPPRESS,
        metavar="URL",
        help="use this broker instead, e.g. redis://…",
    )
    parser.add_argument("--headless", action="store_true", help="no UI: print the verdicts")
    parser.add_argument(
        "--duration",
        type=options.positive,
        default=180.0,
        metavar="S",
        help="with --headless: seconds to watch (default: 180)",
    )
    options.add_json(parser, help="with --headless: print JSON")
    options.add_min_rate(parser, command=True)
    return parser


def run(args: argparse.Namespace) -> ExitStatus:
    from leaktui.demo import headless
    from leaktui.demo.launcher import MATCH, Demo, task_counts

    stop = threading.Event()
    if args.headless:
        say(f"starting the demo workers; watching them for {fmt.duration(args.duration)}")
    with contextlib.ExitStack() as stack:
        stack.enter_context(stop_on_signals(stop))
        demo = stack.enter_context(Demo(args.broker))
        # The session lives in the demo's folder, with the rest: `e` exports what to keep.
        live = stack.enter_context(
            live_session(
                interval=1.0,
                match=MATCH,
                thresholds=options.thresholds(args),
                path=demo.folder / "session.sqlite",
                counts=task_counts(),
            )
        )
        if args.headless:
            rows = headless.verdicts(headless.watch(live.monitor, args.duration, stop))
            if args.json:
                print_json(rows)
            else:
                print(headless.text(rows))
            return ExitStatus.OK
        from leaktui.tui.app import LeakTuiApp
        from leaktui.tui.source import LiveSource

        app = LeakTuiApp(LiveSource(live.monitor, 1.0), match=MATCH)
        signal.signal(signal.SIGTERM, lambda *_: app.exit())
        app.run()
    return ExitStatus.OK
