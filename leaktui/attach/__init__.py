"""``leaktui attach``: load the agent into a worker that was started without it.

Each process of the worker (the main process, then each pool child) is asked to run a
few fixed lines: put the folders leaktui and objgraph are installed in at the end of
``sys.path`` (the worker's own packages come first), import ``leaktui.agent`` and open its
channel. On Python 3.14 and later the lines go through ``sys.remote_exec``; before, through
``ptrace`` (``leaktui.attach.ptrace``). Nothing from a request is ever run: the lines are
these, with paths filled in. The channel appearing is the proof that it worked; a failure
inside the worker is written where this module reads it back.

Once the main process has the agent, the children Celery starts later (recycled ones
too) open their channels as any child of an agent-loaded worker does.
"""

from __future__ import annotations

import contextlib
import os
import platform
import pwd
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from leaktui.core.discover import Discoverer
from leaktui.core.errors import LeaktuiError
from leaktui.protocol import channel_dir
from leaktui.remote import has_agent

WAIT = 10.0
"""Seconds to wait for a process's channel once the lines are queued: they run when its
main thread next runs Python code (a worker waiting for tasks wakes every second)."""

_LINES = """\
try:
    import sys
    for path in {paths!r}:
        if path not in sys.path:
            sys.path.append(path)
    import leaktui.agent
    leaktui.agent.attached()
except BaseException as exc:
    try:
        import os
        os.makedirs({folder!r}, mode=0o700, exist_ok=True)
        with open({error!r}, "w") as f:
            f.write(type(exc).__name__ + ": " + str(exc))
    except BaseException:
        pass
"""


class AttachError(LeaktuiError):
    """The worker could not be attached to; the message says why and what to do."""


@dataclass(frozen=True)
class Attached:
    pid: int
    role: str
    outcome: str
    """``loaded``, ``already`` (it had the agent) or ``failed``."""
    detail: str = ""


def attach(pid: int, wait: float = WAIT) -> list[Attached]:
    """Load the agent into every process of the worker that ``pid`` belongs to."""
    found = Discoverer().scan()
    worker = next((w for w in found.workers if pid in w.pids), None)
    if worker is None:
        raise AttachError(
            f"pid {pid} is not a process of a Celery worker on this host ('leaktui ps' "
            "lists them); attach loads the agent into Celery workers only"
        )
    _same_user(pid)
    _same_mount_namespace(pid)
    out = []
    for each in worker.pids:  # the main process first: later children then get the agent
        role = found.processes[each].role if each in found.processes else "?"
        out.append(_one(each, role, wait))
    return out


def _same_user(pid: int) -> None:
    """Only its owner (or root) may trace a process: say so before touching it."""
    try:
        owner = os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return  # gone: the attach of each process will tell
    if os.geteuid() in (0, owner):
        return
    try:
        name = pwd.getpwuid(owner).pw_name
    except KeyError:
        name = f"#{owner}"
    raise AttachError(
        f"pid {pid} belongs to user {name}: run leaktui attach as that user "
        f"(sudo -u {name} leaktui attach {pid}) or as root"
    )


def _same_mount_namespace(pid: int) -> None:
    try:
        theirs, mine = os.stat(f"/proc/{pid}/ns/mnt"), os.stat("/proc/self/ns/mnt")
    except OSError:
        return  # unknown: the checks of the files mapped will tell
    if theirs.st_ino != mine.st_ino:
        raise AttachError(
            f"pid {pid} runs in another container (mount namespace): run leaktui attach "
            "inside it, where leaktui's files are the ones the worker can import"
        )


def _one(pid: int, role: str, wait: float) -> Attached:
    if has_agent(pid):
        return Attached(pid, role, "already")
    try:
        uid = os.stat(f"/proc/{pid}").st_uid
    except FileNotFoundError:
        return Attached(pid, role, "failed", f"pid {pid} ended (a child recycled meanwhile?)")
    folder = channel_dir(uid)
    error = folder / f"{pid}.attach-error"
    with contextlib.suppress(OSError):
        error.unlink()
    lines = _LINES.format(paths=_paths(), folder=str(folder), error=str(error))
    code = f"exec({lines!r}, {{'__name__': 'leaktui_attach'}})"
    try:
        _inject(pid, code)
    except AttachError as exc:
        return Attached(pid, role, "failed", str(exc))
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if has_agent(pid):
            return Attached(pid, role, "loaded")
        if error.exists():
            with contextlib.suppress(OSError):
                text = error.read_text()
                error.unlink()
                return Attached(pid, role, "failed", f"pid {pid}: in the worker: {text}")
        time.sleep(0.05)
    return Attached(
        pid,
        role,
        "failed",
        f"pid {pid}: queued, but no channel within {wait:g} s: its main thread has not run "
        "Python code since (a long call in C?); the agent loads when it does",
    )


def _paths() -> list[str]:
    """Where leaktui and objgraph are installed: what the worker needs to import them."""
    import objgraph

    import leaktui

    return list(
        dict.fromkeys([str(Path(leaktui.__file__).parents[1]), str(Path(objgraph.__file__).parent)])
    )


def _inject(pid: int, code: str) -> None:
    if hasattr(sys, "remote_exec"):  # Python 3.14 and later
        _remote_exec(pid, code)
        return
    if platform.machine() != "x86_64":
        raise AttachError(
            f"attach before Python 3.14 works on x86-64 only, not {platform.machine()}: "
            "restart the worker with -I leaktui.agent"
        )
    from leaktui.attach import ptrace

    try:
        ptrace.run_python(pid, code)
    except ptrace.InjectError as exc:
        raise AttachError(str(exc)) from None
    except OSError as exc:
        raise AttachError(f"pid {pid}: {exc.strerror or exc}") from None


def _remote_exec(pid: int, code: str) -> None:
    """sys.remote_exec runs a script file at the target's next safe point. The file is
    left for it to read (it holds the lines above, nothing secret) in a fresh temporary
    folder; it is small, and the system's temporary files are cleaned."""
    folder = Path(tempfile.mkdtemp(prefix="leaktui-attach-"))
    script = folder / "attach.py"
    script.write_text(code)
    folder.chmod(0o755)
    script.chmod(0o644)
    try:
        sys.remote_exec(pid, str(script))  # type: ignore[attr-defined]
    except PermissionError:
        raise AttachError(
            f"pid {pid}: not allowed to debug it: run leaktui attach as its user or with sudo"
        ) from None
    except RuntimeError as exc:
        raise AttachError(
            f"pid {pid}: {exc} (remote debugging may be off in it: PYTHON_DISABLE_REMOTE_DEBUG "
            "or -X disable_remote_debug)"
        ) from None
    except OSError as exc:
        raise AttachError(f"pid {pid}: {exc}") from None
