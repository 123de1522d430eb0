"""``leaktui verdict``: leak verdicts for a recording, with an exit status for cron."""

from __future__ import annotations

import argparse
import json

from leaktui.commands import options
from leaktui.commands.output import print_json, say
from leaktui.core.errors import ExitStatus

NAME = "verdict"


def add_parser(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        NAME,
        help="leak verdicts for a recorded session; exit 1 if something leaks",
        description="Decide, for each process and each worker of a recording, whether it "
        "leaks: rate with a 95% interval, level, time to the nearest known limit, and "
        "the cost per task where the recording has task counts. "
        "Exit status 0 when nothing leaks at the end, 1 when something does, 2 "
        "on bad input: usable from cron and monitoring checks.",
    )
    parser.add_argument("file", metavar="FILE", help="a session journal or sample CSV")
    options.add_json(parser, help="print a JSON array")
    parser.add_argument(
        "--timeline",
        action="store_true",
        help="print JSON Lines: each verdict change as it would have been seen live",
    )
    options.add_min_rate(parser, command=True)
    return parser


def run(args: argparse.Namespace) -> ExitStatus:
    from leaktui import report
    from leaktui.core import journal, recording
    from leaktui.core.assessment import Assessment
    from leaktui.core.csvfile import format_timestamp

    rows = recording.read_rows(args.file)  # checks the file before anything else
    thresholds = options.thresholds(args, args.file)
    # A journal knows the limits each process ran under; a CSV does not.
    limits = journal.read_limits(args.file) if journal.is_journal(args.file) else {}
    assessment = Assessment(thresholds, dict(limits))
    changes = assessment.feed(rows)
    if args.timeline:
        for change in changes:
            line = report.verdict_json(change) | {"timestamp": format_timestamp(change.time)}
            print(json.dumps(line))
    else:
        for _ in changes:  # read to the end
            pass
    final = assessment.current()
    if not final:  # no worker was recorded: nothing leaks
        say(f"{args.file}: no samples to judge")
        return ExitStatus.OK
    if args.json:
        print_json([report.verdict_json(a) for a in final])
    elif not args.timeline:
        print(report.verdict_text(final))
    return ExitStatus.LEAKING if any(a.leaking for a in final) else ExitStatus.OK
