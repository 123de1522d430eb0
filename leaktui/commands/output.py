"""What the commands print besides their results: progress, and the checks on files they
are about to write."""

from __future__ import annotations

import contextlib
import json
import os
import sys

from leaktui.core.errors import BadInput


def say(text: str, end: str = "\n") -> None:
    """Progress on stderr; a terminal that went away (SIGHUP) must not stop the recording."""
    with contextlib.suppress(OSError, ValueError):
        print(text, end=end, file=sys.stderr, flush=True)


def print_json(value: object) -> None:
    print(json.dumps(value, indent=2))


def refuse_overwrite(path: str, force: bool) -> None:
    """A file is replaced only with --force, and only in a folder that exists (checked
    before any work, so that a long recording does not end in an error)."""
    if not force and os.path.exists(path):
        raise BadInput(f"{path}: the file exists; choose another name or pass --force")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise BadInput(f"{path}: the folder {directory} does not exist")
