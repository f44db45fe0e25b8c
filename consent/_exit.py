"""Exit codes shared by the ``consent`` command and its groups (``consent ledger ...``).

A module of its own so that a command group never imports :mod:`consent.cli`, which loads the groups.
"""

from __future__ import annotations

import os
import sys

from .errors import ProblemsError

#: All good.
EXIT_OK = 0
#: The command's question was answered "no" (findings, a broken chain, nothing found).
EXIT_FAIL = 1
#: The command could not run (bad input, bad arguments, an unreachable database).
EXIT_ERROR = 2
#: ``consent diff``: a change to what a purpose or vendor does awaits a person's decision.
EXIT_REVIEW = 3
#: The reader of our output went away (``consent ledger export | head``): 128 + SIGPIPE, the status a
#: shell reports for a command that SIGPIPE ended, so ``set -o pipefail`` scripts still see a cut-short run.
EXIT_BROKEN_PIPE = 141


def report_problems(error: ProblemsError) -> int:
    """Write every problem of a file that cannot be used, one per line; the exit code to return."""
    sys.stderr.write("".join(f"{problem}\n" for problem in error.problems))
    return EXIT_ERROR


def silence_stdout() -> None:
    """Point stdout at ``/dev/null`` after its reader closed the pipe.

    Without this the interpreter's final flush of stdout fails again and prints "Exception ignored ...
    BrokenPipeError" on the way out.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)


__all__ = [
    "EXIT_BROKEN_PIPE",
    "EXIT_ERROR",
    "EXIT_FAIL",
    "EXIT_OK",
    "EXIT_REVIEW",
    "report_problems",
    "silence_stdout",
]
