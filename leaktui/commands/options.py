"""The option types and the options several commands share.

The options the monitor takes before any command are taken again by the commands they
apply to, so that they may come before or after the command's name (``leaktui --match w1
record -o w1.csv``). A command's copy has no default of its own (SUPPRESS): it would
overwrite a value given before the name.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from leaktui.core.verdict import Thresholds

_UNITS = {
    **dict.fromkeys(("", "b"), 1),
    **dict.fromkeys(("k", "kb", "kib"), 1 << 10),
    **dict.fromkeys(("m", "mb", "mib"), 1 << 20),
    **dict.fromkeys(("g", "gb", "gib"), 1 << 30),
}


def positive(text: str) -> float:
    """Seconds, more than 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0 seconds")
    return value


def pid(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a pid") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a pid")
    return value


def rate(text: str) -> float:
    """A size per hour: ``2MiB``, ``512k``, ``2MiB/h``, or plain bytes."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*([a-zA-Z]*)\s*(/h)?\s*", text)
    if not match or match[2].lower() not in _UNITS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size per hour, like 2MiB")
    try:
        return float(match[1]) * _UNITS[match[2].lower()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size per hour, like 2MiB") from None


def regex(text: str) -> str:
    try:
        re.compile(text)
    except re.error as exc:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a valid regular expression: {exc}"
        ) from None
    return text


def _default(value: object, command: bool) -> object:
    return argparse.SUPPRESS if command else value


def add_interval(parser: argparse.ArgumentParser, command: bool = False) -> None:
    parser.add_argument(
        "--interval",
        type=positive,
        default=_default(1.0, command),
        metavar="S",
        help="seconds between samples (default: 1)",
    )


def add_match(parser: argparse.ArgumentParser, command: bool = False) -> None:
    parser.add_argument(
        "--match",
        type=regex,
        default=_default(None, command),
        metavar="REGEX",
        help="only workers whose node name or command line matches",
    )


def add_session(parser: argparse.ArgumentParser, command: bool = False) -> None:
    parser.add_argument(
        "--session",
        default=_default(None, command),
        metavar="PATH",
        help="the session journal (default: a new file under $XDG_STATE_HOME/leaktui/sessions/)",
    )


def add_min_rate(
    parser: argparse.ArgumentParser,
    command: bool = False,
    default: str = "1MiB per hour; for a session journal, what the session used",
) -> None:
    parser.add_argument(
        "--min-rate",
        type=rate,
        default=_default(None, command),
        metavar="SIZE/h",
        help=f"slowest growth called a leak, e.g. 512KiB or 2MiB (default: {default})",
    )


def add_pid(
    parser: argparse.ArgumentParser, help: str = "the worker process (main or child)"
) -> None:
    parser.add_argument("pid", type=pid, metavar="PID", help=help)


def add_json(
    parser: argparse.ArgumentParser, help: str = "print the agent's answer as JSON"
) -> None:
    parser.add_argument("--json", action="store_true", help=help)


def add_broker(parser: argparse.ArgumentParser) -> None:
    """--broker and --node of the commands that ask an agent."""
    parser.add_argument(
        "--broker",
        default=argparse.SUPPRESS,
        metavar="URL",
        help="reach the agent through this Celery broker when the process's local channel is "
        "out of reach (another host, a private /tmp); no result backend needed; transport "
        "options, if the broker needs them, as JSON in $LEAKTUI_BROKER_OPTIONS",
    )
    parser.add_argument(
        "--node",
        metavar="NAME",
        help="with --broker: the worker that owns PID (found on this host if not given)",
    )


def thresholds(args: argparse.Namespace, recording: str | None = None) -> Thresholds:
    """The verdicts' thresholds: a recorded session's own when its journal kept them (so its
    verdicts come out as they were shown live), the engine's otherwise; --min-rate over
    them."""
    from leaktui.core import journal
    from leaktui.core.verdict import Thresholds

    kept = None
    if recording is not None and journal.is_journal(recording):
        kept = journal.read_thresholds(recording)
    chosen = kept or Thresholds()
    if args.min_rate is not None:
        chosen = replace(chosen, min_rate=args.min_rate)
    return chosen
