"""Parsing a generated 2,000-message thread with ``read_series``.

``python -m benchmarks.bench_mail [--messages N] [--keep FILE]``

The thread: a cover letter, 40 patches (git-style diffs of 3 hunks
each), and replies to the rest of N messages: every reply quotes a
hunk of its patch and comments on it, every fourth one answers an
earlier reply (In-Reply-To only), every tenth gives a Reviewed-by.

Target (issue 2): < 1 s for 2,000 messages.  Recorded, not asserted.
Measured on the development machine (2 CPUs, other suites running),
best of 5: 2,000 messages (1.2 MB, 40 patches, 1,959 replies, all
comments anchored) 0.22-0.27 s; ims-part3-v1.mbox (38 messages) 22 ms.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from patchlens.mail import read_series

__all__ = ["make_thread", "run", "main"]

TARGET_S = 1.0
PATCHES = 40


def _patch_body(n: int) -> str:
    hunks = []
    for h in range(3):
        start = 10 + 40 * h
        hunks.append(
            f"@@ -{start},6 +{start},7 @@ enum widget_{n}_{h} {{\n"
            f" \tWIDGET_{n}_{h}_A,\n \tWIDGET_{n}_{h}_B,\n \tWIDGET_{n}_{h}_C,\n"
            f"+\tWIDGET_{n}_{h}_NEW,\n \tWIDGET_{n}_{h}_D,\n \tWIDGET_{n}_{h}_E,\n"
            " };\n")
    return (f"Add the new widget constants, part {n}.\n\n"
            "Signed-off-by: Ann Author <ann@example.org>\n---\n"
            f" include/linux/w{n}.h | 3 +++\n 1 file changed, 3 insertions(+)\n\n"
            f"diff --git a/include/linux/w{n}.h b/include/linux/w{n}.h\n"
            f"index 1234567..89abcde 100644\n--- a/include/linux/w{n}.h\n"
            f"+++ b/include/linux/w{n}.h\n" + "".join(hunks) + "-- \n2.42.0\n")


def _reply_body(n: int, k: int) -> str:
    h = k % 3
    start = 10 + 40 * h
    trailer = "\nReviewed-by: Rita Reviewer <rita@example.org>\n" if k % 10 == 0 else ""
    return (f"On Mon, Nov 13, 2023, Ann Author wrote:\n"
            f"> diff --git a/include/linux/w{n}.h b/include/linux/w{n}.h\n"
            f"> --- a/include/linux/w{n}.h\n> +++ b/include/linux/w{n}.h\n"
            f"> @@ -{start},6 +{start},7 @@ enum widget_{n}_{h} {{\n"
            f">  \tWIDGET_{n}_{h}_B,\n>  \tWIDGET_{n}_{h}_C,\n"
            f"> +\tWIDGET_{n}_{h}_NEW,\n\n"
            f"Comment {k}: should this be WIDGET_{n}_{h}_OTHER instead?\n"
            "The rest of the thread explains why.\n" + trailer)


def _message(msgid: str, subject: str, body: str, minute: int,
             in_reply_to: str | None = None, author: str = "Ann Author <ann@example.org>") -> str:
    irt = f"In-Reply-To: <{in_reply_to}>\n" if in_reply_to else ""
    return ("From mboxrd@z Thu Jan  1 00:00:00 1970\n"
            f"From: {author}\nSubject: {subject}\n"
            f"Date: Mon, 13 Nov 2023 {10 + minute // 60 % 10:02d}:{minute % 60:02d}:00 +0100\n"
            f"Message-Id: <{msgid}>\n{irt}MIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=UTF-8\n\n" + body + "\n")


def make_thread(messages: int = 2000) -> str:
    """An mboxrd thread of ``messages`` messages (cover + patches + replies)."""
    out = [_message("c@x", f"[PATCH v3 0/{PATCHES}] widget: many constants",
                    "Cover letter.\n\nbase-commit: 0123456789abcdef0123456789abcdef01234567\n", 0)]
    for n in range(1, PATCHES + 1):
        out.append(_message(f"p{n}@x", f"[PATCH v3 {n}/{PATCHES}] widget: part {n}",
                            _patch_body(n), n, "c@x"))
    for k in range(messages - PATCHES - 1):
        n = k % PATCHES + 1
        parent = f"r{k - PATCHES * 3}@x" if k % 4 == 3 and k >= PATCHES * 3 else f"p{n}@x"
        out.append(_message(f"r{k}@x", f"Re: [PATCH v3 {n}/{PATCHES}] widget: part {n}",
                            _reply_body(n, k), k, parent,
                            author="Rita Reviewer <rita@example.org>"))
    return "\n".join(out)


def run(messages: int = 2000, repeat: int = 5, keep: str | None = None) -> dict[str, float]:
    text = make_thread(messages)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(keep) if keep else Path(tmp) / "thread.mbox"
        path.write_text(text, encoding="utf-8")
        best = float("inf")
        series = None
        for _ in range(repeat):
            t0 = time.perf_counter()
            series = read_series(str(path))
            best = min(best, time.perf_counter() - t0)
    assert series is not None
    comments = sum(len(r.comments) for r in series.replies)
    anchored = sum(1 for r in series.replies for c in r.comments if c.new_line)
    return {"messages": messages, "bytes": len(text), "seconds": best,
            "patches": len(series.patches), "replies": len(series.replies),
            "comments": comments, "anchored": anchored}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--keep", metavar="FILE", help="also write the thread here")
    opts = ap.parse_args(argv)
    r = run(opts.messages, opts.repeat, opts.keep)
    verdict = "ok" if r["seconds"] < TARGET_S else "OVER TARGET"
    print(f"read_series: {r['messages']} messages ({r['bytes'] / 1e6:.1f} MB), "
          f"{r['patches']} patches, {r['replies']} replies, {r['comments']} comments "
          f"({r['anchored']} anchored): best of {opts.repeat} "
          f"{r['seconds']:.3f} s (target < {TARGET_S} s: {verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
