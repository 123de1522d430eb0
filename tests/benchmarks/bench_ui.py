"""The monitor's own costs: first frame, applying a big snapshot, CPU while monitoring.

    python tests/benchmarks/bench_ui.py [--seconds 60] [--rounds 200]

1. Start to first frame: the real ``leaktui`` in a pseudo-terminal of 120x40, timed from
   spawn to the first frame on the terminal, and to the first frame that shows workers.
2. Applying one snapshot with 100 workers and 500 processes (every RSS changed, as at a
   real tick), in the app headless: the handler (table and panel updated by difference),
   and the handler plus the next frame drawn. Snapshots are a second apart, so the host
   memory chart is drawn every 30th: its frames are the maximum.
3. leaktui's own CPU while monitoring 200 processes (25 worker-shaped process trees of one
   main and 7 children, 30 MiB each, titled like Celery's) at a 1 s interval: the real
   ``leaktui`` in a pseudo-terminal, CPU time of its process over the measured window; and
   htop's, in a terminal of the same size refreshing every second, in the same window
   (where htop is installed).
Stops every process it starts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import os
import pty
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tui"))

from tui_fakes import LEAK, MIB, STABLE, FakeSource, snapshot, worker  # noqa: E402

from leaktui.tui.app import LeakTuiApp  # noqa: E402

TREE = """
import os, sys, setproctitle
name = sys.argv[1]
held = b"\\x01" * (30 << 20)
kids = []
for k in range(7):
    pid = os.fork()
    if pid == 0:
        setproctitle.setproctitle(f"[celeryd: {name}:ForkPoolWorker-{k + 1}]")
        mine = b"\\x02" * (30 << 20)
        sys.stdin.read()
        os._exit(0)
    kids.append(pid)
setproctitle.setproctitle(f"[celeryd: {name}:MainProcess] -active- (worker -c 7)")
sys.stdin.read()
for pid in kids:
    os.waitpid(pid, 0)
"""


class Terminal:
    """A command in a pseudo-terminal; remembers when each marker first appeared."""

    def __init__(self, argv: list[str], markers: list[bytes], size: tuple[int, int]) -> None:
        self.markers = dict.fromkeys(markers)
        master, slave = pty.openpty()
        cols, rows = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(cols), LINES=str(rows))
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        os.close(slave)
        self.master = master
        self._seen = b""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            self._seen = (self._seen + chunk)[-4096:]
            now = time.monotonic() - self.started
            for marker, at in self.markers.items():
                if at is None and marker in self._seen:
                    self.markers[marker] = now

    def wait(self, marker: bytes, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while self.markers[marker] is None:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise TimeoutError(f"never saw {marker!r}")
            time.sleep(0.01)
        return self.markers[marker]  # type: ignore[return-value]

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self.master, b"q")
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


def leaktui(folder: Path, match: str) -> list[str]:
    session = folder / f"session-{time.monotonic_ns()}.sqlite"
    return [sys.executable, "-m", "leaktui", "--session", str(session), "--match", match]


Row = tuple[str, str]
"""What was measured, and the figure: one row of the Markdown table printed at the end."""


def first_frame(folder: Path, runs: int) -> list[Row]:
    print("timing the start to the first frame…", file=sys.stderr)
    blank, data = [], []
    for _ in range(runs):
        # The footer is in every frame; the status line shows "0 workers" once sampled.
        term = Terminal(leaktui(folder, "^bench-"), [b"Quit", b"0 workers"], (120, 40))
        try:
            blank.append(term.wait(b"Quit", 30))
            data.append(term.wait(b"0 workers", 30))
        finally:
            term.close()
    where = f"real `leaktui` in a 120x40 pseudo-terminal, median of {runs}"
    return [
        (f"start to first frame, {where}", f"{statistics.median(blank) * 1000:.0f} ms"),
        (
            f"start to the first frame with a sample, {where}",
            f"{statistics.median(data) * 1000:.0f} ms",
        ),
    ]


async def _apply(rounds: int) -> dict[str, list[float]]:
    fleet = [worker(f"w{i:03d}@bench", 10_000 + i * 10, children=4) for i in range(100)]
    source = FakeSource()
    app = LeakTuiApp(source)
    out: dict[str, list[float]] = {"handler": [], "handler + frame, CPU": [], "frame, wall": []}
    async with app.run_test(size=(120, 40)) as pilot:
        for tick in range(1, rounds + 1):
            rows = [
                (w, (100 + (tick + i) % 50) * MIB, LEAK if i % 7 else STABLE)
                for i, w in enumerate(fleet)
            ]
            app.mailbox.put(snapshot(tick, rows))
            wall, cpu = time.perf_counter(), time.process_time()
            app._snapshots_ready()  # what the SnapshotsReady message runs
            out["handler"].append(time.perf_counter() - wall)
            await pilot.pause()  # until the frame is drawn (waits for the refresh timer too)
            out["handler + frame, CPU"].append(time.process_time() - cpu)
            out["frame, wall"].append(time.perf_counter() - wall)
    return out


def apply_snapshot(rounds: int) -> list[Row]:
    print("applying snapshots of 100 workers and 500 processes…", file=sys.stderr)
    rows = []
    for name, values in asyncio.run(_apply(rounds)).items():
        ordered = sorted(values[5:])  # the first rounds add the rows
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        rows.append(
            (
                f"one snapshot of 100 workers and 500 processes, {name} (headless, 120x40, "
                f"{len(ordered)} snapshots)",
                f"median {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
                f"max {ordered[-1] * 1000:.1f} ms",
            )
        )
    return rows


def cpu_while_monitoring(folder: Path, seconds: float) -> list[Row]:
    print("measuring leaktui's CPU (and htop's, beside it) over 200 processes…", file=sys.stderr)
    trees: list[subprocess.Popen] = []
    terms: list[Terminal] = []
    try:
        for i in range(25):
            trees.append(
                subprocess.Popen(
                    [sys.executable, "-c", TREE, f"bench-{i:02d}@ui"], stdin=subprocess.PIPE
                )
            )
        deadline = time.monotonic() + 120
        while sum(len(psutil.Process(t.pid).children()) for t in trees) < 175:
            if time.monotonic() > deadline:
                raise TimeoutError("process trees did not start")
            time.sleep(0.1)
        ours = Terminal(leaktui(folder, "^bench-"), [b"25 workers"], (120, 40))
        terms.append(ours)
        ours.wait(b"25 workers", 60)
        watched = {"leaktui": psutil.Process(ours.proc.pid)}
        htop = shutil.which("htop")
        if htop:  # the tool people already run, same terminal size, same 1 s refresh
            theirs = Terminal([htop, "--delay", "10"], [b"Load average"], (120, 40))
            terms.append(theirs)
            theirs.wait(b"Load average", 30)
            watched["htop"] = psutil.Process(theirs.proc.pid)
        time.sleep(5)  # past start-up: the steady state is what runs for hours
        before = {name: p.cpu_times() for name, p in watched.items()}
        t0 = time.monotonic()
        time.sleep(seconds)
        elapsed = time.monotonic() - t0
        rows = []
        for name, p in watched.items():
            after = p.cpu_times()
            used = (after.user - before[name].user) + (after.system - before[name].system)
            rows.append(
                (
                    f"{name}'s CPU with 200 processes (25 worker-shaped trees) at 1 s, "
                    f"in a 120x40 pseudo-terminal, over {elapsed:.0f} s, the two side by side",
                    f"{used / elapsed * 100:.1f} % of one core, "
                    f"RSS {p.memory_info().rss / MIB:.0f} MiB",
                )
            )
        if not htop:
            rows.append(("htop beside it", "not installed: not measured"))
        return rows
    finally:
        for term in terms:
            term.close()
        for t in trees:
            with contextlib.suppress(OSError):
                t.stdin.close()  # type: ignore[union-attr]
        for t in trees:
            try:
                t.wait(timeout=10)
            except subprocess.TimeoutExpired:
                t.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="CPU measuring window")
    parser.add_argument("--rounds", type=int, default=200, help="snapshots applied")
    parser.add_argument("--runs", type=int, default=5, help="start-ups timed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        rows = first_frame(Path(folder), args.runs)
        rows += apply_snapshot(args.rounds)
        rows += cpu_while_monitoring(Path(folder), args.seconds)
    print("| what | figure |\n|---|---|")
    for what, figure in rows:
        print(f"| {what} | {figure} |")


if __name__ == "__main__":
    main()
