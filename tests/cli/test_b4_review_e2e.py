"""b4 review's check runner, end to end, with the real b4 (issue 17).

A corpus thread (IMS Part 3 V1) is served over loopback as b4's
``midmask`` source; a scratch git repository configures
``b4.review-perpatch-check-cmd`` and ``b4.review-series-check-cmd`` to
run ``patchlens check - --format b4-check``; b4's own runner
(``b4.review.checks``) feeds each patch, and the cover letter, on
stdin.  patchlens fetches the rest of the thread through ``b4 mbox``
(the same loopback archive) and each row says what concerns its
message.
"""

from __future__ import annotations

import gzip
import http.server
import json
import os
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.json_schemas import validate

REPO = Path(__file__).resolve().parents[2]
THREAD = REPO.parent / "shared" / "corpus" / "lkml" / "ims-part3-v1.mbox"
COVER = "20221111133158.196269823@linutronix.de"
BIN = Path(sys.executable).parent

pytest.importorskip("b4", reason="b4 is in the test extra: pip install -e '.[test]'")

RUNNER = r'''
import argparse, json, sys
import b4
from b4.review import checks
b4.setup_config(argparse.Namespace(config=None, offline_mode=False, no_stdin=True, quiet=True, debug=False))
msgs = b4.get_pi_thread_by_msgid(sys.argv[1], quiet=True)
lmbx = b4.LoreMailbox()
for m in msgs:
    lmbx.add_message(m)
series = lmbx.get_series(codereview_trailers=False)
topdir = b4.git_get_toplevel()
perpatch, whole = checks.load_check_cmds()
cover = series.patches[0]
out = {"commands": [perpatch, whole]}
if cover is not None:
    out["series"] = checks.run_series_checks((cover.msgid, cover.msg), whole,
                                             topdir)
wanted = [int(n) for n in sys.argv[2].split(",")]
out["patches"] = {p.counter: checks.run_perpatch_checks([(p.msgid, p.msg)], perpatch, topdir)[p.msgid]
                  for p in series.patches[1:] if p is not None and p.counter in wanted}
json.dump(out, sys.stdout)
'''


class _Archive(http.server.BaseHTTPRequestHandler):
    """A public-inbox as b4 asks it: ``/all/<msgid>/t.mbox.gz``."""
    mbox = b""
    msgids: frozenset[str] = frozenset()

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        parts = self.path.split("/")
        if len(parts) == 4 and parts[1] == "all" and parts[3] == "t.mbox.gz" \
                and urllib.parse.unquote_plus(parts[2]) in self.msgids:
            body = gzip.compress(self.mbox)
            self.send_response(200)
            self.send_header("Content-Type", "application/gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_error(404)

    def do_HEAD(self) -> None:  # noqa: N802
        self.send_error(404)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def archive() -> Iterator[str]:
    if not THREAD.is_file():
        pytest.skip(f"the LKML corpus is not at {THREAD.parent} (../shared)")
    import mailbox
    data = THREAD.read_bytes()
    ids = frozenset(str(m["Message-ID"]).strip().strip("<>")
                    for m in mailbox.mbox(str(THREAD)))
    handler = type("Archive", (_Archive,), {"mbox": data, "msgids": ids})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/all/%s"
    finally:
        server.shutdown()
        server.server_close()


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_b4_review_checks_ims_v1(archive: str, tmp_path: Path) -> None:
    repo = tmp_path / "review"
    repo.mkdir()
    _git(repo, "init", "-q")
    cmd = f"{BIN / 'patchlens'} check - --no-tree --format b4-check"
    _git(repo, "config", "b4.midmask", archive)
    _git(repo, "config", "b4.review-perpatch-check-cmd", cmd)
    _git(repo, "config", "b4.review-series-check-cmd", cmd)
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"),
               XDG_DATA_HOME=str(tmp_path / "data"),
               GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1",
               PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("NO_PROXY", None)
    env["no_proxy"] = "127.0.0.1"
    # The cover letter (the series check) and three patches: 27/33 adds
    # the IMS constants, 30/33 sets the flag, 1/33 touches none.
    run = subprocess.run([sys.executable, "-c", RUNNER, COVER, "1,27,30"],
                         cwd=repo,
                         env=env, capture_output=True, text=True,
                         timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    got = json.loads(run.stdout)
    assert got["commands"] == [[cmd], [cmd]]
    rows = {int(k): v for k, v in got["patches"].items()}
    for row in [*got["series"], *(r for v in rows.values() for r in v)]:
        validate([{k: row[k] for k in ("tool", "status", "summary", "url",
                                       "details")}])
    # One row per message and tool: b4 keeps one cell each.
    assert len(got["series"]) == 1
    assert sorted(rows) == [1, 27, 30]
    assert all(len(v) == 1 for v in rows.values())
    series = got["series"][0]
    assert (series["status"], series["summary"]) == (
        "pass", "series: no constant hazards found")
    assert "checked alone" not in json.dumps(got)   # b4 had the thread
    # 27/33 is checked with the whole series as context: 30-32 set
    # and check MSI_FLAG_PCI_IMS, so neither unset- nor unchecked-flag.
    p27 = rows[27][0]
    assert (p27["status"], p27["summary"]) == (
        "warn", "patch 27/33: 1 check: enum-shift")
    assert "unset-flag" not in p27["details"]
    # Each row speaks for its own patch only.
    for n, (row,) in rows.items():
        assert row["summary"].startswith(f"patch {n}/33: "), row
        for line in row["details"].splitlines()[1:]:
            assert line.endswith(f"({n}/33)"), line
