"""The sample CSV: exact round trips, a tolerant reader, and errors that name FILE:LINE."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from harness import run_leaktui
from hypothesis import given, settings
from hypothesis import strategies as st

from leaktui.core import csvfile
from leaktui.core.errors import BadInput
from leaktui.core.model import Row, Sample

HEADER = ",".join(csvfile.COLUMNS)
LINE = (  # the example row of docs/formats.md
    "2026-11-23T10:15:02.125+00:00,linode-1,w1@linode-1,4412,child,58720256,301989888,,0,14,3,"
    "1.5,120"
)


def write(tmp_path: Path, text: str, name: str = "s.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_the_design_example_exactly(tmp_path: Path) -> None:
    (row,) = csvfile.read_csv(write(tmp_path, f"{HEADER}\n{LINE}\n"))
    assert row.host == "linode-1"
    assert row.worker == "w1@linode-1"
    assert row.role == "child"
    assert row.sample == Sample(
        pid=4412,
        time=1795428902.125,
        rss=58720256,
        vms=301989888,
        uss=None,
        swap=0,
        num_fds=14,
        num_threads=3,
        cpu_percent=1.5,
        tasks=120,
    )


def test_writes_the_design_format(tmp_path: Path) -> None:
    (row,) = csvfile.read_csv(write(tmp_path, f"{HEADER}\n{LINE}\n"))
    out = tmp_path / "out.csv"
    assert csvfile.write_csv([row], out) == 1
    assert out.read_text() == f"{HEADER}\n{LINE}\n"


def test_accepts_any_column_order_extra_columns_and_only_the_required_ones(tmp_path: Path) -> None:
    text = "note,rss_bytes,pid,timestamp\nhello,1000,7,2026-11-23T10:00:00Z\n\n"
    (row,) = csvfile.read_csv(write(tmp_path, text))
    assert row.sample == Sample(pid=7, time=1795428000.0, rss=1000)
    assert row.worker is None


def test_timestamps_with_other_offsets_mean_the_same_moment() -> None:
    assert csvfile.parse_timestamp("2026-11-23T11:15:02.125+01:00") == csvfile.parse_timestamp(
        "2026-11-23T10:15:02.125+00:00"
    )


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "s.csv:1: the file is empty"),
        ("timestamp,pid\n", "s.csv:1: the header lacks the column(s) rss_bytes"),
        (
            f"{HEADER}\n{LINE}\n{LINE.replace(',4412,', ',abc,')}\n",
            "s.csv:3: pid 'abc': expected a whole number",
        ),
        (f"{HEADER}\n{LINE.replace('+00:00', '')}\n", "s.csv:2: timestamp "),
        (f"{HEADER}\n{LINE.replace('2026-11-23T', 'yesterday ')}\n", "expected ISO 8601"),
        (f"{HEADER}\n{LINE},extra\n", "s.csv:2: 14 fields where the header has 13"),
        (f"{HEADER}\n{LINE.replace(',child,', ',worker,')}\n", "s.csv:2: role 'worker'"),
        (
            f"{HEADER}\n{LINE.replace(',58720256,', ',-5,')}\n",
            "s.csv:2: rss_bytes '-5': it is negative",
        ),
        (f"{HEADER}\n{LINE.replace(',58720256,', ',,')}\n", "s.csv:2: rss_bytes is empty"),
    ],
)
def test_malformed_files_name_the_file_and_line(tmp_path: Path, text: str, error: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(BadInput) as raised:
        list(csvfile.read_csv(path))
    message = str(raised.value)
    assert message.startswith(str(tmp_path))
    assert error in message
    assert "\n" not in message


def test_reads_a_file_saved_by_excel_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes(b"\xef\xbb\xbf" + f"{HEADER}\r\n{LINE}\r\n".encode())
    (row,) = csvfile.read_csv(path)
    assert row.sample.pid == 4412


def test_rejects_binary_data_with_a_line_number(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes(f"{HEADER}\n{LINE}\n".encode() + b"\xff\xfe\x00junk\n")
    with pytest.raises(BadInput, match=r"s\.csv:3: not UTF-8"):
        list(csvfile.read_csv(path))


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    out = write(tmp_path, "precious\n", "out.csv")

    def rows():
        yield Row(Sample(pid=1, time=0.0, rss=1))
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        csvfile.write_csv(rows(), out)
    assert out.read_text() == "precious\n"
    assert os.listdir(tmp_path) == ["out.csv"]


def test_a_written_file_gets_the_umask_mode(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    csvfile.write_csv([], out)
    umask = os.umask(0o022)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask


# -- properties ------------------------------------------------------------------------------

sizes = st.one_of(st.none(), st.integers(0, 1 << 50))
samples = st.builds(
    Sample,
    pid=st.integers(1, 4_194_304),
    time=st.integers(0, 4_102_444_800_000).map(lambda ms: ms / 1000),  # 1970-2100, in ms
    rss=st.integers(0, 1 << 50),
    vms=sizes,
    uss=sizes,
    swap=sizes,
    num_fds=st.one_of(st.none(), st.integers(0, 1 << 20)),
    num_threads=st.one_of(st.none(), st.integers(1, 10_000)),
    cpu_percent=st.one_of(st.none(), st.integers(0, 100_000).map(lambda t: t / 10)),
    tasks=st.one_of(st.none(), st.integers(0, 1 << 40)),
)
names = st.one_of(
    st.none(),
    st.text(st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=30).filter(
        lambda s: s.strip() == s
    ),
)
rows = st.builds(
    Row,
    sample=samples,
    worker=names,
    role=st.one_of(st.none(), st.sampled_from(["main", "child"])),
    host=names,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(rows, max_size=20))
def test_round_trip_is_exact(tmp_path_factory: pytest.TempPathFactory, recorded: list[Row]) -> None:
    path = tmp_path_factory.mktemp("rt") / "r.csv"
    csvfile.write_csv(recorded, path)
    assert list(csvfile.read_csv(path)) == recorded


def test_the_command_line_reports_bad_csv_in_one_line_with_status_2(tmp_path: Path) -> None:
    bad = write(tmp_path, f"{HEADER}\n{LINE}\n{LINE.replace(',4412,', ',x,')}\n")
    result = run_leaktui("export", str(bad), "-o", str(tmp_path / "o.csv"))
    assert result.returncode == 2
    assert result.stderr == f"leaktui: {bad}:3: pid 'x': expected a whole number\n"
    assert not (tmp_path / "o.csv").exists()
