"""The local control channel: a Unix socket per process in its user's private folder.

The folder is 0700 and must belong to this user, the socket is 0600, and a peer must be
this user (or root): nothing here is reachable by another user. One request per
connection, answered in a thread of its own; any failure becomes an error answer,
never an exception in the worker.
"""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import struct
import threading
from collections.abc import Callable
from pathlib import Path

from leaktui.protocol import (
    MAX_ANSWER,
    MAX_REQUEST,
    ProtocolError,
    channel_dir,
    channel_path,
    check_request,
    decode,
    encode,
)

_PEERCRED = struct.Struct("3i")  # pid, uid, gid
BUSY = 4
"""Requests a channel answers at once."""


class Channel:
    """Listens on ``<dir>/<pid>.sock`` until stopped or the process ends."""

    def __init__(self, handle: Callable[[dict], dict]) -> None:
        self.handle = handle
        self.owner = os.getpid()
        self.path = channel_path(self.owner)
        self._sock: socket.socket | None = None
        self._inode: int | None = None
        self._busy = threading.BoundedSemaphore(BUSY)

    def start(self) -> None:
        folder = channel_dir()
        folder.mkdir(mode=0o700, exist_ok=True)
        info = os.lstat(folder)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            raise PermissionError(f"{folder} is not a folder of this user's")
        if stat.S_IMODE(info.st_mode) & 0o077:
            raise PermissionError(f"{folder} is open to other users (mode {info.st_mode:o})")
        _remove_stale(folder)
        # Bound under another name, renamed once it listens: a client that finds PID.sock
        # must not connect between bind() and listen() and be refused.
        partial = self.path.with_suffix(".binding")
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            old = os.umask(0o177)
            try:
                sock.bind(str(partial))
            finally:
                os.umask(old)
            sock.listen(8)
            os.replace(partial, self.path)  # also over a socket a crash left under this pid
        except OSError:
            sock.close()
            with contextlib.suppress(OSError):
                partial.unlink()
            raise
        self._sock = sock
        self._inode = os.stat(self.path).st_ino
        threading.Thread(target=self._serve, name="leaktui-agent", daemon=True).start()

    def abandon(self) -> None:
        """In a forked child: drop the parent's listening socket without removing its file."""
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None

    def stop(self) -> None:
        """Close and remove the socket file, if it is still ours: a forked child that
        inherited this object (and its atexit hook) must not remove its parent's."""
        if os.getpid() != self.owner:
            self.abandon()
            return
        sock, self._sock = self._sock, None
        if sock is None:
            return
        with contextlib.suppress(OSError):
            sock.close()
        with contextlib.suppress(OSError):
            if os.stat(self.path).st_ino == self._inode:
                self.path.unlink()

    def _serve(self) -> None:
        while self._sock is not None:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return  # closed by stop()
            # Each request in a thread of its own: an allocs window lasts seconds, and a
            # ping must not wait for it. At most BUSY at once; the rest are told so.
            if not self._busy.acquire(blocking=False):
                with conn, contextlib.suppress(Exception):
                    conn.sendall(encode({"ok": False, "error": "busy: too many requests"}))
                continue
            threading.Thread(
                target=self._served, args=(conn,), name="leaktui-agent-request", daemon=True
            ).start()

    def _served(self, conn: socket.socket) -> None:
        # A client that went away mid-answer: there is nobody left to tell.
        try:
            with conn, contextlib.suppress(Exception):
                self._one(conn)
        finally:
            self._busy.release()

    def _one(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        _pid, uid, _gid = _PEERCRED.unpack(
            conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEERCRED.size)
        )
        if uid not in (os.getuid(), 0):
            conn.sendall(encode({"ok": False, "error": "not this process's user"}))
            return
        line = _read_line(conn)
        try:
            reply = self.handle(check_request(decode(line, MAX_REQUEST)))
        except ProtocolError as exc:
            reply = {"ok": False, "error": str(exc)}
        except Exception as exc:  # the worker must never see the agent fail
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        data = encode(reply)
        if len(data) > MAX_ANSWER:
            data = encode({"ok": False, "error": f"answer over {MAX_ANSWER} bytes: ask for fewer"})
        conn.sendall(data)


def _read_line(conn: socket.socket) -> bytes:
    data = b""
    while b"\n" not in data and len(data) <= MAX_REQUEST:
        chunk = conn.recv(MAX_REQUEST + 1 - len(data))
        if not chunk:
            break
        data += chunk
    return data.split(b"\n", 1)[0] if b"\n" in data else data


def _remove_stale(folder: Path) -> None:
    """Sockets of processes that died without removing theirs (kill -9), named or not yet."""
    for path in [*folder.glob("*.sock"), *folder.glob("*.binding")]:
        pid = path.stem
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            with contextlib.suppress(OSError):
                path.unlink()


def ask_local(pid: int, request: dict, timeout: float) -> dict:
    """Relay a checked request to another process's channel (the main process asking one
    of its children, for a request that came through the broker)."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(channel_path(pid)))
            sock.sendall(encode(request))
            data = b""
            while len(data) <= MAX_ANSWER:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        return decode(data.strip(), MAX_ANSWER + 1)
    except FileNotFoundError:
        return {"ok": False, "error": f"pid {pid} has no channel (it is starting or ending)"}
    except TimeoutError:
        return {"ok": False, "error": f"pid {pid} did not answer within {timeout:g} s"}
    except (OSError, ProtocolError) as exc:
        return {"ok": False, "error": f"pid {pid}: {exc}"}
