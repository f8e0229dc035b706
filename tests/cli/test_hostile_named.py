"""Named hostile inputs, through the CLI as a reviewer would meet them.

Each case must end in one line ``patchlens: <input>: <what>`` and exit 2,
or in a result (exit 0/1) when the rest of the input is usable; never a
traceback.  Every case also checks that the kernel tree is untouched
(a snapshot before and after) and that no temporary file is left.
Cases that could take the machine (gigabytes, tens of MB on a line) run
in a child process under an address-space limit.
"""

from __future__ import annotations

import base64
import gzip
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.fuzz import FIXTURES, SEED_TREE, run_cli, snapshot

REPO = Path(__file__).resolve().parents[2]
SERIES = FIXTURES / "series.mbox"


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    monkeypatch.setenv("TMPDIR", str(tmp))
    return tmp


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A writable copy of the fixture tree (cases add hostile files)."""
    dst = tmp_path / "tree"
    for src in SEED_TREE.rglob("*"):
        if src.is_file():
            out = dst / src.relative_to(SEED_TREE)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(src.read_bytes())
    return dst


def _outcome_ok(status: int, err: str, names: tuple[str, ...]) -> None:
    """Exit 2 with one line naming the input, or a usable result."""
    assert "Traceback" not in err, err
    if status == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1, f"expected one error line, got: {err!r}"
        assert lines[0].startswith("patchlens: "), lines[0]
        assert any(n in lines[0] for n in names), (
            f"error does not name {names}: {lines[0]}")
    else:
        assert status in (0, 1), (status, err)


def cli_case(argv: list[str], tree: Path | None, private_tmp: Path,
             names: tuple[str, ...]) -> tuple[int, str, str]:
    """Run the CLI in-process with the tree and tempdir checks."""
    before = snapshot(tree) if tree is not None else None
    status, out, err = run_cli(argv)
    _outcome_ok(status, err, names)
    if tree is not None:
        assert snapshot(tree) == before, "the tree was written to"
    assert os.listdir(private_tmp) == [], "temporary files left behind"
    return status, out, err


def cli_child(argv: list[str], private_tmp: Path, memory_mb: int = 1536,
              timeout: int = 120) -> tuple[int, str, str]:
    """The CLI in a child under an address-space limit: a stage that
    tries to hold gigabytes dies with MemoryError (a traceback: failure)."""
    limit = memory_mb * 1024 * 1024

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    env = dict(os.environ, TMPDIR=str(private_tmp), XDG_CACHE_HOME=str(
        private_tmp.parent / "cache"))
    done = subprocess.run([sys.executable, "-m", "patchlens", *argv],
                          capture_output=True, text=True, timeout=timeout,
                          preexec_fn=limit_memory, env=env, cwd=REPO)
    assert os.listdir(private_tmp) == [], "temporary files left behind"
    return done.returncode, done.stdout, done.stderr


def _series_with(old: str, new: str) -> bytes:
    text = SERIES.read_text()
    assert old in text
    return text.replace(old, new).encode()


# --- diff paths ------------------------------------------------------------

@pytest.mark.parametrize("bad", [
    "a/../../../etc/passwd", "a/include/../../../outside.h",
    "/etc/passwd", "a/include/linux/ms\x00i.h",
], ids=["dotdot", "dotdot-inner", "absolute", "nul"])
def test_diff_path_escapes(bad: str, tree: Path, tmp_path: Path,
                           private_tmp: Path) -> None:
    good = "include/linux/msi.h"
    text = SERIES.read_text()
    text = text.replace(f"--- a/{good}", f"--- {bad}").replace(
        f"+++ b/{good}", "+++ " + bad.replace("a/", "b/", 1)).replace(
        f"diff --git a/{good} b/{good}",
        f"diff --git {bad} {bad.replace('a/', 'b/', 1)}")
    mbox = tmp_path / "escape.mbox"
    mbox.write_bytes(text.encode("utf-8", "surrogateescape"))
    outside = tmp_path / "outside.h"
    status, out, err = cli_case(["apply", str(mbox), "--tree", str(tree)],
                                tree, private_tmp, (str(mbox), "escape.mbox"))
    assert not outside.exists()
    if status != 2:
        # Partial result: the escaping file must not be applied anywhere.
        assert "etc/passwd" not in out or "fail" in out.lower() or \
            "reject" in out.lower() or "skip" in out.lower(), out


# --- size ------------------------------------------------------------------

def test_line_of_tens_of_megabytes(tmp_path: Path, private_tmp: Path) -> None:
    big = "x" * (40 * 1024 * 1024)
    mbox = tmp_path / "longline.mbox"
    mbox.write_bytes(_series_with(
        "Parents that can handle demo IMS set this flag.",
        "Parents that can handle demo IMS set this flag. " + big))
    status, out, err = cli_child(["series", str(mbox)], private_tmp)
    _outcome_ok(status, err, (str(mbox), "longline.mbox"))


def test_base64_part_of_tens_of_megabytes(tmp_path: Path,
                                          private_tmp: Path) -> None:
    payload = base64.encodebytes(b"\0" * (30 * 1024 * 1024)).decode()
    part = ("Content-Type: multipart/mixed; boundary=\"b\"\nMIME-Version: 1.0"
            "\n\n--b\nContent-Type: text/plain\n\nsee attachment\n--b\n"
            "Content-Type: application/octet-stream\n"
            "Content-Transfer-Encoding: base64\n\n" + payload + "--b--\n")
    mbox = tmp_path / "base64.mbox"
    mbox.write_bytes(_series_with(
        "Subject: [PATCH v2 3/3] irqchip/demo: Support demo IMS\n\n",
        "Subject: [PATCH v2 3/3] irqchip/demo: Support demo IMS\n" + part
        + "\nignored\n"))
    status, out, err = cli_child(["series", str(mbox)], private_tmp)
    _outcome_ok(status, err, (str(mbox), "base64.mbox"))


def test_gzip_mailbox_that_inflates_to_gigabytes(tmp_path: Path,
                                                 private_tmp: Path) -> None:
    # 2 GiB of zeros as 2048 gzip members of 1 MiB each: a 2 MB file.
    member = gzip.compress(b"\0" * (1 << 20), compresslevel=9)
    bomb = tmp_path / "bomb.mbox.gz"
    with bomb.open("wb") as fh:
        fh.write(gzip.compress(SERIES.read_bytes()))
        for _ in range(2048):
            fh.write(member)
    status, out, err = cli_child(["series", str(bomb)], private_tmp,
                                 memory_mb=1536)
    _outcome_ok(status, err, (str(bomb), "bomb.mbox.gz"))


def test_base64_encoded_gzip_bomb_part(tmp_path: Path,
                                       private_tmp: Path) -> None:
    """A base64 patch attachment whose gzip content inflates to 2 GiB."""
    member = gzip.compress(b"\0" * (1 << 20), compresslevel=9)
    payload = base64.encodebytes(member * 2048).decode()
    part = ("Content-Type: multipart/mixed; boundary=\"b\"\nMIME-Version: 1.0"
            "\n\n--b\nContent-Type: text/plain\n\nsee attachment\n--b\n"
            "Content-Type: application/gzip; name=\"x.patch.gz\"\n"
            "Content-Transfer-Encoding: base64\n\n" + payload + "--b--\n")
    mbox = tmp_path / "gzpart.mbox"
    mbox.write_bytes(_series_with(
        "Subject: [PATCH v2 3/3] irqchip/demo: Support demo IMS\n\n",
        "Subject: [PATCH v2 3/3] irqchip/demo: Support demo IMS\n" + part
        + "\nignored\n"))
    status, out, err = cli_child(["series", str(mbox)], private_tmp)
    _outcome_ok(status, err, (str(mbox), "gzpart.mbox"))


# --- encodings -------------------------------------------------------------

def test_invalid_utf8_everywhere(tree: Path, tmp_path: Path,
                                 private_tmp: Path) -> None:
    data = SERIES.read_bytes()
    data = data.replace(b"Demo IMS bus token and flag",
                        b"Demo \xff\xfe IMS \xc3\x28 token")
    data = data.replace(b"A new bus token for the demo IMS domains.",
                        b"A new \xed\xa0\x80 token \x80\x81.")
    data = data.replace(b"+\tDOMAIN_BUS_DEMO_IMS,", b"+\tDOMAIN_BUS_DEMO_IMS, /* \xff */")
    mbox = tmp_path / "latin.mbox"
    mbox.write_bytes(data)
    hdr = tree / "include/linux/msi.h"
    hdr.write_bytes(hdr.read_bytes().replace(b"fixture values",
                                             b"fixture \xff\xfe values"))
    for argv in (["series", str(mbox)],
                 ["apply", str(mbox), "--tree", str(tree)],
                 ["report", str(mbox), "--tree", str(tree), "--no-cache"]):
        cli_case(argv, tree, private_tmp, (str(mbox), "latin.mbox"))


# --- C that breaks naive parsers ------------------------------------------

def _add_header(tree: Path, text: str) -> None:
    hdr = tree / "include/linux/msi.h"
    body = hdr.read_text()
    hdr.write_text(body.replace("#endif /* LINUX_MSI_H */",
                                text + "\n#endif /* LINUX_MSI_H */"))


@pytest.mark.parametrize("depth", [2_000, 100_000])
def test_deeply_nested_parentheses(depth: int, tree: Path,
                                   private_tmp: Path) -> None:
    _add_header(tree, "#define MSI_FLAG_DEEP\t" + "(" * depth + "1 << 22"
                + ")" * depth)
    _add_header(tree, "enum { MSI_FLAG_DEEPER = " + "(" * depth + "1 << 23"
                + ")" * depth + " };")
    cli_case(["report", str(SERIES), "--tree", str(tree), "--no-cache"],
             tree, private_tmp, (str(tree), "msi.h"))


def test_deeply_nested_if(tree: Path, private_tmp: Path) -> None:
    depth = 5_000
    _add_header(tree, "#if 1\n" * depth + "#define MSI_FLAG_NESTED (1 << 24)\n"
                + "#endif\n" * depth)
    cli_case(["report", str(SERIES), "--tree", str(tree), "--no-cache"],
             tree, private_tmp, (str(tree), "msi.h"))


def test_self_referential_macros(tree: Path, private_tmp: Path) -> None:
    _add_header(tree, "\n".join((
        "#define MSI_FLAG_SELF\t(MSI_FLAG_SELF | 1)",
        "#define MSI_FLAG_PING\tMSI_FLAG_PONG",
        "#define MSI_FLAG_PONG\t(MSI_FLAG_PING << 1)",
        "#define MSI_FLAG_SETS\t(MSI_FLAG_SELF | MSI_FLAG_PING)",
    )))
    status, out, err = cli_case(
        ["report", str(SERIES), "--tree", str(tree), "--no-cache"],
        tree, private_tmp, (str(tree), "msi.h"))
    assert status in (0, 1), "a cycle is a partial result, not unusable"


# --- trees -----------------------------------------------------------------

def test_symlink_loops_fifos_and_unreadable(tree: Path,
                                            private_tmp: Path) -> None:
    inc = tree / "include/linux"
    os.symlink(".", inc / "loop")
    os.symlink("ping.h", inc / "pong.h")
    os.symlink("pong.h", inc / "ping.h")
    os.symlink("/etc", inc / "outside")
    os.symlink("../../../../../../etc/passwd", inc / "escape.h")
    os.mkfifo(inc / "pipe.h")  # reading it would block forever
    locked = inc / "locked.h"
    locked.write_text("#define MSI_FLAG_LOCKED (1 << 25)\n")
    locked.chmod(0)
    try:
        status, out, err = cli_case(
            ["report", str(SERIES), "--tree", str(tree), "--no-cache"],
            tree, private_tmp, (str(tree),))
    finally:
        locked.chmod(0o644)
    assert status in (0, 1), "the rest of the tree is usable"
    assert "passwd" not in out


def _git_tree(tree: Path, tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.org")
    subprocess.run(["git", "init", "-q", str(repo)], check=True, env=env)
    for src in tree.rglob("*"):
        if src.is_file():
            out = repo / src.relative_to(tree)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(src.read_bytes())
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=env)
    subprocess.run(["git", "commit", "-qm", "base"], cwd=repo, check=True,
                   env=env)
    return repo


def test_git_repository_with_missing_object(tree: Path, tmp_path: Path,
                                            private_tmp: Path) -> None:
    repo = _git_tree(tree, tmp_path)
    blob = subprocess.run(["git", "rev-parse", "HEAD:include/linux/msi.h"],
                          cwd=repo, capture_output=True, text=True,
                          check=True).stdout.strip()
    (repo / ".git/objects" / blob[:2] / blob[2:]).unlink()
    cli_case(["report", str(SERIES), "--tree", str(repo), "--rev", "HEAD",
              "--no-cache"], repo, private_tmp, (str(repo), "msi.h", blob[:7]))


def test_unknown_rev(tree: Path, tmp_path: Path, private_tmp: Path) -> None:
    repo = _git_tree(tree, tmp_path)
    status, _, err = cli_case(
        ["report", str(SERIES), "--tree", str(repo), "--rev", "v9.99-nope"],
        repo, private_tmp, ("v9.99-nope", "--rev"))
    assert status == 2


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="no /proc (not Linux)")
def test_file_system_root_as_tree(private_tmp: Path) -> None:
    # `make fuzz` found it as `constants --tree ../..` run from the
    # repository: the search walked /proc and /sys for over 20 s, and
    # a directory vanishing from /proc mid-walk raised OSError.
    for argv in (["constants", "--tree", "/", "--verbose"],
                 ["refs", "--all", "--tree", "/proc"]):
        status, _, _ = cli_case(argv, None, private_tmp, ("file system",))
        assert status == 2


def test_rev_on_plain_directory(tree: Path, private_tmp: Path) -> None:
    status, _, _ = cli_case(
        ["report", str(SERIES), "--tree", str(tree), "--rev", "HEAD"],
        tree, private_tmp, (str(tree), "--rev"))
    assert status == 2


# --- profiles --------------------------------------------------------------

@pytest.mark.parametrize("text", [
    b"", b"\xff\xfe\x00", b"[[family]]\n", b"name = 3\n[[family]]\nkey = 1\n",
    b"[[family]]\nkey = \"x\"\nprefix = \"\"\nkind = \"bit\"\n",
], ids=["empty", "binary", "family-without-keys", "wrong-types",
        "empty-prefix"])
def test_bad_profiles(text: bytes, tree: Path, tmp_path: Path,
                      private_tmp: Path) -> None:
    profile = tmp_path / "bad.toml"
    profile.write_bytes(text)
    status, _, err = cli_case(
        ["report", str(SERIES), "--tree", str(tree), "--profile",
         str(profile), "--no-cache"], tree, private_tmp,
        (str(profile), "bad.toml"))
    if text == b"":
        assert status == 2, "an empty profile has no families: unusable"


def test_missing_inputs(tree: Path, tmp_path: Path, private_tmp: Path) -> None:
    missing = tmp_path / "nope.mbox"
    status, _, _ = cli_case(["series", str(missing)], None, private_tmp,
                            (str(missing),))
    assert status == 2
    status, _, _ = cli_case(["report", str(SERIES), "--tree",
                             str(tmp_path / "no-tree")], None, private_tmp,
                            ("no-tree",))
    assert status == 2
