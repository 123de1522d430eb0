"""What the agent and its clients agree on: where a process's channel is, the commands and
their arguments, and the limits. The one module both sides share: standard library only.

One request per connection: a JSON object on one line, at most MAX_REQUEST bytes; one
answer: a JSON object on one line, at most MAX_ANSWER bytes, ``{"ok": true, ...}`` or
``{"ok": false, "error": "..."}``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

VERSION = 1
MAX_REQUEST = 4096
MAX_ANSWER = 256 * 1024
MAX_LIMIT = 200
"""Rows a growth or most-common answer may hold."""
MAX_DEPTH = 20
"""Links a back-reference chain may hold."""
TYPE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]{0,199}$")
"""A type's name, optionally qualified by its module: matched, never evaluated."""

MAX_FRAMES = 25
"""Frames tracemalloc may keep per allocation for ``allocs``."""
MAX_WINDOW = 600.0
"""Seconds an ``allocs`` window may last."""
MAX_TASKS = 100_000

COMMANDS = ("ping", "growth", "common", "chain", "gc", "report", "allocs", "result", "tasks")
TICKET = re.compile(r"^[0-9a-f]{16}$")
"""A pending request's ticket (``result``, through the broker only)."""


class ProtocolError(ValueError):
    """A request that is not one the agent answers; the message says why."""

    exit_status = 2
    """Bad input, as ``leaktui.core.errors.ExitStatus.BAD_INPUT`` (the agent's side of the
    protocol imports nothing of leaktui's core)."""


def channel_dir(uid: int | None = None) -> Path:
    """The private folder (0700) of one user's channels: LEAKTUI_RUNTIME_DIR, else
    /tmp/leaktui-UID. Fixed rather than $TMPDIR, so a client finds another process's."""
    base = os.environ.get("LEAKTUI_RUNTIME_DIR")
    uid = os.getuid() if uid is None else uid
    return Path(base) / f"leaktui-{uid}" if base else Path(f"/tmp/leaktui-{uid}")


def channel_path(pid: int, uid: int | None = None) -> Path:
    return channel_dir(uid) / f"{pid}.sock"


def check_request(request: object) -> dict:
    """The request with its arguments checked and defaulted; ProtocolError otherwise."""
    if not isinstance(request, dict):
        raise ProtocolError("a request is a JSON object")
    command = request.get("command")
    if command not in COMMANDS:
        raise ProtocolError(f"unknown command {command!r}; known: {', '.join(COMMANDS)}")
    out: dict = {"command": command}
    limit = request.get("limit", 20)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise ProtocolError(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    out["limit"] = limit
    if command in ("chain", "report") and "type" in request:
        name = request["type"]
        if not isinstance(name, str) or not TYPE_NAME.match(name):
            raise ProtocolError("type must be a type's name, such as dict or tasks.Invoice")
        out["type"] = name
    elif command == "chain":
        raise ProtocolError("chain needs a type")
    depth = request.get("depth", MAX_DEPTH)
    if not isinstance(depth, int) or isinstance(depth, bool) or not 1 <= depth <= MAX_DEPTH:
        raise ProtocolError(f"depth must be a whole number from 1 to {MAX_DEPTH}")
    out["depth"] = depth
    if command == "allocs":
        out.update(_allocs_arguments(request))
    if command == "result":
        ticket = request.get("ticket")
        if not isinstance(ticket, str) or not TICKET.match(ticket):
            raise ProtocolError("result needs the ticket a pending answer gave")
        out["ticket"] = ticket
    return out


def _allocs_arguments(request: dict) -> dict:
    """``seconds`` (the window, default 10; with ``tasks``, the most it may last),
    ``tasks`` (until that many more tasks finish), ``frames`` (1 to MAX_FRAMES) and
    ``keep`` (leave tracemalloc tracing afterwards)."""
    out: dict = {}
    seconds = request.get("seconds", 10.0 if "tasks" not in request else 300.0)
    if (
        not isinstance(seconds, (int, float))
        or isinstance(seconds, bool)
        or not 0 < seconds <= MAX_WINDOW
    ):
        raise ProtocolError(f"seconds must be a number above 0, at most {MAX_WINDOW:g}")
    out["seconds"] = float(seconds)
    if "tasks" in request:
        tasks = request["tasks"]
        if not isinstance(tasks, int) or isinstance(tasks, bool) or not 1 <= tasks <= MAX_TASKS:
            raise ProtocolError(f"tasks must be a whole number from 1 to {MAX_TASKS}")
        out["tasks"] = tasks
    frames = request.get("frames", 1)
    if not isinstance(frames, int) or isinstance(frames, bool) or not 1 <= frames <= MAX_FRAMES:
        raise ProtocolError(f"frames must be a whole number from 1 to {MAX_FRAMES}")
    out["frames"] = frames
    keep = request.get("keep", False)
    if not isinstance(keep, bool):
        raise ProtocolError("keep must be true or false")
    out["keep"] = keep
    return out


def encode(message: dict) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


def decode(line: bytes, limit: int) -> dict:
    if len(line) > limit:
        raise ProtocolError(f"message longer than {limit} bytes")
    try:
        value = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolError(f"not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ProtocolError("a message is a JSON object")
    return value
