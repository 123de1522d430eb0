"""The ``leaktui`` command: parses arguments and calls the layers below. Thin on purpose."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from leaktui import __version__, fmt
from leaktui.core.errors import BadInput
from leaktui.core.journal import JournalError

if TYPE_CHECKING:
    from leaktui.core.journal import Journal
    from leaktui.core.monitor import Monitor
    from leaktui.core.verdict import Thresholds
    from leaktui.taskcount import TaskCounts

EXIT_BAD_INPUT = 2


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0 seconds")
    return value


_UNITS = {
    "": 1,
    "b": 1,
    "k": 1024,
    "kb": 1024,
    "kib": 1024,
    "m": 1 << 20,
    "mb": 1 << 20,
    "mib": 1 << 20,
    "g": 1 << 30,
    "gb": 1 << 30,
    "gib": 1 << 30,
}


def _pid(text: str) -> int:
    try:
        pid = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a pid") from None
    if pid <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a pid")
    return pid


def _rate(text: str) -> float:
    """A size per hour: ``2MiB``, ``512k``, ``2MiB/h``, or plain bytes."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*([a-zA-Z]*)\s*(/h)?\s*", text)
    if not match or match[2].lower() not in _UNITS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size per hour, like 2MiB")
    try:
        return float(match[1]) * _UNITS[match[2].lower()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size per hour, like 2MiB") from None


def _regex(text: str) -> str:
    try:
        re.compile(text)
    except re.error as exc:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a valid regular expression: {exc}"
        ) from None
    return text


# The options the monitor takes before any command are taken again by the commands they
# apply to, so that they may come before or after the command's name. A command's copy has
# no default of its own (SUPPRESS): it would overwrite a value given before the name.


def _default(value: object, command: bool) -> object:
    return argparse.SUPPRESS if command else value


def _add_interval(parser: argparse.ArgumentParser, command: bool = False) -> None:
    parser.add_argument(
        "--interval",
        type=_positive,
        default=_default(1.0, command),
        metavar="S",
        help="seconds between samples (default: 1)",
    )


def _add_match(parser: argparse.ArgumentParser, command: bool = False) -> None:
    parser.add_argument(
        "--match",
        type=_regex,
        default=_default(None, command),
        metavar="REGEX",
        help="only workers whose node name or command line matches",
    )


def _add_session(parser: argparse.ArgumentParser, command: bool = False) -> None:
    parser.add_argument(
        "--session",
        default=_default(None, command),
        metavar="PATH",
        help="the session journal (default: a new file under $XDG_STATE_HOME/leaktui/sessions/)",
    )


def _add_min_rate(
    parser: argparse.ArgumentParser,
    command: bool = False,
    default: str = "1MiB per hour; for a session journal, what the session used",
) -> None:
    parser.add_argument(
        "--min-rate",
        type=_rate,
        default=_default(None, command),
        metavar="SIZE/h",
        help=f"slowest growth called a leak, e.g. 512KiB or 2MiB (default: {default})",
    )


def _thresholds(
    args: argparse.Namespace, recording: str | None = None, defaults: Thresholds | None = None
) -> Thresholds:
    """The verdicts' thresholds: a recorded session's own when its journal kept them (so its
    verdicts come out as they were shown live), ``defaults`` otherwise (the engine's unless
    given); --min-rate over them."""
    from leaktui.core import journal
    from leaktui.core.verdict import Thresholds

    kept = None
    if recording is not None and journal.is_journal(recording):
        kept = journal.read_thresholds(recording)
    thresholds = kept or defaults or Thresholds()
    if args.min_rate is not None:
        thresholds = replace(thresholds, min_rate=args.min_rate)
    return thresholds


def _live_monitor(
    args: argparse.Namespace, store: Journal, host: str, counts: TaskCounts
) -> Monitor:
    """The Monitor the live screen and ``record`` sample with, from the options they share."""
    from leaktui.core.monitor import Monitor

    return Monitor(
        journal=store,
        hostname=host,
        match=args.match,
        thresholds=_thresholds(args),
        task_counts=counts,
    )


def _add_broker(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--broker",
        default=argparse.SUPPRESS,
        metavar="URL",
        help="ask through the Celery broker instead of the local channel (no result backend "
        "needed); transport options, if the broker needs them, as JSON in "
        "$LEAKTUI_BROKER_OPTIONS",
    )
    parser.add_argument(
        "--node",
        metavar="NAME",
        help="with --broker: the worker that owns PID (found on this host if not given)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leaktui",
        description="Find memory leaks in long-running Celery workers on this host.",
        epilog="Run 'leaktui COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"leaktui {__version__}")
    _add_interval(parser)
    _add_match(parser)
    _add_session(parser)
    _add_min_rate(parser)
    parser.add_argument(
        "--broker",
        metavar="URL",
        help="reach the agent through this Celery broker when a process's local channel is "
        "out of reach (transport options as JSON in $LEAKTUI_BROKER_OPTIONS)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    ps = commands.add_parser(
        "ps",
        help="list the Celery workers on this host and their processes, once",
        description="List every Celery worker on this host with its main process and pool "
        "children, their memory, and the limits they run under.",
    )
    ps.add_argument("--json", action="store_true", help="print JSON (docs/formats.md)")
    _add_match(ps, command=True)

    record = commands.add_parser(
        "record",
        help="sample headless into a CSV, until Ctrl-C or --duration",
        description="Sample every Celery worker process on this host without the UI. Every "
        "tick is journaled as it is taken; the CSV is written, complete, when "
        "recording stops (Ctrl-C, SIGTERM, a dropped SSH session or --duration). "
        "Workers started with -I leaktui.agent also report the tasks each process has "
        "finished, which gives the verdicts a cost per task.",
    )
    record.add_argument(
        "-o", "--output", required=True, metavar="FILE.csv", help="the CSV to write"
    )
    _add_interval(record, command=True)
    record.add_argument(
        "--duration",
        type=_positive,
        metavar="S",
        help="stop after this many seconds (default: until interrupted)",
    )
    _add_session(record, command=True)
    _add_match(record, command=True)
    _add_min_rate(record, command=True)
    record.add_argument("--force", action="store_true", help="replace FILE.csv if it exists")

    export = commands.add_parser(
        "export",
        help="write a session journal out as CSV",
        description="Write a session journal (or a sample CSV) out as a sample CSV.",
    )
    export.add_argument("session", metavar="SESSION", help="a session journal or sample CSV")
    export.add_argument(
        "-o", "--output", required=True, metavar="FILE.csv", help="the CSV to write"
    )
    export.add_argument("--force", action="store_true", help="replace FILE.csv if it exists")
    objgraph = commands.add_parser(
        "objgraph",
        help="which Python types grow inside a worker process, and what holds them",
        description="Ask leaktui's agent inside a worker process (loaded with "
        "'celery -A proj worker -I leaktui.agent') for the types whose count grew since the "
        "last call, the most common types, gc statistics and tasks finished; with --type, a "
        "chain of references from a module to an object of that type.",
    )
    objgraph.add_argument(
        "pid", type=_pid, metavar="PID", help="the worker process (main or child)"
    )
    objgraph.add_argument(
        "--type", metavar="NAME", help="a type's name, e.g. dict or tasks.Invoice"
    )
    objgraph.add_argument(
        "--limit", type=int, default=20, metavar="N", help="rows per table (default: 20)"
    )
    objgraph.add_argument("--json", action="store_true", help="print the agent's answer as JSON")
    objgraph.add_argument(
        "--timeout", type=_positive, default=30.0, metavar="S", help="seconds to wait (default: 30)"
    )
    _add_broker(objgraph)
    allocs = commands.add_parser(
        "allocs",
        help="which lines of code keep memory inside a worker process (tracemalloc)",
        description="Ask leaktui's agent inside a worker process to trace allocations for a "
        "window (tracemalloc, started for the window and stopped after it) and print the "
        "lines whose live memory grew most. RSS that grows while Python's traced memory "
        "does not is reported as native memory.",
    )
    allocs.add_argument("pid", type=_pid, metavar="PID", help="the worker process (main or child)")
    window = allocs.add_mutually_exclusive_group()
    window.add_argument(
        "--seconds",
        type=_positive,
        metavar="S",
        help="trace for S seconds (default: 10)",
    )
    window.add_argument(
        "--tasks",
        type=int,
        metavar="N",
        help="trace until the process has finished N more tasks (at most 300 s)",
    )
    allocs.add_argument(
        "--frames",
        type=int,
        default=1,
        metavar="K",
        help="frames kept per allocation, 1 to 25; above 1, tracebacks (default: 1)",
    )
    allocs.add_argument(
        "--limit", type=int, default=20, metavar="N", help="sites to print (default: 20)"
    )
    allocs.add_argument("--keep", action="store_true", help="leave tracemalloc tracing afterwards")
    allocs.add_argument("--json", action="store_true", help="print the agent's answer as JSON")
    _add_broker(allocs)
    attach = commands.add_parser(
        "attach",
        help="load leaktui's agent into a running worker, without a restart",
        description="Load leaktui's agent into every process of a running Celery worker (its "
        "main process, then each pool child), as if it had been started with "
        "'-I leaktui.agent'. Python 3.14 and later: through sys.remote_exec; before: through "
        "ptrace, on Linux x86-64. Needs the right to trace the worker (its user, or root).",
    )
    attach.add_argument("pid", type=_pid, metavar="PID", help="any process of the worker")
    attach.add_argument("--json", action="store_true", help="print the outcome as JSON")
    tasks = commands.add_parser(
        "tasks",
        help="which task keeps memory inside a worker process",
        description="Ask leaktui's agent inside a worker process for the memory each task "
        "name leaves behind: RSS before and after every run, per task name, with the share "
        "of the process's growth since its first task.",
    )
    tasks.add_argument("pid", type=_pid, metavar="PID", help="the worker process (main or child)")
    tasks.add_argument(
        "--limit", type=int, default=20, metavar="N", help="task names to print (default: 20)"
    )
    tasks.add_argument("--json", action="store_true", help="print the agent's answer as JSON")
    _add_broker(tasks)
    demo = commands.add_parser(
        "demo",
        help="real leaking Celery workers on an embedded broker, and the monitor on them",
        description="Start leaktui's own small Celery app: four real workers with the agent "
        "(a global-list leak, an LRU cache that warms up, a healthy threads worker, a file "
        "handle leak) on kombu's filesystem broker in a temporary folder, fed a steady "
        "stream of tasks, and open the monitor on them. The demo compresses time: verdicts "
        "come within minutes. Everything it starts is stopped when it ends.",
    )
    demo.add_argument(
        "--broker",
        default=argparse.SUPPRESS,
        metavar="URL",
        help="use this broker instead, e.g. redis://…",
    )
    demo.add_argument("--headless", action="store_true", help="no UI: print the verdicts")
    demo.add_argument(
        "--duration",
        type=_positive,
        default=180.0,
        metavar="S",
        help="with --headless: seconds to watch (default: 180)",
    )
    demo.add_argument("--json", action="store_true", help="with --headless: print JSON")
    _add_min_rate(demo, command=True)
    replay = commands.add_parser(
        "replay",
        help="show a recorded session in the monitor, with a time cursor",
        description="Open the monitor on a recording (a session journal or a sample CSV). "
        "Space plays and stops, arrows step, Home/End jump, +/- change the speed; the "
        "verdicts shown are those known at that moment.",
    )
    replay.add_argument("file", metavar="FILE", help="a session journal or sample CSV")
    _add_min_rate(replay, command=True)
    verdict = commands.add_parser(
        "verdict",
        help="leak verdicts for a recorded session; exit 1 if something leaks",
        description="Decide, for each process and each worker of a recording, whether it "
        "leaks: rate with a 95% interval, level, time to the nearest known limit, and "
        "the cost per task where the recording has task counts. "
        "Exit status 0 when nothing leaks at the end, 1 when something does, 2 "
        "on bad input: usable from cron and monitoring checks.",
    )
    verdict.add_argument("file", metavar="FILE", help="a session journal or sample CSV")
    verdict.add_argument("--json", action="store_true", help="print a JSON array")
    verdict.add_argument(
        "--timeline",
        action="store_true",
        help="print JSON Lines: each verdict change as it would have been seen live",
    )
    _add_min_rate(verdict, command=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = {
        None: cmd_monitor,
        "ps": cmd_ps,
        "record": cmd_record,
        "export": cmd_export,
        "verdict": cmd_verdict,
        "replay": cmd_replay,
        "demo": cmd_demo,
        "objgraph": cmd_objgraph,
        "allocs": cmd_allocs,
        "tasks": cmd_tasks,
        "attach": cmd_attach,
    }[args.command]
    try:
        return handler(args)
    except BadInput as exc:
        print(f"leaktui: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except JournalError as exc:
        print(f"leaktui: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


# -- the live monitor ------------------------------------------------------------------------


def cmd_monitor(args: argparse.Namespace) -> int:
    """Open the monitor on this host's workers; every tick is journaled as it is taken."""
    from leaktui.core import journal
    from leaktui.taskcount import TaskCounts
    from leaktui.tui.app import LeakTuiApp
    from leaktui.tui.source import LiveSource

    host = socket.gethostname()
    session = Path(args.session) if args.session else journal.new_session_path(host)
    with (
        journal.Journal(session, host=host, interval=args.interval) as store,
        TaskCounts() as counts,
    ):
        monitor = _live_monitor(args, store, host, counts)
        app = LeakTuiApp(
            LiveSource(monitor, args.interval),
            match=args.match,
            broker=args.broker,
            broker_options=_broker_options(),
        )
        app.run()
    _say(f"session journal: {session} ('leaktui export {session} -o FILE.csv' writes a CSV)")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Real workers, a producer, and the monitor (or --headless verdicts); all cleaned up."""
    from leaktui.core.journal import Journal
    from leaktui.core.monitor import Monitor
    from leaktui.demo import headless
    from leaktui.demo.launcher import MATCH, Demo, task_counts

    stop = threading.Event()
    if args.headless:
        _say(f"starting the demo workers; watching them for {fmt.duration(args.duration)}")
    host = socket.gethostname()
    with contextlib.ExitStack() as stack:
        stack.enter_context(_stop_on_signals(stop))
        demo = stack.enter_context(Demo(args.broker))
        # The session lives in the demo's folder, with the rest: `e` exports what to keep.
        journal = stack.enter_context(
            Journal(demo.folder / "session.sqlite", host=host, interval=1.0)
        )
        counts = stack.enter_context(task_counts())
        monitor = Monitor(
            journal=journal,
            hostname=host,
            match=MATCH,
            thresholds=_thresholds(args),
            task_counts=counts,
        )
        if args.headless:
            rows = headless.verdicts(headless.watch(monitor, args.duration, stop))
            print(json.dumps(rows, indent=2) if args.json else headless.text(rows))
            return 0
        from leaktui.tui.app import LeakTuiApp
        from leaktui.tui.source import LiveSource

        app = LeakTuiApp(LiveSource(monitor, 1.0), match=MATCH)
        signal.signal(signal.SIGTERM, lambda *_: app.exit())
        app.run()
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    """The monitor over a recording; the file is checked before the screen opens."""
    from leaktui.core.replay import Player, survey
    from leaktui.tui.replay import ReplayApp
    from leaktui.tui.source import ReplaySource

    recording = survey(args.file)  # BadInput / JournalError: a one-line error, exit 2 / 1
    player = Player(recording, _thresholds(args, args.file))
    ReplayApp(ReplaySource(recording, player)).run()
    return 0


# -- objgraph --------------------------------------------------------------------------------


def cmd_objgraph(args: argparse.Namespace) -> int:
    from leaktui import report

    request: dict = {"command": "report", "limit": args.limit}
    if args.type:
        request["type"] = args.type
    answer = _ask_agent(args, request, args.timeout)
    if answer is None:
        return 1
    print(json.dumps(answer, indent=2) if args.json else report.objgraph_text(answer))
    return 0


def cmd_allocs(args: argparse.Namespace) -> int:
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
    window = args.seconds if args.seconds is not None else 300.0 if args.tasks else 10.0
    if not args.json:
        what = f"{args.tasks} tasks (at most 300 s)" if args.tasks else f"{window:g} s"
        _say(f"tracing allocations in pid {args.pid} for {what}…")
    answer = _ask_agent(args, request, window + 30)
    if answer is None:
        return 1
    print(json.dumps(answer, indent=2) if args.json else report.allocs_text(answer))
    return 0


def cmd_attach(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from leaktui.attach import AttachError, attach

    try:
        outcomes = attach(args.pid)
    except AttachError as exc:
        print(f"leaktui: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps([asdict(o) for o in outcomes], indent=2))
    else:
        said = {"loaded": "agent loaded", "already": "agent already loaded", "failed": "FAILED"}
        for o in outcomes:
            print(f"pid {o.pid} ({o.role}): {said[o.outcome]}")
        for o in outcomes:
            if o.detail:
                print(f"leaktui: {o.detail}", file=sys.stderr)
    return 0 if all(o.outcome != "failed" for o in outcomes) else 1


def cmd_tasks(args: argparse.Namespace) -> int:
    from leaktui import report

    answer = _ask_agent(args, {"command": "tasks", "limit": args.limit}, 30.0)
    if answer is None:
        return 1
    print(json.dumps(answer, indent=2) if args.json else report.tasks_text(answer))
    return 0


def _ask_agent(args: argparse.Namespace, request: dict, timeout: float) -> dict | None:
    """The agent's answer, locally or through --broker; None once the error is printed."""
    from leaktui.protocol import ProtocolError
    from leaktui.remote import AgentError, ask, ask_broker

    try:
        if args.broker:
            return ask_broker(
                args.broker,
                args.pid,
                request,
                node=args.node or _node_of(args.pid),
                timeout=timeout,
                transport_options=_broker_options(),
            )
        return ask(args.pid, request, timeout=timeout)
    except ProtocolError as exc:
        raise BadInput(str(exc)) from None
    except AgentError as exc:
        print(f"leaktui: {exc}", file=sys.stderr)
        return None


def _node_of(pid: int) -> str | None:
    """The node name of the local worker that owns ``pid``, if there is one here."""
    from leaktui.core.discover import Discoverer

    found = Discoverer().scan()
    return next((w.node for w in found.workers if pid in w.pids), None)


def _broker_options() -> dict | None:
    text = os.environ.get("LEAKTUI_BROKER_OPTIONS")
    if not text:
        return None
    try:
        options = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"$LEAKTUI_BROKER_OPTIONS: not JSON: {exc}") from None
    if not isinstance(options, dict):
        raise BadInput("$LEAKTUI_BROKER_OPTIONS: expected a JSON object")
    return options


# -- ps --------------------------------------------------------------------------------------


def cmd_ps(args: argparse.Namespace) -> int:
    from leaktui import report
    from leaktui.core.monitor import Monitor
    from leaktui.remote import has_agent

    monitor = Monitor(match=args.match, uss_every=1)
    snapshot = monitor.tick()
    agents = {pid for w in snapshot.workers for pid in w.pids if has_agent(pid)}
    workers = tuple(replace(w, agent=w.main_pid in agents) for w in snapshot.workers)
    snapshot = replace(snapshot, workers=workers)
    if args.json:
        print(json.dumps(report.ps_json(snapshot, agents), indent=2))
        return 0
    print(report.ps_text(snapshot))
    if not snapshot.workers:
        print(
            report.no_workers_help(snapshot.host, monitor.last_unreadable, args.match),
            file=sys.stderr,
        )
    return 0


# -- record ----------------------------------------------------------------------------------


def _refuse_overwrite(path: str, force: bool) -> None:
    if not force and os.path.exists(path):
        raise BadInput(f"{path}: the file exists; choose another name or pass --force")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise BadInput(f"{path}: the folder {directory} does not exist")


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP (the SSH session went away) end recording cleanly."""

    def handler(signum: int, frame: object) -> None:
        stop.set()

    names = ("SIGINT", "SIGTERM", "SIGHUP")
    previous = {name: signal.signal(getattr(signal, name), handler) for name in names}
    try:
        yield
    finally:
        for name, old in previous.items():
            signal.signal(getattr(signal, name), old)


def _say(text: str, end: str = "\n") -> None:
    """Progress on stderr; a terminal that went away (SIGHUP) must not stop the recording."""
    with contextlib.suppress(OSError, ValueError):
        print(text, end=end, file=sys.stderr, flush=True)


def cmd_record(args: argparse.Namespace) -> int:
    from leaktui.core import csvfile, journal
    from leaktui.core.monitor import run
    from leaktui.taskcount import TaskCounts

    _refuse_overwrite(args.output, args.force)
    host = socket.gethostname()
    session = Path(args.session) if args.session else journal.new_session_path(host)
    stop = threading.Event()
    live = sys.stderr.isatty()
    started = time.monotonic()
    with (
        journal.Journal(session, host=host, interval=args.interval) as store,
        TaskCounts() as counts,
    ):
        monitor = _live_monitor(args, store, host, counts)
        _say(f"recording to {args.output}; journal {session}; Ctrl-C stops")

        reported: set[str] = set()

        def tick() -> None:
            snapshot = monitor.tick()
            if snapshot.tick == 1 and not snapshot.workers:  # this run's first tick
                _say(
                    f"no Celery worker found on {host} yet; recording picks them up when they "
                    "start ('leaktui ps' explains what leaktui looks for)"
                )
            for error in set(snapshot.errors) - reported:  # each problem once, not every tick
                reported.add(error)
                _say(("\n" if live else "") + f"leaktui: {error}")
            if live:
                _say(
                    f"\r{store.ticks} ticks · {len(snapshot.workers)} workers · "
                    f"{len(snapshot.samples)} processes · "
                    f"{fmt.duration(time.monotonic() - started)}   ",
                    end="",
                )

        with _stop_on_signals(stop):
            run(tick, args.interval, stop, args.duration)
        ticks = store.ticks
    if live:
        _say("")
    rows = csvfile.write_csv(journal.read_journal(session), args.output)
    _say(f"wrote {rows} rows from {ticks} ticks to {args.output}")
    return 0


# -- export ----------------------------------------------------------------------------------


def cmd_export(args: argparse.Namespace) -> int:
    from leaktui.core import csvfile, recording

    _refuse_overwrite(args.output, args.force)
    rows = csvfile.write_csv(recording.read_rows(args.session), args.output)
    _say(f"wrote {rows} rows to {args.output}")
    return 0


# -- verdict ---------------------------------------------------------------------------------


def cmd_verdict(args: argparse.Namespace) -> int:
    from leaktui import report
    from leaktui.core import journal, recording
    from leaktui.core.assessment import Assessment
    from leaktui.core.csvfile import format_timestamp

    rows = recording.read_rows(args.file)  # checks the file before anything else
    thresholds = _thresholds(args, args.file)
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
        _say(f"{args.file}: no samples to judge")
        return 0
    if args.json:
        print(json.dumps([report.verdict_json(a) for a in final], indent=2))
    elif not args.timeline:
        print(report.verdict_text(final))
    leaking = any(
        a.memory.kind == "leak" or (a.fds is not None and a.fds.kind == "leak") for a in final
    )
    return 1 if leaking else 0
