"""One raw e-mail (bytes) -> :class:`Message`: headers and decoded text.

MIME as mailers really send it: quoted-printable and base64 (with a size
bound), any charset (undecodable bytes replaced and reported), RFC 2047
encoded headers, ``format=flowed``, multipart with the patch inline or
as a text attachment, CRLF line ends.
"""

from __future__ import annotations

import base64
import codecs
import email
import email.policy
import email.utils
import functools
import itertools
import re
from email.message import Message as EmailMessage
from email.parser import BytesParser

from patchlens.mail.model import Message
from patchlens.limits import MAX_FROM_COMMENT_DEPTH, MAX_MIME_CONTAINERS, MAX_PART_BYTES

__all__ = ["parse_message", "decode_header", "parse_author", "parse_date",
           "MAX_PART_BYTES", "MAX_MIME_CONTAINERS", "text_charset"]

_MSGID_RE = re.compile(r"<([^<>\s]+)>")
_HEADERS_ONLY = BytesParser(policy=email.policy.compat32)
_PATCH_TYPES = ("text/x-patch", "text/x-diff", "text/plain", "application/x-patch",
                "application/x-diff", "text/x-log")


_NON_ASCII_RE = re.compile(rb"[\x80-\xff]")
_CONTAINER_RE = re.compile(rb"^content-type:[ \t]*+(?:multipart|message)/",
                           re.IGNORECASE | re.MULTILINE)


def _ascii_headers(raw: bytes) -> bytes:
    """Raw 8-bit bytes in the header block (against RFC 5322, but sent)
    rewritten as RFC 2047 UTF-8 words, so every header parses as text."""
    end = raw.find(b"\n\n")
    crlf = raw.find(b"\r\n\r\n")
    if crlf >= 0 and (end < 0 or crlf < end):
        end = crlf
    head, rest = (raw, b"") if end < 0 else (raw[:end], raw[end:])
    if not _NON_ASCII_RE.search(head):
        return raw
    text = head.replace(b"\r\n", b"\n").decode("utf-8", errors="replace")
    # Unfold into lists joined once: appending to a string per
    # continuation line is quadratic on a header folded 100,000 times.
    folded: list[list[str]] = []
    for line in text.split("\n"):
        if line[:1] in (" ", "\t") and folded:
            folded[-1].append(line.strip())
        else:
            folded.append([line])
    out: list[str] = []
    for parts in folded:
        line = " ".join(parts)
        name, sep, value = line.partition(":")
        if sep and not line.isascii():
            word = base64.b64encode(value.strip().encode("utf-8")).decode("ascii")
            line = f"{name}: =?utf-8?b?{word}?="
        out.append(line.encode("ascii", errors="replace").decode("ascii"))
    return "\n".join(out).encode("ascii") + rest


def _hdr(msg: EmailMessage, name: str) -> str | None:
    """A header as text: 8-bit bytes in it come back as a ``Header``
    object from the compat32 parser; make that a plain string."""
    value = msg.get(name)
    if value is None or isinstance(value, str):
        return value
    try:
        return str(value)
    except (UnicodeError, LookupError):
        return value.encode() if hasattr(value, "encode") else None


# An RFC 2047 encoded word; its text has no "?" and no white space, so
# the possessive runs cannot backtrack.
_WORD_RE = re.compile(r"=\?([^?\s]++)\?([qQbB])\?([^?\s]*+)\?=")
_QP_HEX_RE = re.compile(rb"=([0-9A-Fa-f]{2})")


def _word_bytes(encoding: str, text: str) -> bytes:
    data = text.encode("ascii", errors="replace")
    if encoding in "bB":
        data = data.rstrip(b"=")
        try:
            return base64.b64decode(data + b"=" * (-len(data) % 4))
        except ValueError:
            return data
    return _QP_HEX_RE.sub(lambda m: bytes([int(m.group(1), 16)]),
                          data.replace(b"_", b" "))


def decode_header(value: str | None) -> str:
    """RFC 2047 decoded, unfolded header text ('' when absent).

    Decoded here in one pass (email.header is quadratic in the number of
    encoded words); a charset that is not a text codec reads as UTF-8.
    """
    if not value:
        return ""
    value = str(value)
    if "=?" in value:
        out: list[str] = []
        run: list[bytes] = []        # adjacent words of one charset
        run_charset = ""
        pos = 0

        def flush() -> None:
            if run:
                out.append(b"".join(run).decode(
                    text_charset(run_charset) or "utf-8", errors="replace"))
                run.clear()

        for m in _WORD_RE.finditer(value):
            between = value[pos:m.start()]
            charset = m.group(1).split("*", 1)[0].lower()
            if between.strip() or charset != run_charset:
                flush()
                if between.strip() or not out:
                    out.append(between)
            run_charset = charset
            run.append(_word_bytes(m.group(2), m.group(3)))
            pos = m.end()
        flush()
        out.append(value[pos:])
        value = "".join(out)
    return " ".join(value.split())


def _msgids(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    found = _MSGID_RE.findall(str(value))
    if not found and str(value).strip():
        found = [str(value).strip().strip("<>")]
    return tuple(found)


_ARCHIVE_DATE_RE = re.compile(
    r"^\w{3} (\w{3}) (\d{1,2}) (\d{4}) - (\d\d:\d\d:\d\d) (\w+)$")


_MAX_COMMENT_DEPTH = MAX_FROM_COMMENT_DEPTH


def _comment_depth(text: str) -> int:
    """How deep ``(`` comments nest in an address (email.utils recurses
    once per level)."""
    depth = deepest = 0
    for c in text:
        if c == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif c == ")" and depth:
            depth -= 1
    return deepest


def parse_date(value: str | None) -> str:
    """ISO 8601 when parseable (also the "Wed Nov 16 2022 - 14:54:35 EST"
    form of archive pages), else the header as given."""
    if not value:
        return ""
    text = " ".join(str(value).split())
    m = _ARCHIVE_DATE_RE.match(text)
    if m:
        text = f"{m.group(2)} {m.group(1)} {m.group(3)} {m.group(4)} {m.group(5)}"
    try:
        return email.utils.parsedate_to_datetime(text).isoformat()
    except (TypeError, ValueError, IndexError, OverflowError):
        return " ".join(str(value).split())


@functools.lru_cache(maxsize=4096)
def parse_author(value: str | None) -> str:
    text = decode_header(value)
    if "@" not in text:
        return text  # archive pages hide addresses: keep the name
    if "(" in text and _comment_depth(text) > _MAX_COMMENT_DEPTH:
        return text  # email.utils would recurse once per level
    name, addr = email.utils.parseaddr(text)
    if addr and name:
        return f"{name} <{addr}>"
    return addr or text


def _unflow(text: str, delsp: bool) -> str:
    """RFC 3676: join soft-broken lines (same quote depth only), undo
    space-stuffing."""
    out: list[str] = []
    buf: str | None = None
    buf_depth = -1
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content[:1] == " ":
            content = content[1:]
        if buf is not None and depth != buf_depth:
            out.append(buf)   # a soft break never crosses quote depths
            buf = None
        if buf is None:
            buf = (">" * depth + (" " if depth and content else "")) if depth else ""
            buf_depth = depth
        if content.endswith(" ") and content != "-- ":
            buf += content[:-1] if delsp else content
            continue
        out.append(buf + content)
        buf = None
    if buf is not None:
        out.append(buf)
    return "\n".join(out)


# What the email library raises on hostile parameters (RFC 2231 parts
# numbered oddly sort None against int; a tuple charset reaches decode()).
_PARAM_ERRORS = (TypeError, ValueError, LookupError, UnicodeError, IndexError,
                 AttributeError)


def _get_param(part: EmailMessage, name: str) -> str | tuple[str | None, str | None, str] | None:
    try:
        return part.get_param(name)
    except _PARAM_ERRORS:
        return None


def _param(part: EmailMessage, name: str) -> str:
    """A Content-Type parameter as lower-case text.  RFC 2231 forms
    (``format*=us-ascii''flowed``) come back from the email library as
    (charset, language, value) tuples."""
    value = _get_param(part, name)
    if value is None:
        return ""
    if isinstance(value, tuple):
        charset, _, raw = value
        value = raw if text_charset(charset or "us-ascii") is None else \
            email.utils.collapse_rfc2231_value(value)
    return str(value).strip().lower()


def _charset(part: EmailMessage) -> str | None:
    """The part's charset as named (lower case), or None."""
    try:
        charset = part.get_content_charset()
    except _PARAM_ERRORS:
        charset = None
    if charset is None and isinstance(_get_param(part, "charset"), tuple):
        charset = _param(part, "charset")
    return charset or None


@functools.lru_cache(maxsize=256)
def text_charset(name: str) -> str | None:
    """``name`` when it is a text codec that decodes any bytes with
    ``errors="replace"``; None otherwise (unknown, bytes-to-bytes like
    ``hex`` or ``rot13``, or one that refuses ``replace`` like ``idna``)."""
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError, TypeError):
        return None
    if not getattr(info, "_is_text_encoding", True):
        return None
    try:
        for probe in (b"\xff\xfe abc \x80\n", b"\\x\\N{ +-~\x1b$B", b""):
            probe.decode(info.name, errors="replace")
    except Exception:  # noqa: BLE001 - any failure means: not usable
        return None
    return info.name


def _part_text(part: EmailMessage, where: str, warnings: list[str]) -> str | None:
    try:
        raw = part.get_payload()
    except _PARAM_ERRORS:   # it decodes by the charset parameter, as given
        raw = getattr(part, "_payload", None)
    if isinstance(raw, str) and len(raw) > MAX_PART_BYTES:
        warnings.append(f"{where}: part of {len(raw)} bytes skipped (limit "
                        f"{MAX_PART_BYTES})")
        return None
    try:
        data = part.get_payload(decode=True)
    except _PARAM_ERRORS:
        return None
    if not isinstance(data, bytes):
        return None
    named = _charset(part) or "utf-8"
    charset = text_charset(named)
    if charset is None:
        warnings.append(f"{where}: charset {named[:40]!r} is not a text "
                        "encoding; read as UTF-8")
        charset = "utf-8"
    try:
        text = data.decode(charset)
    except UnicodeError:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode(charset, errors="replace")
            warnings.append(f"{where}: undecodable bytes in {charset} text replaced")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _param(part, "format") == "flowed":
        text = _unflow(text, _param(part, "delsp") == "yes")
    return text


def _body(msg: EmailMessage, where: str, warnings: list[str]) -> str:
    if not msg.is_multipart():
        ctype = msg.get_content_type()
        if ctype.startswith("text/") or ctype in _PATCH_TYPES:
            return _part_text(msg, where, warnings) or ""
        return ""
    texts: list[str] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        try:
            filename = (part.get_filename() or "").lower()
        except _PARAM_ERRORS:
            filename = ""
        if ctype in _PATCH_TYPES or filename.endswith((".patch", ".diff")):
            text = _part_text(part, where, warnings)
            if text:
                texts.append(text)
    return "\n".join(t if t.endswith("\n") else t + "\n" for t in texts)


def parse_message(raw: bytes, source: str, ordinal: int,
                  warnings: list[str]) -> Message | None:
    """Parse one message; None (with a warning) when it has no headers.

    ``ordinal`` names a message without a Message-ID (``source#3``).
    """
    # Headers first: a single text part needs no MIME walk, and skipping
    # the feed parser's line-by-line body pass halves the cost per message.
    raw = _ascii_headers(raw)
    msg = _HEADERS_ONLY.parsebytes(raw, headersonly=True)
    if not msg.keys():
        warnings.append(f"{source}: message {ordinal} has no headers; skipped")
        return None
    mime_skipped = ""
    if msg.get_content_maintype() == "multipart":
        # The email library parses and walks MIME by recursion, one level
        # per nested multipart or message/rfc822: bound the containers
        # (and catch what a folded Content-Type hides from the count).
        containers = sum(1 for _ in itertools.islice(
            _CONTAINER_RE.finditer(raw), MAX_MIME_CONTAINERS + 1))
        if containers > MAX_MIME_CONTAINERS:
            mime_skipped = f"more than {MAX_MIME_CONTAINERS} MIME containers"
        else:
            try:
                full = email.message_from_bytes(raw, policy=email.policy.compat32)
                list(full.walk())
                msg = full
            except RecursionError:
                mime_skipped = "MIME nested too deep"
    ids = _msgids(_hdr(msg, "Message-ID"))
    msgid = ids[0] if ids else f"{source}#{ordinal}"
    where = f"{source}: <{msgid}>"
    for defect in msg.defects:
        name = type(defect).__name__
        if name in ("CloseBoundaryNotFoundDefect", "StartBoundaryNotFoundDefect",
                    "MissingHeaderBodySeparatorDefect"):
            warnings.append(f"{where}: message looks truncated ({name})")
    in_reply = _msgids(_hdr(msg, "In-Reply-To"))
    if mime_skipped:
        warnings.append(f"{where}: {mime_skipped}; body not read")
    return Message(
        msgid=msgid,
        subject=decode_header(_hdr(msg, "Subject")),
        author=parse_author(_hdr(msg, "From")),
        date=parse_date(_hdr(msg, "Date")),
        in_reply_to=in_reply[0] if in_reply else None,
        references=_msgids(_hdr(msg, "References")),
        body="" if mime_skipped else _body(msg, where, warnings),
        source=source,
    )
