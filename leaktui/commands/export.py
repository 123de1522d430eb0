"""``leaktui export``: a session journal (or a sample CSV) out as a sample CSV."""

from __future__ import annotations

import argparse

from leaktui.commands.output import refuse_overwrite, say
from leaktui.core.errors import ExitStatus

NAME = "export"


def add_parser(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        NAME,
        help="write a session journal out as CSV",
        description="Write a session journal (or a sample CSV) out as a sample CSV.",
    )
    parser.add_argument("session", metavar="SESSION", help="a session journal or sample CSV")
    parser.add_argument(
        "-o", "--output", required=True, metavar="FILE.csv", help="the CSV to write"
    )
    parser.add_argument("--force", action="store_true", help="replace FILE.csv if it exists")
    return parser


def run(args: argparse.Namespace) -> ExitStatus:
    from leaktui.core import csvfile, recording

    refuse_overwrite(args.output, args.force)
    rows = csvfile.write_csv(recording.read_rows(args.session), args.output)
    say(f"wrote {rows} rows to {args.output}")
    return ExitStatus.OK
