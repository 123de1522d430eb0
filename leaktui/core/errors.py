"""Errors that reach the user as one line and a non-zero exit, and the exit statuses.

Every error a user can cause or meet carries its exit status, so that the command line
catches them in one place (``leaktui.commands.main``) and prints the message alone.
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """What ``leaktui`` exits with; ``leaktui verdict`` documents 0, 1 and 2 for cron."""

    OK = 0
    FAILED = 1
    """Something did not work out that is not the input's fault: an agent that did not
    answer, a journal that could not be written, an attach refused."""
    LEAKING = 1
    """``leaktui verdict``: a process or worker leaks memory or file descriptors."""
    BAD_INPUT = 2
    """A file or argument leaktui cannot use."""
    INTERRUPTED = 130
    """Ctrl-C, as a shell reports it."""


class LeaktuiError(Exception):
    """An error whose message is for the user, as it is, on one line."""

    exit_status: ExitStatus = ExitStatus.FAILED


class BadInput(LeaktuiError):
    """A file or argument leaktui cannot use; the message names it (``FILE:LINE: what``)."""

    exit_status = ExitStatus.BAD_INPUT
