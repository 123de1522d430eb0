"""Read a recorded session, whichever form it is in: a journal or a sample CSV."""

from __future__ import annotations

import os
from collections.abc import Iterator

from leaktui.core import csvfile, journal
from leaktui.core.errors import BadInput
from leaktui.core.model import Row


def read_rows(path: str | os.PathLike[str]) -> Iterator[Row]:
    """Every recorded sample in ``path``; raises BadInput naming the file (and line)."""
    name = os.fspath(path)
    if not os.path.exists(name):
        raise BadInput(f"{name}: no such file")
    if os.path.isdir(name):
        raise BadInput(f"{name}: is a folder, not a session journal or CSV")
    if journal.is_journal(name):
        return journal.read_journal(name)
    return csvfile.read_csv(name)
