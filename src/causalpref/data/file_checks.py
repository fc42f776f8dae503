"""What a data file's first bytes say before it is parsed: empty, binary, another format.

A file that is not what its name says gets one message naming what it looks like and the fix,
instead of a parser's error or a list of unreadable lines.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

from causalpref.errors import DataValidationError, Problem

HEAD_BYTES = 8192
GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
UTF8_BOM = b"\xef\xbb\xbf"
# Leading bytes of formats people pass by mistake: (magic, what it is, how to read it instead).
MAGIC = (
    (GZIP_MAGIC, "gzip-compressed", "decompress it (only .jsonl.gz files are read compressed)"),
    (PARQUET_MAGIC, "a Parquet file", "name it .parquet (or pass format='parquet')"),
    (b"PK\x03\x04", "a ZIP archive", "extract the data file from it"),
    (b"\x89PNG", "a PNG image", "pass the data file instead"),
    (b"\xff\xd8\xff", "a JPEG image", "pass the data file instead"),
    (b"%PDF", "a PDF document", "pass the data file instead"),
    (b"\xff\xfe", "UTF-16 encoded", "save it as UTF-8"),
    (b"\xfe\xff", "UTF-16 encoded", "save it as UTF-8"),
)
NO_ROWS = "has no rows"


def check_file(path: Path, fmt: str) -> None:
    """DataValidationError if the file is empty or its first bytes do not fit format `fmt`."""
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    problem = _empty(head) or _format_problem(path, head, fmt)
    if problem:
        raise DataValidationError([problem], str(path))


def _empty(head: bytes) -> Problem | None:
    if not head:
        return Problem(None, f"{NO_ROWS}: the file is empty (0 bytes)")
    return None


def _format_problem(path: Path, head: bytes, fmt: str) -> Problem | None:
    if fmt == "parquet":
        return _parquet_problem(path, head)
    if fmt == "jsonl.gz":
        if not head.startswith(GZIP_MAGIC):
            return Problem(
                None,
                "is not gzip-compressed (it lacks the gzip magic bytes 1f 8b); name it "
                f"{_plain_name(path)} if it is plain JSON Lines, or compress it with gzip",
            )
        head = _gunzipped_head(path)
        if not head:
            return None  # an empty archive: no rows, reported by the reader
    return _text_problem(head, fmt)


def _parquet_problem(path: Path, head: bytes) -> Problem | None:
    if head.startswith(PARQUET_MAGIC):
        with open(path, "rb") as handle:
            handle.seek(-len(PARQUET_MAGIC), 2)
            if handle.read() != PARQUET_MAGIC:
                return Problem(
                    None,
                    "is a damaged Parquet file: it does not end with the magic bytes PAR1 "
                    "(truncated?); write it again",
                )
        return None
    looks = _looks_like(head) or ("text" if not _is_binary(head) else "binary data")
    return Problem(
        None,
        f"is not a Parquet file (it does not start with the magic bytes PAR1; it looks like "
        f"{looks}); name it after its real format (.jsonl, .json, .csv) or pass format=",
    )


def _text_problem(head: bytes, fmt: str) -> Problem | None:
    what = {"csv": "CSV", "json": "JSON"}.get(fmt, "JSON Lines")
    looks = _looks_like(head)
    if looks:
        fix = next(f for m, w, f in MAGIC if w == looks)
        return Problem(None, f"is not a {what} text file: it is {looks}; {fix}")
    if _is_binary(head):
        return Problem(
            None,
            f"is not a {what} text file: it holds binary data (a NUL byte at byte "
            f"{head.index(0)}); pass a UTF-8 {what} file",
        )
    return None


def _looks_like(head: bytes) -> str | None:
    return next((what for magic, what, _ in MAGIC if head.startswith(magic)), None)


def _is_binary(head: bytes) -> bool:
    """NUL bytes do not occur in UTF-8 text files but almost always in binary ones."""
    return b"\x00" in head


def _gunzipped_head(path: Path) -> bytes:
    try:
        with gzip.open(path, "rb") as handle:
            return handle.read(HEAD_BYTES)
    except (OSError, EOFError, zlib.error) as e:
        raise DataValidationError(
            [Problem(None, f"is a damaged gzip file ({e}); compress the data again")], str(path)
        ) from e


def _plain_name(path: Path) -> str:
    name = path.name
    return name[: -len(".gz")] if name.lower().endswith(".gz") else name
