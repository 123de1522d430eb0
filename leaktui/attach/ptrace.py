"""Run a line of Python in another CPython process, through ptrace (Linux, x86-64).

Python 3.14 has ``sys.remote_exec``; before it, tools stop the process under a debugger
and call into the interpreter. gdb's way of calling a function saves and restores every
register, the vector state too; where the kernel will not take that state back (seen: gdb
13.1 in a Firecracker VM on a Xeon with AMX, "Couldn't write extended state status: Bad
address") the process dies. So this module calls a few functions itself, with the
general-purpose registers only:

1. ``mmap`` (libc), for a page that holds the code;
2. ``Py_AddPendingCall(PyRun_SimpleString, page)``, which asks the interpreter to run the
   code in its main thread, at its next safe point, with the GIL held.

A process whose main thread waits in a system call without the GIL (a prefork child
waiting for its next task blocks in read() until one comes, so a queued call would wait as
long) gets the code run at once instead, as a C extension's callback would run it:
``PyGILState_Ensure``, ``PyRun_SimpleString``, ``PyGILState_Release``. The thread runs
that from the page itself (``_trampoline``), then puts its own registers back and goes
back into its system call: leaktui lets it go at once, and whatever becomes of leaktui
then, the thread finishes and carries on.

Only the main thread is stopped, and only while it waits in a system call: there, the
calling convention lets a callee clobber every vector register, so those need not be
saved. A thread that is running code is let go at once and tried again a little later.
The thread's registers are restored before it is let go (or by the trampoline), and the
system call it was in is restarted as after any signal. Signals that arrive meanwhile are
held and sent again. The page (4 KiB) stays mapped: the queued call reads it later.

The functions' addresses are this process's own, moved to where the same files are
mapped in the target: the target must run the same interpreter file and the same libc,
which ``functions`` checks first (it names the file that differs).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

PTRACE_CONT = 7
PTRACE_GETREGS = 12
PTRACE_SETREGS = 13
PTRACE_DETACH = 17
PTRACE_SEIZE = 0x4206
PTRACE_INTERRUPT = 0x4207
WALL = 0x40000000
PAGE = 4096
CALL_TIMEOUT = 5.0
"""Seconds a called function may take (mmap, queueing a call: microseconds)."""
WAITING = frozenset({0, 7, 23, 35, 43, 45, 47, 61, 230, 232, 247, 270, 271, 281, 288, 441})
"""System calls that wait (read, poll, select, nanosleep, accept, recvfrom, recvmsg, wait4,
clock_nanosleep, epoll_wait, waitid, pselect6, ppoll, epoll_pwait, accept4, epoll_pwait2).
Not mmap, brk and the like, which malloc makes holding its locks."""
FUTEX = 202
"""futex waits count only on memory shared between processes (``shared_futex``): the
children of a prefork pool wait on a semaphore there for their turn to read a task. A
futex in the process's own memory may be the GIL's condition variable or a lock that the
code to run would need, and a thread stopped inside that wait must not wait on it again:
made to take the GIL from inside its wait for it, a thread never comes back (a test in
tests/integration/test_attach.py shows it). Those get the queued call instead."""


class InjectError(Exception):
    """Injection failed; the process was left as it was. The message is for the user."""


_REGISTERS = (
    *("r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx"),
    *("rdx", "rsi", "rdi", "orig_rax", "rip", "cs", "eflags", "rsp", "ss", "fs_base"),
    *("gs_base", "ds", "es", "fs", "gs"),
)


class _Regs(ctypes.Structure):
    """struct user_regs_struct (x86-64)."""

    _fields_ = [(name, ctypes.c_ulonglong) for name in _REGISTERS]


_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_libc.ptrace.restype = ctypes.c_long
_libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]


def _ptrace(request: int, pid: int, addr: int = 0, data: object = 0) -> int:
    result = _libc.ptrace(request, pid, addr, data)
    if result == -1:
        err = ctypes.get_errno()
        if err:
            raise OSError(err, os.strerror(err))
    return result


@dataclass(frozen=True)
class Mapping:
    start: int
    offset: int
    inode: tuple[int, int]
    """(device, inode) of the file mapped."""
    path: str


def mappings(pid: int | str) -> list[Mapping]:
    """The file-backed mappings of a process, from /proc/PID/maps."""
    try:
        text = Path(f"/proc/{pid}/maps").read_text()
    except FileNotFoundError:
        raise InjectError(f"pid {pid}: no such process") from None
    except PermissionError:
        raise InjectError(
            f"pid {pid}: cannot read /proc/{pid}/maps (another user's process: run leaktui "
            "attach as that user)"
        ) from None
    out = []
    for line in text.splitlines():
        parts = line.split(maxsplit=5)
        if len(parts) < 6 or not parts[5].startswith("/"):
            continue
        start = int(parts[0].split("-")[0], 16)
        major, minor = (int(x, 16) for x in parts[3].split(":"))
        out.append(
            Mapping(start, int(parts[2], 16), (os.makedev(major, minor), int(parts[4])), parts[5])
        )
    return out


def shared_futex(pid: int, address: int) -> bool:
    """Whether ``address`` lies in a mapping shared between processes (``rw-s``), as a
    process-shared semaphore does; the GIL and the locks of one process do not."""
    try:
        text = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False
    for line in text.splitlines():
        span, perms = line.split(maxsplit=2)[:2]
        start, end = (int(x, 16) for x in span.split("-"))
        if start <= address < end:
            return perms.endswith("s")
    return False


def _address(name: str, library: ctypes.CDLL) -> int:
    return ctypes.cast(getattr(library, name), ctypes.c_void_p).value or 0


def _moved(address: int, mine: list[Mapping], theirs: list[Mapping]) -> int | None:
    """Where ``address`` of this process is in the target: the same offset in the same file."""
    here = [m for m in mine if m.start <= address]
    if not here:
        return None
    m = max(here, key=lambda m: m.start)
    delta = address - m.start + m.offset
    for t in theirs:
        if t.inode == m.inode and t.offset == m.offset:
            return t.start + delta - t.offset
    return None


def functions(pid: int) -> dict[str, int]:
    """The target's addresses of mmap, Py_AddPendingCall and PyRun_SimpleString; an
    InjectError naming the file that differs when the target does not map ours."""
    mine, theirs = mappings("self"), mappings(pid)
    wanted = {"mmap": _address("mmap", _libc), "mprotect": _address("mprotect", _libc)} | {
        name: _address(name, ctypes.pythonapi)
        for name in (
            "Py_AddPendingCall",
            "PyRun_SimpleString",
            "PyGILState_Check",
            "PyGILState_Ensure",
            "PyGILState_Release",
        )
    }
    found = {}
    for name, address in wanted.items():
        moved = _moved(address, mine, theirs)
        if moved is None:
            file = next((m.path for m in mine if m.start <= address), "?")
            raise InjectError(
                f"pid {pid} does not run the same {Path(file).name} as leaktui ({file}): "
                "run leaktui attach with the worker's own Python (install leaktui there)"
            )
        found[name] = moved
    return found


def run_python(pid: int, code: str, tries: int = 100) -> str:
    """Have ``pid``'s main thread run ``code`` (see the module's docstring): ``now`` (it
    runs it as it is let go) or ``queued`` (at its next safe point)."""
    data = code.encode() + b"\0"
    if len(data) > PAGE:
        raise InjectError("the code to inject is over 4 KiB")
    where = functions(pid)
    for _ in range(tries):
        with _Stopped(pid) as stopped:
            if stopped.syscall >= 0:
                page = stopped.call(where["mmap"], 0, PAGE, 3, 0x22, 2**64 - 1, 0)
                if page >= 2**64 - 4096:  # -errno
                    raise InjectError(f"pid {pid}: mmap failed ({os.strerror(2**64 - page)})")
                waits = stopped.syscall in WAITING or (
                    stopped.syscall == FUTEX and shared_futex(pid, stopped.saved.rdi)
                )
                if waits and stopped.call(where["PyGILState_Check"]) == 0:
                    blob = _trampoline(page, data, stopped.saved, where)
                    stopped.write(page, blob)
                    if stopped.call(where["mprotect"], page, PAGE, 5) != 0:  # read, execute
                        raise InjectError(f"pid {pid}: mprotect refused an executable page")
                    stopped.hand_over(page, _stack(stopped.saved))
                    return "now"
                stopped.write(page, data)
                queued = stopped.call(where["Py_AddPendingCall"], where["PyRun_SimpleString"], page)
                if queued != 0:
                    raise InjectError(f"pid {pid}: the interpreter's queue of calls is full")
                return "queued"
        time.sleep(0.02)
    raise InjectError(
        f"pid {pid}: its main thread never waited in a system call in {tries * 0.02:g} s "
        "(busy on the CPU); try again when the worker is less busy"
    )


class _Stopped:
    """The main thread stopped under ptrace (PTRACE_SEIZE, then PTRACE_INTERRUPT); on exit
    its registers are put back, held signals sent again, and it is let go. SIGINT and
    SIGTERM wait meanwhile: leaktui must not die with the thread's registers changed."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.saved = _Regs()
        self.held: list[int] = []
        self.syscall = -1
        """The system call the thread waits in, or -1 while it runs code."""
        self.handed = False

    def __enter__(self) -> _Stopped:
        self._mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            _ptrace(PTRACE_SEIZE, self.pid)
        except OSError as exc:
            signal.pthread_sigmask(signal.SIG_SETMASK, self._mask)
            raise _refused(self.pid, exc) from None
        try:
            _ptrace(PTRACE_INTERRUPT, self.pid)
            self._wait_stop(expect_trap=True)
            _ptrace(PTRACE_GETREGS, self.pid, 0, ctypes.byref(self.saved))
        except BaseException:
            self._detach()
            raise
        # orig_rax is the system call's number while the thread is in one, -1 otherwise.
        if self.saved.orig_rax != 2**64 - 1:
            self.syscall = self.saved.orig_rax
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if not self.handed:
                _ptrace(PTRACE_SETREGS, self.pid, 0, ctypes.byref(self.saved))
        finally:
            self._detach()

    def hand_over(self, code: int, stack: int) -> None:
        """Let the thread go at ``code``, which puts its registers back itself (see
        ``_trampoline``): leaktui need not wait for it, nor outlive it."""
        regs = _Regs.from_buffer_copy(self.saved)
        regs.rip, regs.rsp = code, stack
        regs.orig_rax = 2**64 - 1  # the system call is restarted by the code, not the kernel
        _ptrace(PTRACE_SETREGS, self.pid, 0, ctypes.byref(regs))
        self.handed = True

    def _detach(self) -> None:
        try:
            with contextlib.suppress(OSError):
                _ptrace(PTRACE_DETACH, self.pid, 0, 0)
            for sig in self.held:
                with contextlib.suppress(OSError):
                    os.kill(self.pid, sig)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, self._mask)

    def write(self, address: int, data: bytes) -> None:
        fd = os.open(f"/proc/{self.pid}/mem", os.O_RDWR)
        try:
            if os.pwrite(fd, data, address) != len(data):
                raise InjectError(f"pid {self.pid}: a short write to its memory")
        finally:
            os.close(fd)

    def call(self, function: int, *args: int) -> int:
        """Call ``function(*args)`` on the stopped thread; it returns to address 0, which
        stops the thread again (SIGSEGV, never delivered). Returns rax. For functions that
        return at once (mmap, mprotect, PyGILState_Check, Py_AddPendingCall)."""
        regs = _Regs.from_buffer_copy(self.saved)
        for name, value in zip(("rdi", "rsi", "rdx", "rcx", "r8", "r9"), args, strict=False):
            setattr(regs, name, value)
        regs.rip, regs.rax = function, 0
        regs.orig_rax = 2**64 - 1  # no system call to restart while the function runs
        sp = ((self.saved.rsp - 1024) & ~0xF) - 8  # below the red zone; aligned at entry
        self.write(sp, (0).to_bytes(8, "little"))
        regs.rsp = sp
        _ptrace(PTRACE_SETREGS, self.pid, 0, ctypes.byref(regs))
        _ptrace(PTRACE_CONT, self.pid, 0, 0)
        self._wait_stop(expect_trap=False)
        done = _Regs()
        _ptrace(PTRACE_GETREGS, self.pid, 0, ctypes.byref(done))
        if done.rip != 0:
            raise InjectError(f"pid {self.pid}: a call stopped at {done.rip:#x}, not at its return")
        return done.rax

    def _wait_stop(self, expect_trap: bool) -> None:
        """Wait for the thread's stop: the interrupt's trap, or the call's return (SIGSEGV
        at address 0). Other signals that stop it meanwhile are held for later."""
        deadline = time.monotonic() + CALL_TIMEOUT
        while time.monotonic() < deadline:
            try:
                waited, status = os.waitpid(self.pid, os.WNOHANG | WALL)
            except ChildProcessError:
                raise InjectError(f"pid {self.pid} ended") from None
            if waited == 0:
                time.sleep(0.001)
                continue
            if not os.WIFSTOPPED(status):
                raise InjectError(f"pid {self.pid} ended")
            sig = os.WSTOPSIG(status)
            if expect_trap and sig == signal.SIGTRAP and status >> 16:
                return  # PTRACE_EVENT_STOP: the interrupt
            if not expect_trap and sig == signal.SIGSEGV:
                return
            if status >> 16 == 0:  # a signal on its way in: hold it, let the thread go on
                self.held.append(sig)
            _ptrace(PTRACE_CONT, self.pid, 0, 0)
        raise InjectError(f"pid {self.pid} did not stop within {CALL_TIMEOUT:g} s")


ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK = 512, 513, 514, 516
RESTART_SYSCALL = 219
"""__NR_restart_syscall: what the kernel resumes a restart-block system call with."""
_CODE, _BLOCK, _TARGET, _TEXT = 0, 512, 768, 1024
"""Offsets in the page: the machine code, the registers to put back, the address to go
back to, and the Python source."""
_POPS = (
    (b"\x41\x5f", "r15"),
    (b"\x41\x5e", "r14"),
    (b"\x41\x5d", "r13"),
    (b"\x41\x5c", "r12"),
    (b"\x5d", "rbp"),
    (b"\x5b", "rbx"),
    (b"\x41\x5b", "r11"),
    (b"\x41\x5a", "r10"),
    (b"\x41\x59", "r9"),
    (b"\x41\x58", "r8"),
    (b"\x58", "rax"),
    (b"\x59", "rcx"),
    (b"\x5a", "rdx"),
    (b"\x5e", "rsi"),
    (b"\x5f", "rdi"),
)


def _stack(saved: _Regs) -> int:
    """Below the thread's stack and its red zone, 16-byte aligned as a call expects."""
    return (saved.rsp - 1024) & ~0xF


def _trampoline(page: int, text: bytes, saved: _Regs, where: dict[str, int]) -> bytes:
    """The page the thread runs on its own, x86-64 machine code then data:

        state = PyGILState_Ensure(); PyRun_SimpleString(text); PyGILState_Release(state)
        then every general register as it was, the flags, the stack, and a jump back into
        the system call it was waiting in, restarted as the kernel restarts one after a
        signal with no handler (or returning what it returned, if it was not restarting).

    Only callee-clobbered vector registers change: the thread was inside a system call."""
    if len(text) > PAGE - _TEXT:
        raise InjectError("the code to inject is over 3 KiB")
    rax, rip = saved.rax, saved.rip
    error = 2**64 - rax if rax >= 2**64 - 4096 else 0
    if error in (ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND):
        rax, rip = saved.orig_rax, rip - 2  # execute the syscall instruction again
    elif error == ERESTART_RESTARTBLOCK:
        rax, rip = RESTART_SYSCALL, rip - 2
    values = {name: getattr(saved, name) for _, name in _POPS} | {"rax": rax}

    def movabs(register: bytes, value: int) -> bytes:
        return register + value.to_bytes(8, "little")

    code = b"".join(
        (
            movabs(b"\x48\xb8", where["PyGILState_Ensure"]),  # mov rax, imm64
            b"\xff\xd0",  # call rax
            b"\x89\xc3",  # mov ebx, eax: the state, kept in a callee-saved register
            movabs(b"\x48\xbf", page + _TEXT),  # mov rdi, imm64
            movabs(b"\x48\xb8", where["PyRun_SimpleString"]),
            b"\xff\xd0",
            b"\x89\xdf",  # mov edi, ebx
            movabs(b"\x48\xb8", where["PyGILState_Release"]),
            b"\xff\xd0",
            movabs(b"\x48\xbc", page + _BLOCK),  # mov rsp, imm64: the registers saved
            *(pop for pop, _ in _POPS),
            b"\x9d",  # popfq
            b"\x48\x8b\x24\x24",  # mov rsp, [rsp]: the thread's own stack
        )
    )
    jump = _CODE + len(code) + 6  # jmp [rip + disp32]: disp32 counts from the next one
    code += b"\xff\x25" + (_TARGET - jump).to_bytes(4, "little", signed=True)
    block = b"".join(values[name].to_bytes(8, "little") for _, name in _POPS)
    block += saved.eflags.to_bytes(8, "little") + saved.rsp.to_bytes(8, "little")
    blob = bytearray(PAGE)
    blob[_CODE : _CODE + len(code)] = code
    blob[_BLOCK : _BLOCK + len(block)] = block
    blob[_TARGET : _TARGET + 8] = rip.to_bytes(8, "little")
    blob[_TEXT : _TEXT + len(text)] = text
    return bytes(blob)


def _refused(pid: int, exc: OSError) -> InjectError:
    """Why the kernel would not let leaktui trace ``pid``, and what to do."""
    if exc.errno == errno.ESRCH:
        return InjectError(f"pid {pid}: no such process")
    if exc.errno != errno.EPERM:
        return InjectError(f"pid {pid}: ptrace: {exc.strerror}")
    with contextlib.suppress(OSError, ValueError, StopIteration):
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
        tracer = int(next(ln for ln in status if ln.startswith("TracerPid:")).split()[1])
        if tracer:
            return InjectError(f"pid {pid} is being traced already, by pid {tracer} (a debugger)")
    with contextlib.suppress(OSError):
        if os.stat(f"/proc/{pid}").st_uid != os.geteuid() and os.geteuid() != 0:
            return InjectError(
                f"pid {pid} belongs to another user: run leaktui attach as that user"
            )
    scope = None
    with contextlib.suppress(OSError, ValueError):
        scope = int(Path("/proc/sys/kernel/yama/ptrace_scope").read_text())
    if scope:
        return InjectError(
            f"pid {pid}: kernel.yama.ptrace_scope is {scope}, which forbids tracing it: run "
            "leaktui attach with sudo"
            + (" (scope 3 forbids it even then)" if scope == 3 else "")
            + ", or 'sysctl kernel.yama.ptrace_scope=0'"
        )
    return InjectError(
        f"pid {pid}: the kernel refused ptrace (EPERM): in a container, tracing needs "
        "CAP_SYS_PTRACE (docker run --cap-add SYS_PTRACE)"
    )
