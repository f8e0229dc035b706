"""Read a mailbox from disk or stdin, whatever its form, into messages.

Detected by content, not by name: mbox (mboxo and mboxrd quoting),
gzip-compressed mbox, maildir, a single message (``.eml``, a ``git
format-patch`` file), a directory of format-patch files, ``-`` for stdin,
and plain text copied from a web archive page (a few ``From:``/``Date:``
/``Subject:`` lines on top, then the body).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from patchlens.errors import InputError
from patchlens.inputfile import gunzip_limited, read_limited
from patchlens.mail.message import parse_author, parse_date, parse_message
from patchlens.mail.model import Message
from patchlens.limits import MAX_INPUT, MAX_LINE, MAX_LINES

__all__ = ["read_mailbox", "read_mailbox_data", "split_mbox", "MAX_LINE", "MAX_INPUT", "MAX_LINES"]


# "From <sender> <date>" lines; the date's 4-digit year at the end is
# checked in Python (a regex "\S+[^\n]*\d{4}" backtracks on a long line).
_FROM_LINE_RE = re.compile(rb"^From \S[^\n]*+", re.MULTILINE)
_MBOXRD_RE = re.compile(rb"^>(>*From )", re.MULTILINE)
_MBOXO_RE = re.compile(rb"^>From ", re.MULTILINE)
_HEADER_RE = re.compile(rb"^[!-9;-~]+:[ \t]?")
_NOT_MAIL = "not mail: binary data (NUL bytes)"
_ARCHIVE_HEADERS = ("from", "date", "subject", "to", "cc", "message-id",
                    "in-reply-to", "references")


def _read_bytes(path: str) -> bytes:
    return read_limited(path, MAX_INPUT, text=False)


def _is_separator(line: bytes) -> bool:
    """An mbox ``From `` line: a sender, then a date ending in a year."""
    end = line.rstrip(b"\n")
    if end.endswith(b"\r"):
        end = end[:-1]
    end = end.rstrip(b" \t")
    return len(end) >= 10 and end[-4:].isdigit() and end[5:6] not in (b" ", b"\t")


def _separators(data: bytes) -> list[int]:
    return [m.start() for m in _FROM_LINE_RE.finditer(data) if _is_separator(m.group())]


def _long_lines(raw: bytes) -> list[tuple[int, int]]:
    """(start, end) of each line of MAX_LINE bytes or more, found with a
    window search: linear, and no per-line loop in Python."""
    found: list[tuple[int, int]] = []
    p, n = 0, len(raw)
    while p + MAX_LINE <= n:
        q = raw.rfind(b"\n", p, p + MAX_LINE)
        if q >= 0:
            p = q + 1
            continue
        end = raw.find(b"\n", p)
        end = n if end < 0 else end
        found.append((p, end))
        p = end + 1
    return found


def _cut_long_lines(raw: bytes, where: str, warnings: list[str]) -> bytes:
    if len(raw) < MAX_LINE:
        return raw
    long = _long_lines(raw)
    if not long:
        return raw
    warnings.append(f"{where}: line(s) longer than {MAX_LINE >> 20} MiB cut")
    out: list[bytes] = []
    pos = 0
    for start, end in long:
        out.append(raw[pos:start + 200])
        pos = end
    out.append(raw[pos:])
    return b"".join(out)


def split_mbox(data: bytes) -> list[bytes]:
    """The messages of an mbox, quoting undone (mboxrd when the file says
    so by its separator or by ``>>From`` lines, else mboxo)."""
    starts = [s for s in _separators(data)
              if s == 0 or data[s - 2:s] in (b"\n\n", b"\r\n")
              or data[s - 4:s] == b"\r\n\r\n"]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)   # callers pass data that starts with "From "
    rd = data.startswith(b"From mboxrd@") or re.search(rb"^>>+From ", data, re.M) is not None
    out: list[bytes] = []
    for k, s in enumerate(starts):
        e = starts[k + 1] if k + 1 < len(starts) else len(data)
        chunk = data[s:e]
        nl = chunk.find(b"\n")
        chunk = chunk[nl + 1:] if nl >= 0 else b""
        if b">From " in chunk:
            chunk = _MBOXRD_RE.sub(rb"\1", chunk) if rd else _MBOXO_RE.sub(b"From ", chunk)
        out.append(chunk)
    return out


def _looks_like_headers(data: bytes) -> bool:
    """A real header block: header lines (or folds) up to a blank line,
    naming at least one of From / Subject / Message-ID."""
    head = data[:65536].replace(b"\r\n", b"\n")
    end = head.find(b"\n\n")
    block = head if end < 0 else head[:end]
    names: set[bytes] = set()
    for line in block.split(b"\n"):
        if line[:1] in (b" ", b"\t") and names:
            continue
        m = _HEADER_RE.match(line)
        if m is None:
            return False
        names.add(line.split(b":", 1)[0].strip().lower())
    if names & {b"re", b"fwd", b"aw"}:
        return False
    return bool(names & {b"from", b"subject", b"message-id"})


def _archive_text(data: bytes, where: str, warnings: list[str]) -> Message | None:
    """A web archive page's text: a title line maybe, some ``Name: value``
    lines, then the body.  None when it is not that."""
    text = data.decode("utf-8", errors="replace")
    if "\ufffd" in text:
        warnings.append(f"{where}: undecodable bytes replaced")
    lines = text.replace("\r\n", "\n").split("\n")
    fields: dict[str, str] = {}
    title = ""
    i = 0
    while i < min(len(lines), 16):
        line = lines[i]
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() in _ARCHIVE_HEADERS and value.strip():
            fields.setdefault(name.strip().lower(), value.strip())
        elif i == 0 and line.strip():
            title = line.strip()
        elif not line.strip() and fields:
            i += 1
            break
        else:
            break
        i += 1
    if "from" not in fields or not (title or "subject" in fields):
        return None
    subject = fields.get("subject", title)
    msgid = fields.get("message-id", "").strip("<> ") or f"{where}#1"
    irt = fields.get("in-reply-to", "").strip("<> ") or None
    return Message(msgid=msgid, subject=" ".join(subject.split()),
                   author=parse_author(fields["from"]), date=parse_date(fields.get("date")),
                   in_reply_to=irt, references=(), body="\n".join(lines[i:]),
                   source=where)


def _messages_in(data: bytes, where: str, warnings: list[str],
                 first: int = 1) -> list[Message]:
    if data[:2] == b"\x1f\x8b":
        data = gunzip_limited(data, where, MAX_INPUT, not_text=_NOT_MAIL)
    elif b"\0" in data:
        raise InputError(where, _NOT_MAIL)
    if data.count(b"\n") > MAX_LINES:
        raise InputError(where, f"more than {MAX_LINES:,} lines (the input limit)")
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    stripped = data.lstrip(b"\r\n")
    head = _FROM_LINE_RE.match(stripped)
    if head is not None and _is_separator(head.group()):
        raws = split_mbox(stripped)
    elif _looks_like_headers(stripped):
        raws = [stripped]
    else:
        msg = _archive_text(_cut_long_lines(stripped, where, warnings), where, warnings)
        if msg is None:
            raise InputError(where, "not mail: no mbox 'From ' line, no mail "
                                    "headers, no archive From:/Subject: lines")
        return [msg]
    out: list[Message] = []
    for k, raw in enumerate(raws, start=first):
        msg = parse_message(_cut_long_lines(raw, where, warnings), where, k, warnings)
        if msg is not None:
            out.append(msg)
    return out


def _directory(path: Path, warnings: list[str]) -> list[Message]:
    if (path / "cur").is_dir() or (path / "new").is_dir():
        files = sorted(p for sub in ("cur", "new") if (path / sub).is_dir()
                       for p in (path / sub).iterdir() if p.is_file())
    else:
        files = sorted(p for p in path.iterdir()
                       if p.is_file() and not p.name.startswith("."))
    out: list[Message] = []
    total = 0
    for f in files:
        try:
            data = _read_bytes(str(f))
        except InputError as exc:
            warnings.append(str(exc))
            continue
        total += len(data)
        if total > MAX_INPUT:
            raise InputError(str(path), f"holds more than {MAX_INPUT >> 20} MiB "
                                        "of mail (the input limit)")
        try:
            out.extend(_messages_in(data, str(f), warnings))
        except InputError as exc:
            # one stray file in a patch directory is not fatal
            warnings.append(str(exc))
    return out


def read_mailbox(path: str, warnings: list[str]) -> list[Message]:
    """All messages at ``path`` ('-' = stdin) in file order.

    Raises :class:`InputError` when ``path`` cannot be read or holds no
    mail at all; problems in single messages go to ``warnings``.
    """
    if path != "-" and os.path.isdir(path):
        msgs = _directory(Path(path), warnings)
        if not msgs:
            raise InputError(path, "directory holds no mail")
        return msgs
    return read_mailbox_data(_read_bytes(path),
                             "<stdin>" if path == "-" else path, warnings)


def read_mailbox_data(data: bytes, where: str, warnings: list[str]) -> list[Message]:
    """All messages of a mailbox already in memory (an archive's thread
    written as an mbox), in order; ``where`` names it in errors.

    Raises :class:`InputError` when ``data`` holds no mail at all.
    """
    if not data.strip():
        raise InputError(where, "empty input")
    msgs = _messages_in(data, where, warnings)
    if not msgs:
        raise InputError(where, "no readable message")
    return msgs
