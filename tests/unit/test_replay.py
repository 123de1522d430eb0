"""A recording played back as Snapshots: the verdicts are those known at each moment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leaktui.commands import main
from leaktui.core import csvfile
from leaktui.core.errors import BadInput
from leaktui.core.model import Row, Sample
from leaktui.core.replay import Player, survey

MIB = 1 << 20
T0 = 1_800_000_000.0


def leaking_recording(path: Path, hours: float = 2.0, every: float = 10.0) -> Path:
    """A worker whose one child leaks 30 MiB/h, and its flat main process."""
    rows = []
    for i in range(int(hours * 3600 / every)):
        t = T0 + i * every
        rows.append(Row(Sample(10, t, 60 * MIB), "w1@h", "main", "h"))
        rows.append(
            Row(Sample(11, t, int(80 * MIB + 30 * MIB * i * every / 3600)), "w1@h", "child", "h")
        )
    csvfile.write_csv(rows, path)
    return path


def test_survey_counts_ticks_and_finds_the_pace(tmp_path: Path) -> None:
    info = survey(leaking_recording(tmp_path / "r.csv", hours=1))
    assert info.ticks == 360
    assert info.host == "h"
    assert info.interval == pytest.approx(10.0)


def test_an_empty_recording_is_bad_input_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    csvfile.write_csv([], path)
    with pytest.raises(BadInput, match=r"empty\.csv"):
        survey(path)


def test_snapshots_rebuild_workers_and_carry_the_verdicts_of_their_moment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = leaking_recording(tmp_path / "r.csv")
    snapshots = list(Player(survey(path)).snapshots())
    assert len(snapshots) == 720
    first, last = snapshots[0], snapshots[-1]
    (worker,) = last.workers
    assert (worker.name, worker.main_pid, worker.children) == ("w1@h", 10, (11,))
    assert first.verdicts[("w1@h", 11)].memory.kind == "insufficient"
    assert last.verdicts[("w1@h", 11)].memory.kind == "leak"
    # The same moments as `leaktui verdict --timeline`, which is what live would have shown.
    assert main(["verdict", str(path), "--timeline"]) == 1
    changes = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    became_leak = next(c for c in changes if c["pid"] == 11 and c["verdict"] == "leak")
    index = next(
        i for i, s in enumerate(snapshots) if s.verdicts[("w1@h", 11)].memory.kind == "leak"
    )
    assert csvfile.format_timestamp(snapshots[index].time) == became_leak["timestamp"]
