"""One message of a series, as ``b4 review`` hands it to a check command
(``b4.review-perpatch-check-cmd``: one patch on stdin;
``b4.review-series-check-cmd``: the cover letter alone), and the rest of
its thread: from ``--thread FILE``, else through b4 (``b4 mbox`` by the
Message-ID, in the cwd b4 runs the check in, so b4's own config --
midmask, cache, offline mode -- applies), else none: the message is
checked alone and the summary says why.
"""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from patchlens.mail.subject import parse_subject

__all__ = ["Message", "read_message", "fetch_thread", "b4_binary", "scratch"]

# How long b4 may take to fetch a thread (its cache answers at once).
B4_TIMEOUT = 120


@dataclass(frozen=True)
class Message:
    """The message on stdin: where its bytes are now, its Message-ID,
    its revision and ``n/m`` (index 0: a cover letter)."""
    path: str
    msgid: str | None
    revision: int
    index: int | None
    total: int | None

    @property
    def label(self) -> str | None:
        if self.index is None or self.total is None:
            return None
        return f"{self.index}/{self.total}"

    @property
    def is_cover(self) -> bool:
        return self.index == 0


def read_message(data: bytes, workdir: str) -> Message:
    """Keep ``data`` (stdin) in ``workdir`` and read its headers."""
    path = os.path.join(workdir, "message.eml")
    Path(path).write_bytes(data)
    msg = email.message_from_bytes(data, policy=email.policy.default)
    msgid = str(msg.get("Message-ID", "") or "").strip().strip("<>") or None
    tag = parse_subject(str(msg.get("Subject", "") or ""))
    return Message(path, msgid, tag.revision, tag.index, tag.total)


def b4_binary() -> str | None:
    """b4 on PATH, else beside this Python (a virtual environment)."""
    found = shutil.which("b4")
    if found:
        return found
    beside = Path(sys.executable).parent / "b4"
    return str(beside) if os.access(beside, os.X_OK) else None


def fetch_thread(msg: Message, workdir: str) -> tuple[str | None, str]:
    """(mailbox path of the whole thread, how it was had) -- or (None,
    why not)."""
    if msg.msgid is None:
        return None, "the message has no Message-ID"
    b4 = b4_binary()
    if b4 is None:
        return None, "b4 is not installed (or give --thread FILE)"
    out = os.path.join(workdir, "thread.mbox")
    try:
        run = subprocess.run([b4, "--no-stdin", "-q", "mbox", "-o", workdir,
                              "-n", "thread.mbox", msg.msgid],
                             capture_output=True, timeout=B4_TIMEOUT,
                             check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"b4 mbox failed: {exc}"
    if run.returncode != 0 or not os.path.isfile(out) \
            or os.path.getsize(out) == 0:
        lines = run.stderr.decode("utf-8", "replace").strip().splitlines()
        why = " ".join(lines[-1].split())[:120] if lines else \
            f"exit {run.returncode}"
        return None, f"b4 mbox found no thread: {why}"
    return out, "thread from b4 mbox"


def scratch() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="patchlens-b4-")
