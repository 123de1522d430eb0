"""The sample CSV of docs/formats.md: written by export and record, read by verdict and replay.

A header row, then one row per process per tick. Timestamps are ISO 8601 with an offset and
milliseconds, sizes are bytes, empty means unknown. The reader accepts any column order and
extra columns, needs only ``timestamp``, ``pid`` and ``rss_bytes``, and rejects a malformed
file with ``FILE:LINE: what is wrong``.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta, timezone
from typing import IO

from leaktui.core.atomic import atomic_write
from leaktui.core.errors import BadInput
from leaktui.core.model import Row, Sample

COLUMNS = (
    "timestamp",
    "host",
    "worker",
    "pid",
    "role",
    "rss_bytes",
    "vms_bytes",
    "uss_bytes",
    "swap_bytes",
    "num_fds",
    "num_threads",
    "cpu_percent",
    "tasks",
)
REQUIRED = ("timestamp", "pid", "rss_bytes")

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MS = timedelta(milliseconds=1)


def to_ms(seconds: float) -> int:
    """Seconds since the epoch to whole milliseconds: the resolution of every stored time."""
    return round(seconds * 1000)


def format_timestamp(seconds: float) -> str:
    """``2026-11-23T10:15:02.125+00:00``: exact to the millisecond, in UTC."""
    return (_EPOCH + to_ms(seconds) * _MS).isoformat(timespec="milliseconds")


def parse_timestamp(text: str) -> float:
    """The inverse of format_timestamp for any ISO 8601 time with an offset.

    Raises ValueError for a time without an offset: it would be ambiguous.
    """
    text = text.strip()
    if text.endswith(("Z", "z")):  # Python 3.10's fromisoformat does not take Z
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("expected ISO 8601 like 2026-11-23T10:15:02.125+00:00") from None
    if moment.tzinfo is None:
        raise ValueError("it has no UTC offset, so the moment is ambiguous")
    return round((moment - _EPOCH) / _MS) / 1000


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def row_cells(row: Row) -> list[str]:
    s = row.sample
    return [
        format_timestamp(s.time),
        row.host or "",
        row.worker or "",
        str(s.pid),
        row.role or "",
        str(s.rss),
        *(
            _cell(v)
            for v in (s.vms, s.uss, s.swap, s.num_fds, s.num_threads, s.cpu_percent, s.tasks)
        ),
    ]


def write_csv(rows: Iterable[Row], path: str | os.PathLike[str]) -> int:
    """Write ``rows`` to ``path`` atomically; returns the number of rows written."""
    count = 0
    with atomic_write(path, newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow(row_cells(row))
            count += 1
    return count


# -- reading ---------------------------------------------------------------------------------


def _optional(parse: Callable[[str], object]) -> Callable[[str], object]:
    def read(text: str) -> object:
        text = text.strip()
        return None if text == "" else parse(text)

    return read


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError("expected a whole number") from None
    if value < 0:
        raise ValueError("it is negative")
    return value


def _role(text: str) -> str:
    if text not in ("main", "child"):
        raise ValueError("it must be main or child")
    return text


def _percent(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("expected a number") from None
    if value != value or value < 0:  # NaN or negative
        raise ValueError("it must be a number of 0 or more")
    return value


# column -> (Sample/Row field, parser)
_FIELDS: dict[str, tuple[str, Callable[[str], object]]] = {
    "timestamp": ("time", parse_timestamp),
    "pid": ("pid", _count),
    "rss_bytes": ("rss", _count),
    "host": ("host", _optional(str)),
    "worker": ("worker", _optional(str)),
    "role": ("role", _optional(_role)),
    "vms_bytes": ("vms", _optional(_count)),
    "uss_bytes": ("uss", _optional(_count)),
    "swap_bytes": ("swap", _optional(_count)),
    "num_fds": ("num_fds", _optional(_count)),
    "num_threads": ("num_threads", _optional(_count)),
    "cpu_percent": ("cpu_percent", _optional(_percent)),
    "tasks": ("tasks", _optional(_count)),
}
_ROW_FIELDS = {"host", "worker", "role"}


def _decoded_lines(handle: IO[bytes], name: str) -> Iterator[str]:
    """Decode line by line, so that bad bytes are reported on their own line."""
    for number, raw in enumerate(handle, 1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BadInput(f"{name}:{number}: not UTF-8 text") from None
        yield text.removeprefix("\ufeff") if number == 1 else text  # Excel's BOM


def read_csv(path: str | os.PathLike[str]) -> Iterator[Row]:
    """Rows of a sample CSV, in file order; raises BadInput naming the file and line."""
    name = os.fspath(path)
    try:
        handle = open(name, "rb")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise BadInput(f"{name}: cannot read it: {exc.strerror}") from exc
    with handle:
        reader = csv.reader(_decoded_lines(handle, name))
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise BadInput(f"{name}:1: not a sample CSV: {exc}") from exc
        if not header:
            raise BadInput(f"{name}:1: the file is empty; expected a header row")
        columns = [c.strip().lower() for c in header]
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            raise BadInput(f"{name}:1: the header lacks the column(s) {', '.join(missing)}")
        wanted = [(i, c, *_FIELDS[c]) for i, c in enumerate(columns) if c in _FIELDS]
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise BadInput(f"{name}:{reader.line_num}: {exc}") from exc
            line = reader.line_num
            if not cells or all(not c.strip() for c in cells):
                continue  # blank lines are harmless
            if len(cells) != len(columns):
                raise BadInput(
                    f"{name}:{line}: {len(cells)} fields where the header has {len(columns)}"
                )
            sample_args: dict[str, object] = {}
            row_args: dict[str, object] = {}
            for index, column, field, parse in wanted:
                text = cells[index]
                if column in REQUIRED and not text.strip():
                    raise BadInput(f"{name}:{line}: {column} is empty")
                try:
                    value = parse(text)
                except ValueError as exc:
                    raise BadInput(f"{name}:{line}: {column} {text!r}: {exc}") from exc
                (row_args if field in _ROW_FIELDS else sample_args)[field] = value
            yield Row(sample=Sample(**sample_args), **row_args)  # type: ignore[arg-type]
