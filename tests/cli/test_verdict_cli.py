"""`leaktui verdict` on recordings: the table, the JSON, the timeline and the exit status."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from harness import run_leaktui

from leaktui.core import csvfile
from leaktui.core.model import Row, Sample

MIB = 1 << 20
T0 = 1_800_000_000.0


def recording(path: Path, leak_mib_per_h: float, hours: float = 2, fd_leak: bool = False) -> Path:
    """A worker with a stable main and a child that leaks at the given rate, every 5 s."""
    rng = random.Random(7)
    rows = []
    for i in range(int(hours * 3600 / 5)):
        t, h = T0 + i * 5, i * 5 / 3600
        saw = (i * 5 % 120) / 120 * 6 * MIB
        main = 60 * MIB + saw + rng.gauss(0, MIB / 2)
        child = 80 * MIB + leak_mib_per_h * MIB * h + saw + rng.gauss(0, MIB / 2)
        fds = 20 + (int(h * 200) if fd_leak else 0)
        rows.append(Row(Sample(pid=100, time=t, rss=int(main), num_fds=12), "w1@h", "main", "h"))
        rows.append(Row(Sample(pid=101, time=t, rss=int(child), num_fds=fds), "w1@h", "child", "h"))
    csvfile.write_csv(rows, path)
    return path


def test_a_leak_exits_1_and_says_so(tmp_path: Path) -> None:
    result = run_leaktui("verdict", str(recording(tmp_path / "r.csv", 10)))
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:4] == ["WORKER", "PID", "VERDICT", "RATE/H"]
    child = next(line for line in lines if " 101 " in line)
    assert "LEAK" in child
    assert "+10." in child or "+9." in child


def test_nothing_leaking_exits_0(tmp_path: Path) -> None:
    result = run_leaktui("verdict", str(recording(tmp_path / "r.csv", 0)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "LEAK" not in result.stdout


def test_json_has_one_object_per_process_and_one_per_worker(tmp_path: Path) -> None:
    result = run_leaktui("verdict", "--json", str(recording(tmp_path / "r.csv", 10)))
    verdicts = {(v["worker"], v["pid"]): v for v in json.loads(result.stdout)}
    assert set(verdicts) == {("w1@h", 100), ("w1@h", 101), ("w1@h", None)}
    child = verdicts[("w1@h", 101)]
    assert child["verdict"] == "leak"
    low, high = child["rate_ci_bytes_per_hour"]
    assert low <= 10 * MIB <= high
    assert child["fd_verdict"] == "stable"
    assert verdicts[("w1@h", 100)]["verdict"] == "stable"
    assert verdicts[("w1@h", None)]["verdict"] == "leak", "the worker's sum leaks too"
    assert set(child) >= {
        "rate_bytes_per_hour",
        "bytes_per_task",
        "level_bytes",
        "limit_bytes",
        "limit_kind",
        "eta_seconds",
        "eta_ci_seconds",
        "reason",
    }


def test_an_fd_leak_is_flagged_and_exits_1(tmp_path: Path) -> None:
    result = run_leaktui("verdict", "--json", str(recording(tmp_path / "r.csv", 0, fd_leak=True)))
    assert result.returncode == 1
    child = next(v for v in json.loads(result.stdout) if v["pid"] == 101)
    assert child["verdict"] == "stable"
    assert child["fd_verdict"] == "leak"


def test_the_timeline_is_what_was_known_at_each_moment(tmp_path: Path) -> None:
    result = run_leaktui("verdict", "--timeline", str(recording(tmp_path / "r.csv", 10)))
    events = [json.loads(line) for line in result.stdout.splitlines()]
    stamps = [csvfile.parse_timestamp(e["timestamp"]) for e in events]
    assert stamps == sorted(stamps)
    child = [e["verdict"] for e in events if e["pid"] == 101]
    assert child[0] == "insufficient"
    assert child[-1] == "leak"
    assert "suspect" in child, "growth is suspected before it is called a leak"
    first = {}
    for e in events:
        if e["pid"] == 101:
            first.setdefault(e["verdict"], csvfile.parse_timestamp(e["timestamp"]))
    # Known only as the evidence grew: suspected first, then called, minutes apart.
    assert first["suspect"] + 5 * 60 <= first["leak"]
    assert first["leak"] - T0 >= 10 * 60


def test_min_rate_raises_the_bar(tmp_path: Path) -> None:
    path = recording(tmp_path / "r.csv", 10)
    assert run_leaktui("verdict", "--min-rate", "50MiB", str(path)).returncode == 0
    assert run_leaktui("verdict", "--min-rate", "2MiB/h", str(path)).returncode == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["verdict", "missing.csv"], "missing.csv: no such file"),
        (["verdict", "--min-rate", "lots", "x.csv"], "'lots' is not a size per hour"),
    ],
)
def test_bad_input_exits_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = run_leaktui(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr


def test_a_malformed_file_exits_2_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("timestamp,pid,rss_bytes\n2026-11-23T10:00:00Z,1,oops\n")
    result = run_leaktui("verdict", str(path))
    assert result.returncode == 2
    assert result.stderr == f"leaktui: {path}:2: rss_bytes 'oops': expected a whole number\n"
