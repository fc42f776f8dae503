"""What the command line says about a failure: a one-line message with its fix for every
expected failure (our errors, OS errors, undecodable text, too deep nesting, no memory), and a
request to report anything else as a bug."""

from __future__ import annotations

import errno
import shlex
import sys

from causalpref.errors import CausalPrefError

OS_HINTS = {
    errno.ENOENT: "check the path",
    errno.EACCES: "check its permissions, or choose another path",
    errno.EPERM: "check its permissions, or choose another path",
    errno.EISDIR: "it is a folder; pass a file",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.ENOSPC: "free some space, or write somewhere else",
    errno.EDQUOT: "free some space, or write somewhere else",
    errno.EROFS: "the file system is read-only; choose another path",
}


def failure_message(err: BaseException) -> str | None:
    """The one-line message of an expected failure; None for a bug."""
    if isinstance(err, CausalPrefError):
        return str(err)
    if isinstance(err, OSError):
        return _os_message(err)
    if isinstance(err, UnicodeDecodeError):
        return (
            f"cannot decode text as {err.encoding} (byte {err.start}: {err.reason}); save the "
            "file as UTF-8"
        )
    if isinstance(err, UnicodeEncodeError):
        bad = err.object[err.start : err.end]
        return (
            f"text cannot be written as {err.encoding}: {bad!r} at character {err.start} "
            f"({err.reason}; a lone surrogate such as '\\ud800' is not text); fix or drop "
            "that value"
        )
    if isinstance(err, UnicodeError):
        return f"text could not be decoded or encoded ({err}); save the file as UTF-8"
    if isinstance(err, RecursionError):
        return (
            "the input is nested too deeply to process (Python's recursion limit); flatten the "
            "nested values (chat lists, JSON cells) or drop those rows"
        )
    if isinstance(err, MemoryError):
        return (
            "out of memory; use a smaller input, a smaller --batch-size or --hidden-dim, or a "
            "machine with more memory"
        )
    return None


def _os_message(err: OSError) -> str:
    """'<path>: <what>; <hint>' for an OS error."""
    what = err.strerror or str(err)
    where = err.filename
    if where is not None and err.filename2 is not None:
        where = f"{err.filename} -> {err.filename2}"
    hint = OS_HINTS.get(err.errno)
    text = f"{where}: {what}" if where is not None else what
    return f"{text}; {hint}" if hint else text


def bug_report(argv: list[str]) -> str:
    """The line printed under a bug's traceback: what failed, and what to report."""
    from causalpref import __version__

    command = shlex.join(["causalpref", *argv])
    return (
        f"causalpref {__version__} failed unexpectedly running `{command}`: this is a bug; "
        "please report it with the traceback above, this line and the Python version "
        f"({sys.version.split()[0]})"
    )
