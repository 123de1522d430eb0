"""The command line as a user meets it: help, version, and one-line errors with status 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from harness import run_leaktui

import leaktui


def test_version() -> None:
    result = run_leaktui("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"leaktui {leaktui.__version__}"


def test_help_lists_the_commands() -> None:
    result = run_leaktui("--help")
    assert result.returncode == 0
    for command in ("ps", "record", "export"):
        assert command in result.stdout


def test_the_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "leaktui"
    if not script.exists():
        pytest.skip("leaktui is not installed as a console script in this environment")
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == f"leaktui {leaktui.__version__}"


def test_ps_json_has_the_documented_shape() -> None:
    result = run_leaktui("ps", "--json", "--match", "no-such-worker-anywhere")
    assert result.returncode == 0
    document = json.loads(result.stdout)
    assert document["workers"] == []
    assert isinstance(document["host"], str)
    assert document["system"]["mem_total"] > 0


def test_ps_explains_why_it_found_no_worker() -> None:
    result = run_leaktui("ps", "--match", "no-such-worker-anywhere")
    assert result.returncode == 0
    assert "No Celery workers found." in result.stdout
    assert "--match 'no-such-worker-anywhere' may exclude them" in result.stderr


def test_an_option_before_the_command_is_not_dropped() -> None:
    """`leaktui --match X ps` is `leaktui ps --match X`: the command's own copy of the option
    must not overwrite it with its default."""
    result = run_leaktui("--match", "no-such-worker-anywhere", "ps")
    assert result.returncode == 0
    assert "--match 'no-such-worker-anywhere' may exclude them" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["record", "-o", "x.csv", "--interval", "0"], "'0' must be more than 0 seconds"),
        (["record", "-o", "x.csv", "--interval", "soon"], "'soon' is not a number of seconds"),
        (["record", "-o", "x.csv", "--match", "w(1"], "'w(1' is not a valid regular expression"),
        (["record", "-o", "/no/such/folder/x.csv"], "the folder /no/such/folder does not exist"),
        (["export", "missing.sqlite", "-o", "x.csv"], "missing.sqlite: no such file"),
        (["ps", "--frobnicate"], "unrecognized arguments: --frobnicate"),
    ],
)
def test_bad_input_is_one_clear_line_and_status_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = run_leaktui(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_never_overwrites_an_existing_file_without_force(tmp_path: Path) -> None:
    precious = tmp_path / "x.csv"
    precious.write_text("keep me\n")
    result = run_leaktui("record", "-o", "x.csv", "--duration", "0.1", cwd=tmp_path)
    assert result.returncode == 2
    assert "x.csv: the file exists; choose another name or pass --force" in result.stderr
    assert precious.read_text() == "keep me\n"


def test_record_writes_its_journal_under_xdg_state_home(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "leaktui",
            "record",
            "-o",
            "x.csv",
            "--duration",
            "0.3",
            "--interval",
            "0.1",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")},
    )
    assert result.returncode == 0, result.stderr
    sessions = list((tmp_path / "state" / "leaktui" / "sessions").glob("*.sqlite"))
    assert len(sessions) == 1
    assert str(sessions[0]) in result.stderr
    assert (tmp_path / "x.csv").read_text().startswith("timestamp,host,worker,pid,")
