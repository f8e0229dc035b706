"""Benchmark ``patchlens scan`` on a list archive.

    python -m benchmarks.bench_scan [ARCHIVE] [--messages N] [--keep DIR]

With ARCHIVE (a public-inbox git repository, e.g. a clone from lore),
it is scanned as it is.  Without one, an archive of N messages
(default 100,000) is generated: the LKML corpus (../shared/corpus/lkml,
when present), synthetic family series (two revisions each, enough to
make ~50 family series revisions in all), two lone family patches with
base64 and quoted-printable bodies, and synthetic filler traffic,
written with ``git fast-import`` and repacked as a real archive is.

Reported: the cold scan (patch-only: ``--no-tree``), messages per
second, series revisions found, the share of messages parsed; ``git
log -p`` over the same commits in the same run (the target is a scan
under 2x its time); and an incremental re-scan with nothing new (target
under 1 s).  Each timing is one run of the command as a process.
"""

from __future__ import annotations

import argparse
import email.utils
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "lkml"

__all__ = ["main", "generate"]

_WORDS = ("the driver now frees the descriptor before it unmaps the window "
          "so that a late interrupt cannot see a stale pointer; this was "
          "found by code inspection and tested on the board with lockdep on").split()


def _filler_body(i: int) -> str:
    """A few KiB of list traffic touching no family."""
    text = " ".join(_WORDS[(i + k) % len(_WORDS)] for k in range(60 + i % 40))
    if i % 3 == 2:
        quoted = "\n".join(f"> {text[k:k + 70]}" for k in range(0, len(text), 70))
        return f"On Mon, Ann wrote:\n{quoted}\n\nThat makes sense to me.\n"
    lines = "\n".join(f"+\tfrob_step(f, {i}, {k});" for k in range(1 + i % 25))
    return (f"{text}\n\nSigned-off-by: Ann <ann@example.org>\n---\n"
            "diff --git a/drivers/frob/frob.c b/drivers/frob/frob.c\n"
            "--- a/drivers/frob/frob.c\n+++ b/drivers/frob/frob.c\n"
            f"@@ -10,3 +10,{3 + 1 + i % 25} @@ static int frob_probe(struct frob *f)\n"
            " {\n \tint ret;\n" + lines + "\n \treturn 0;\n-- \n2.40.0\n")


def _filler(i: int, when: int) -> bytes:
    reply = i % 3 == 2
    subject = f"Re: [PATCH] frob: step {i - 1}" if reply else f"[PATCH] frob: step {i}"
    head = [f"From: Ann Author <ann{i % 97}@example.org>", f"Subject: {subject}",
            f"Date: {email.utils.formatdate(when)}",
            f"Message-ID: <bench-{i}@example.org>", "To: list@example.org"]
    if reply:
        head += [f"In-Reply-To: <bench-{i - 1}@example.org>",
                 f"References: <bench-{i - 1}@example.org>"]
    return ("\n".join(head) + "\n\n" + _filler_body(i)).encode()


def generate(path: Path, total: int) -> int:
    """Write an archive of ``total`` messages at ``path``; return how
    many family series revisions it should hold."""
    sys.path.insert(0, str(REPO))
    from tests.archive.build import (encoded_patches, family_series, mbox_messages,
                                     message_date, message_id)

    special: list[tuple[int, bytes]] = []
    seen: set[str | None] = set()
    if (CORPUS / "MANIFEST.md").is_file():
        for f in sorted(CORPUS.glob("*.mbox")):
            for raw in mbox_messages(f):
                mid = message_id(raw)
                if mid not in seen:
                    seen.add(mid)
                    special.append((message_date(raw), raw))
    expected = 14 if special else 0          # the corpus' rows (tests/archive)
    start = 1_500_000_000
    span = 5 * 365 * 86400
    n_series = max(0, (50 - expected + 1) // 2)
    for k in range(n_series):
        when = start + (k + 1) * span // (n_series + 1)
        special += family_series(when, name=f"BENCH{k}", tag=f"bench{k}")
    expected += 2 * n_series
    # two lone patches whose flag only a decoded body shows (base64, QP)
    special += encoded_patches(start + span // 3)
    expected += 2
    fillers = max(0, total - len(special))
    step = span / max(1, fillers)
    items = [(int(start + i * step), _filler(i, int(start + i * step)))
             for i in range(fillers)] + special
    items.sort(key=lambda x: x[0])
    subprocess.run(["git", "init", "-q", "--bare", str(path)], check=True)
    proc = subprocess.Popen(["git", "--git-dir", str(path), "fast-import", "--quiet"],
                            stdin=subprocess.PIPE)
    assert proc.stdin is not None
    out = proc.stdin
    for n, (when, raw) in enumerate(items):
        out.write(b"blob\nmark :1\ndata %d\n" % len(raw) + raw + b"\n")
        msg = b"message\n"
        out.write(b"commit refs/heads/master\n"
                  b"author Sender <s@example.org> %d +0000\n"
                  b"committer list <list@example.org> %d +0000\n"
                  b"data %d\n%s" % (when, max(when, start) + n, len(msg), msg))
        out.write(b"deleteall\nM 100644 :1 m\n\n")
    out.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "--git-dir", str(path), "repack", "-adq"], check=True)
    return expected


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, bytes]:
    t = time.monotonic()
    res = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, check=True)
    return time.monotonic() - t, res.stdout


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("archive", nargs="?")
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--keep", metavar="DIR", help="generate the archive here and keep it")
    opts = ap.parse_args(argv)
    tmp = tempfile.TemporaryDirectory(prefix="bench-scan-")
    env = dict(os.environ, XDG_CACHE_HOME=os.path.join(tmp.name, "cache"))
    expected = None
    if opts.archive:
        archive = opts.archive
    else:
        archive = opts.keep or os.path.join(tmp.name, "list.git")
        if not os.path.isdir(archive):
            t = time.monotonic()
            expected = generate(Path(archive), opts.messages)
            print(f"generated {opts.messages:,} messages in {time.monotonic() - t:.1f} s")
    load = os.getloadavg()
    scan = [sys.executable, "-m", "patchlens", "scan", "--no-tree", "--format", "json", archive]
    git_dir = archive if os.path.isfile(os.path.join(archive, "HEAD")) else os.path.join(archive, ".git")
    git_s, _ = _timed(["git", "--git-dir", git_dir, "log", "-p", "--first-parent"], env)
    cold_s, out = _timed(scan, env)
    doc = json.loads(out)
    warm_s, out2 = _timed(scan, env)
    doc2 = json.loads(out2)
    stats = doc["archives"][0]
    walked = stats["walked"]
    print(f"load average at start: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} (2 CPUs)")
    print(f"archive: {archive}")
    print(f"messages walked: {walked:,}; with a family literal: {stats['hits']:,}; "
          f"parsed: {stats['parsed']:,} ({100.0 * stats['parsed'] / max(1, walked):.2f}%)")
    print(f"series revisions found: {len(doc['series'])}"
          + (f" (expected {expected})" if expected is not None else ""))
    print(f"git log -p: {git_s:.2f} s")
    print(f"patchlens scan, cold: {cold_s:.2f} s ({walked / cold_s:,.0f} messages/s; "
          f"{cold_s / git_s:.2f}x git log -p; target < 2x)")
    print(f"patchlens scan, nothing new: {warm_s:.2f} s (target < 1 s; "
          f"cached: {doc2['archives'][0]['cached']}, same rows: {doc2['series'] == doc['series']})")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
