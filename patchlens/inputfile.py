"""Reading one input file whole, with its memory bounded.

Mailboxes and profiles are read whole, so the read itself must refuse
what cannot be one: a file over the size limit (a 3 GB sparse file is
refused by its size, before a byte is read), a special file or a pipe
that never ends (endless stdin or a named pipe: read in chunks, refused
at the limit; a device such as ``/dev/zero`` is not read at all), and
binary data (a NUL byte: refused at the first chunk
holding one).  Each refusal is one :class:`InputError` line.
"""

from __future__ import annotations

import os
import stat
import sys
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from patchlens.errors import InputError

__all__ = ["CHUNK", "read_limited", "gunzip_limited", "NOT_TEXT"]

CHUNK = 1 << 20
NOT_TEXT = "binary data (NUL bytes), not a text file"


def _chunks(fh: BinaryIO) -> Iterator[bytes]:
    while True:
        chunk = fh.read(CHUNK)
        if not chunk:
            return
        yield chunk


def _gather(chunks: Iterator[bytes], where: str, limit: int, text: bool,
            what: str, not_text: str = NOT_TEXT) -> bytes:
    got: list[bytes] = []
    total = 0
    for chunk in chunks:
        if text and b"\0" in chunk:
            raise InputError(where, not_text)
        total += len(chunk)
        if total > limit:
            raise InputError(where, f"{what} more than {limit >> 20} MiB "
                                    "(the input limit)")
        got.append(chunk)
    return b"".join(got)


def read_limited(path: str, limit: int, *, text: bool = True) -> bytes:
    """The bytes of ``path`` ('-' = stdin), at most ``limit`` of them.

    ``text``: refuse a NUL byte.  Raises :class:`InputError` naming the
    file for a missing, unreadable, too large or binary input.
    """
    where = "<stdin>" if path == "-" else path
    try:
        if path == "-":
            return _gather(_chunks(sys.stdin.buffer), where, limit, text, "is")
        st = os.stat(path)
        if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) or stat.S_ISSOCK(st.st_mode):
            # /dev/zero, a disk, /dev/tty: never read (a pipe is, in chunks)
            raise InputError(where, "is a device or socket, not a file")
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            if stat.S_ISDIR(st.st_mode):
                raise InputError(where, "is a directory")
            if stat.S_ISREG(st.st_mode) and st.st_size > limit:
                raise InputError(where, f"is {st.st_size >> 20} MiB, more than "
                                        f"{limit >> 20} MiB (the input limit)")
            return _gather(_chunks(fh), where, limit, text, "is")
    except IsADirectoryError:
        raise InputError(where, "is a directory") from None
    except OSError as exc:
        raise InputError(where, f"cannot read: {exc.strerror or exc}") from None


def _inflate(data: bytes, where: str) -> Iterator[bytes]:
    """Every gzip member in ``data``, in order (as gzip -d and zcat read
    ``cat a.gz b.gz``), in chunks of at most CHUNK bytes."""
    while data:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        pending = data
        while True:
            try:
                piece = d.decompress(pending, CHUNK)
            except zlib.error as exc:
                raise InputError(where, f"broken gzip data: {exc}") from None
            if piece:
                yield piece
            pending = d.unconsumed_tail
            if d.eof or (not pending and not piece):
                break
        data = d.unused_data if d.eof else b""
        if data[:2] != b"\x1f\x8b":
            return   # trailing garbage (or zero padding) as gzip ignores it


def gunzip_limited(data: bytes, where: str, limit: int, *,
                   text: bool = True, not_text: str = NOT_TEXT) -> bytes:
    """All members of gzip ``data``, decompressed in chunks: refused as
    soon as the output passes ``limit`` or (``text``) holds a NUL byte
    (``not_text`` says so)."""
    return _gather(_inflate(data, where), where, limit, text,
                   "decompresses to", not_text)
