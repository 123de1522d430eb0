"""Errors that reach the user as one line and a non-zero exit."""

from __future__ import annotations


class BadInput(Exception):
    """A file or argument leaktui cannot use; the message names it (``FILE:LINE: what``).

    The command line prints the message alone and exits with status 2.
    """
