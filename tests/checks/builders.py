"""What the check tests build again and again: a patch mail as ``git
send-email`` writes it into an mbox, a series file of such mails, a
copy of the check fixture tree a test may write into (or
``--no-tree``), and ``patchlens.cli.main`` run here with its stdout.

Only the set-up is shared; every test keeps its own diffs and its own
assertions.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from patchlens.cli import main

__all__ = ["FIXTURES", "CHECK_TREE", "FLAGGER", "GADGET_LIST", "mail",
           "flag_mail", "write_series", "check_tree", "where", "run"]

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CHECK_TREE = FIXTURES / "checks" / "tree"

# The author and list of the one-patch flag series (collisions, flags).
FLAGGER = "Fay Flagger <fay@example.org>"
GADGET_LIST = "gadget-irq@lists.example.org"


def mail(diff: str, subject: str, *, author: str, msgid: str,
         date: str = "Tue, 03 Mar 2026 09:01:00 +0000", n: int = 1,
         total: int = 1, to: str | None = None,
         in_reply_to: str | None = None, body: str | None = None,
         mime: bool = True) -> str:
    """One ``[PATCH n/total] subject`` mail; ``body`` (default: the
    subject and a full stop) is signed off by ``author``."""
    head = ["From mboxrd@z Thu Jan  1 00:00:00 1970", f"From: {author}"]
    if to is not None:
        head.append(f"To: {to}")
    head += [f"Subject: [PATCH {n}/{total}] {subject}", f"Date: {date}",
             f"Message-ID: <{msgid}>"]
    if in_reply_to is not None:
        head.append(f"In-Reply-To: <{in_reply_to}>")
    if mime:
        head += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=UTF-8"]
    text = body if body is not None else f"{subject}."
    return ("\n".join(head) + f"\n\n{text}\n\nSigned-off-by: {author}\n"
            f"---\n{diff}-- \n2.39.5\n")


def flag_mail(diff: str, subject: str, tag: str, total: int = 1) -> str:
    """Fay's genirq/msi patch (the first of ``total``) to the gadget
    list (``tag`` makes its Message-ID)."""
    return mail(diff, f"genirq/msi: {subject}", body=f"{subject}.", total=total,
                author=FLAGGER, to=GADGET_LIST, msgid=f"flags-{tag}@example.org")


def write_series(tmp_path: Path, *mails: str, sep: str = "") -> Path:
    """``tmp_path/series.mbox`` holding ``mails``, ``sep`` after each
    but the last (``"\\n"``: a blank line between messages)."""
    path = tmp_path / "series.mbox"
    path.write_text(sep.join(mails))
    return path


def check_tree(tmp_path: Path) -> Path:
    """A copy of fixtures/checks/tree at ``tmp_path/linux``."""
    root = tmp_path / "linux"
    shutil.copytree(CHECK_TREE, root)
    return root


def where(tmp_path: Path, tree: bool) -> list[str]:
    """``--tree`` a copy of the check tree, or ``--no-tree``."""
    return ["--tree", str(check_tree(tmp_path))] if tree else ["--no-tree"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """``patchlens.cli.main(argv)`` here: (exit status, stdout)."""
    status = main(list(argv))
    return status, capsys.readouterr().out
