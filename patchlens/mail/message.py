"""One raw e-mail (bytes) -> :class:`Message`: headers and decoded text.

MIME as mailers really send it: quoted-printable and base64 (with a size
bound), any charset (undecodable bytes replaced and reported), RFC 2047
encoded headers, ``format=flowed``, multipart with the patch inline or
as a text attachment, CRLF line ends.
"""

from __future__ import annotations

import base64
import email
import email.errors
import email.header
import email.policy
import email.utils
import functools
import re
from email.message import Message as EmailMessage
from email.parser import BytesParser

from patchlens.mail.model import Message

__all__ = ["parse_message", "decode_header", "parse_author", "parse_date",
           "MAX_PART_BYTES"]

# A base64/QP part larger than this is not a patch anyone reviews by mail.
MAX_PART_BYTES = 32 * 1024 * 1024
_MSGID_RE = re.compile(r"<([^<>\s]+)>")
_HEADERS_ONLY = BytesParser(policy=email.policy.compat32)
_PATCH_TYPES = ("text/x-patch", "text/x-diff", "text/plain", "application/x-patch",
                "application/x-diff", "text/x-log")


_NON_ASCII_RE = re.compile(rb"[\x80-\xff]")


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
    lines: list[str] = []
    for line in text.split("\n"):
        if line[:1] in (" ", "\t") and lines:
            lines[-1] += " " + line.strip()   # unfold
        else:
            lines.append(line)
    out: list[str] = []
    for line in lines:
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


def decode_header(value: str | None) -> str:
    """RFC 2047 decoded, unfolded header text ('' when absent)."""
    if not value:
        return ""
    value = str(value)
    if "=?" in value:
        try:
            value = str(email.header.make_header(email.header.decode_header(value)))
        except (ValueError, LookupError, UnicodeError, email.errors.HeaderParseError):
            pass
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


def _param(part: EmailMessage, name: str) -> str:
    """A Content-Type parameter, lower case ('' when absent); an RFC 2231
    encoded one (``format*=''flowed``) comes as a tuple and is decoded
    (it used to raise AttributeError)."""
    value = part.get_param(name)
    if value is None:
        return ""
    return email.utils.collapse_rfc2231_value(value).lower()


def _part_text(part: EmailMessage, where: str, warnings: list[str]) -> str | None:
    raw = part.get_payload()
    if isinstance(raw, str) and len(raw) > MAX_PART_BYTES:
        warnings.append(f"{where}: part of {len(raw)} bytes skipped (limit "
                        f"{MAX_PART_BYTES})")
        return None
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return None
    charset = part.get_content_charset() or "utf-8"
    try:
        text = data.decode(charset)
    except (LookupError, UnicodeDecodeError):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode(charset if _known(charset) else "utf-8", errors="replace")
            warnings.append(f"{where}: undecodable bytes in {charset} text replaced")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "flowed" in (part.get("Content-Type") or "").lower() \
            and _param(part, "format") == "flowed":
        text = _unflow(text, _param(part, "delsp") == "yes")
    return text


def _known(charset: str) -> bool:
    import codecs
    try:
        codecs.lookup(charset)
        return True
    except LookupError:
        return False


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
        filename = (part.get_filename() or "").lower()
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
    if msg.get_content_maintype() == "multipart":
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    if not msg.keys():
        warnings.append(f"{source}: message {ordinal} has no headers; skipped")
        return None
    ids = _msgids(_hdr(msg, "Message-ID"))
    msgid = ids[0] if ids else f"{source}#{ordinal}"
    where = f"{source}: <{msgid}>"
    for defect in msg.defects:
        name = type(defect).__name__
        if name in ("CloseBoundaryNotFoundDefect", "StartBoundaryNotFoundDefect",
                    "MissingHeaderBodySeparatorDefect"):
            warnings.append(f"{where}: message looks truncated ({name})")
    in_reply = _msgids(_hdr(msg, "In-Reply-To"))
    return Message(
        msgid=msgid,
        subject=decode_header(_hdr(msg, "Subject")),
        author=parse_author(_hdr(msg, "From")),
        date=parse_date(_hdr(msg, "Date")),
        in_reply_to=in_reply[0] if in_reply else None,
        references=_msgids(_hdr(msg, "References")),
        body=_body(msg, where, warnings),
        source=source,
    )
