"""``patchlens scan``: public-inbox archives built here (synthetic, and
from the LKML corpus), and the real linux-riscv archive in ../shared."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pygit2
import pytest

from patchlens.cli import main
from patchlens.mail.archive import (ArchiveMessage, encoded_parts, header_links,
                                    open_archive, thread_roots)
from tests.archive.build import (NOT_FAMILY_SERIES, build_archive, encoded_patches,
                                 family_series, filler, mbox_messages, message_date,
                                 message_id, prose_only)
from tests.conftest import REPO

RISCV = REPO.parent / "shared" / "archives" / "linux-riscv-0.git"
T0 = 1_700_000_000


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def scan(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    capsys.readouterr()
    status = main(["scan", "--no-tree", "--format", "json", *args])
    out = capsys.readouterr().out
    assert status == 0, out
    doc: dict[str, Any] = json.loads(out)
    assert doc["schema"] == "patchlens-scan/1"
    return doc


def synthetic(path: Path, *, bare: bool = True) -> list[str]:
    msgs = filler(30, T0) + family_series(T0 + 3600) + prose_only(T0 + 7200)
    broken = [(T0 + 100, {"x": b"not a message"}),
              (T0 + 200, {"m": b"\x00\x01 binary"})]
    return build_archive(path, msgs, bare=bare, extra=broken)


def rows(doc: dict[str, Any]) -> list[tuple[str, int, int, int]]:
    return [(r["subject"], r["revision"], len(r["present"]), r["total"])
            for r in doc["series"]]


def test_synthetic_series_revisions_and_constants(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    commits = synthetic(tmp_path / "list.git")
    doc = scan(capsys, str(tmp_path / "list.git"))
    assert rows(doc) == [("[PATCH v2 0/2] frob: message frobnication", 2, 2, 2),
                         ("[PATCH 0/2] frob: message frobnication", 1, 2, 2)]
    for r in doc["series"]:
        assert r["constants"] == [{"name": "MSI_FLAG_FROB", "kind": "added",
                                   "before": None, "after": 8}]
        assert r["missing"] == [] and r["patch_only"]
    assert all(NOT_FAMILY_SERIES not in r["subject"] for r in doc["series"])
    (stats,) = doc["archives"]
    # 30 filler + 6 series + 2 prose + the two broken commits (each
    # commit is counted as a message; the broken ones are warnings)
    assert stats["walked"] == 40 and stats["hits"] == 3 and stats["parsed"] == 8
    assert stats["heads"] == [commits[-1]]
    warned = " ".join(doc["warnings"])
    assert "no message blob 'm'" in warned and "is not mail" in warned
    assert all("commit " in w for w in doc["warnings"])


def test_encoded_bodies_are_searched(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A patch whose body is base64 (a MIME part) or quoted-printable
    (a soft line break inside the flag's name) holds no literal in its
    raw bytes: the prefilter decodes such parts and finds it."""
    commits = build_archive(tmp_path / "list.git", filler(30, T0) + encoded_patches(T0 + 3600))
    doc = scan(capsys, str(tmp_path / "list.git"))
    assert [(r["subject"], [c["name"] for c in r["constants"]]) for r in doc["series"]] == [
        ("genirq/msi: Add a wobble flag", ["MSI_FLAG_WOBBLE"]),
        ("genirq/msi: Add a twiddle flag", ["MSI_FLAG_TWIDDLE"])]
    (stats,) = doc["archives"]
    assert stats["hits"] == 2 and stats["parsed"] == 2
    assert main(["scan", "--no-tree", "--until", "1970-01-01", str(tmp_path / "list.git")]) == 0
    assert "; 0 series revisions touch the families" in " ".join(capsys.readouterr().out.split())
    assert main(["scan", "--no-tree", "--after", commits[-2], str(tmp_path / "list.git")]) == 0
    assert "; 1 series revision touches the families" in " ".join(capsys.readouterr().out.split())


def test_encoded_parts_by_bytes() -> None:
    """The header in any case, CRLF lines, several parts each ended by
    the message's boundary; a part that does not decode is skipped."""
    import base64
    enc = base64.b64encode(b"+\tMSI_FLAG_X = 1,\n")
    raw = (b"Subject: x\r\nCONTENT-TYPE: multipart/mixed; BOUNDARY=\"Zz\"\r\n\r\n"
           b"--Zz\r\ncontent-transfer-encoding: Base64\r\n\r\n" + enc + b"\r\n"
           b"--Zz\r\nContent-Transfer-Encoding : QUOTED-PRINTABLE\r\n\r\n"
           b"--- a/x\r\n+DOMAIN_=\r\nBUS_Y=3D2\r\n--Zz--\r\n")
    assert encoded_parts(raw) == [b"+\tMSI_FLAG_X = 1,\n", b"--- a/x\n+DOMAIN_BUS_Y=2"]
    assert encoded_parts(b"Content-Transfer-Encoding: base64\n\n=!x") == []
    assert encoded_parts(b"Content-Transfer-Encoding: 8bit\n\nbase64") == []


def test_encoded_parts_stay_linear() -> None:
    """Hostile blobs: thousands of encoding headers with no blank line,
    or many encoded parts with no boundary -- the parts never overlap
    and each header run shares one search for its blank line."""
    import base64
    rows = [(b"Content-Transfer-Encoding: quoted-printable\n" * 200_000), (
        b"Content-Type: multipart/mixed; boundary=a\n" * 2000
        + b"Content-Transfer-Encoding: base64\n" * 2000 + b"\n" + b"QUJD\n--a\n" * 700_000)]
    for blob in rows:
        t0 = time.perf_counter()
        encoded_parts(blob)
        assert time.perf_counter() - t0 < 5
    part = b"Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(b"x" * 300)
    got = encoded_parts(part * 40)
    assert len(got) == 32 and all(g == b"x" * 300 for g in got)


def test_not_bare_and_text_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    synthetic(tmp_path / "clone", bare=False)
    assert main(["scan", "--no-tree", str(tmp_path / "clone")]) == 0
    out = capsys.readouterr().out
    assert "2 series revisions touch the families" in out
    assert "constants +MSI_FLAG_FROB" in out
    assert main(["scan", "--no-tree", "--format", "terse", "--no-cache",
                 str(tmp_path / "clone")]) == 0
    terse = capsys.readouterr().out.splitlines()
    assert len(terse) == 2 and terse[0].split("\t")[1] == "v2"


def test_detail_prints_each_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    synthetic(tmp_path / "list.git")
    assert main(["scan", "--no-tree", "--detail", str(tmp_path / "list.git")]) == 0
    out = capsys.readouterr().out
    assert out.count("CONSTANTS CHANGED BY THE SERIES") == 2


def test_incremental(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "list.git"
    synthetic(path)
    first = scan(capsys, str(path))
    start = time.monotonic()
    again = scan(capsys, str(path))
    assert time.monotonic() - start < 1.0
    assert again["archives"][0]["cached"] and again["archives"][0]["walked"] == 0
    assert again["archives"][0]["messages"] == 40
    assert again["series"] == first["series"]
    # the list goes on: unrelated mail, then a v3 in reply to v2's cover
    repo = pygit2.Repository(str(path))
    head = repo.head.target
    more = filler(5, T0 + 10 * 86400, seed=1)
    v3 = [m for m in family_series(T0 + 3600, revisions=3)[6:]]
    _append(repo, more + [(T0 + 11 * 86400 + i, raw) for i, (_, raw) in enumerate(v3)])
    grown = scan(capsys, str(path))
    assert grown["archives"][0]["walked"] == 8 and grown["archives"][0]["messages"] == 48
    assert grown["archives"][0]["threads"] == 1   # only the grown thread
    assert [r[1] for r in rows(grown)] == [3, 2, 1]
    # --after the old head walks just those, without the cache
    after = scan(capsys, "--after", str(head), str(path))
    assert after["archives"][0]["walked"] == 8
    assert not after["archives"][0]["cached"]


def _append(repo: pygit2.Repository, messages: list[tuple[int, bytes]]) -> None:
    parent = repo.head.target
    for when, raw in messages:
        builder = repo.TreeBuilder()
        builder.insert("m", repo.create_blob(raw), pygit2.enums.FileMode.BLOB)
        sig = pygit2.Signature("x", "x@example.org", when, 0)
        parent = repo.create_commit("refs/heads/master", sig, sig, "m\n",
                                    builder.write(), [parent])


def test_window(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "list.git"
    synthetic(path)
    day = time.strftime("%Y-%m-%d", time.gmtime(T0 + 3600 + 86400))
    late = scan(capsys, "--since", day, str(path))
    assert [r[1] for r in rows(late)] == [2]
    early = scan(capsys, "--until", time.strftime("%Y-%m-%d", time.gmtime(T0 + 3600)),
                 str(path))
    assert [r[1] for r in rows(early)] == [1]


def test_epochs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A v2 archive: git/0.git and git/1.git; the v2 thread's root is
    in epoch 0."""
    series = family_series(T0 + 3600)
    zero = build_archive(tmp_path / "inbox" / "git" / "0.git", filler(10, T0) + series[:3])
    one = build_archive(tmp_path / "inbox" / "git" / "1.git",
                        series[3:] + filler(4, T0 + 9 * 86400, seed=2))
    assert len(open_archive(str(tmp_path / "inbox"))) == 2
    doc = scan(capsys, str(tmp_path / "inbox"))
    assert [r[1] for r in rows(doc)] == [2, 1]
    assert doc["archives"][0]["walked"] == 20
    # --after a commit of epoch 0: the rest of it and all of epoch 1
    after = scan(capsys, "--after", zero[-2], str(tmp_path / "inbox"))
    assert after["archives"][0]["walked"] == 1 + len(one)
    assert [r[1] for r in rows(after)] == [2]       # v1's patch 2 alone is no family series
    assert main(["scan", "--after", "0" * 40, str(tmp_path / "inbox")]) == 2


@pytest.mark.parametrize("make", ["missing", "file", "plain-dir"])
def test_unusable_path(tmp_path: Path, capsys: pytest.CaptureFixture[str], make: str) -> None:
    target = tmp_path / "x"
    if make == "file":
        target.write_text("hello")
    elif make == "plain-dir":
        target.mkdir()
    assert main(["scan", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(target) in err


def test_not_an_archive_repo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A git repository of source files: warned once, not walked to its end."""
    extra = [(T0 + i, {"README": f"v{i}\n".encode()}) for i in range(80)]
    build_archive(tmp_path / "src.git", [], extra=extra)
    doc = scan(capsys, str(tmp_path / "src.git"))
    assert doc["series"] == []
    assert any("not a public-inbox archive" in w for w in doc["warnings"])


def test_missing_blob(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "list.git"
    build_archive(path, filler(6, T0), bare=True)
    repo = pygit2.Repository(str(path))
    commit = repo[repo.head.target]
    blob = commit.tree["m"].id
    loose = path / "objects" / str(blob)[:2] / str(blob)[2:]
    os.chmod(loose, 0o600)
    loose.unlink()
    doc = scan(capsys, str(path))
    assert doc["archives"][0]["walked"] == 6
    assert any(str(commit.id)[:12] in w and "missing object" in w for w in doc["warnings"])


def test_header_links_fold_and_order() -> None:
    raw = (b"From: a@example.org\nMessage-ID:\n <m3@x>\nIn-Reply-To: <m2@x>\n"
           b"References: <m1@x>\n\t<m2@x>\nSubject: s\n\nbody\nMessage-ID: <no@x>\n")
    assert header_links(raw) == ("m3@x", ("m2@x", "m1@x"), True)
    assert header_links(b"just text\n\nno headers")[2] is False


def test_roots_do_not_merge_threads() -> None:
    def msg(mid: str, *parents: str) -> ArchiveMessage:
        return ArchiveMessage("c", "b", 0, mid, parents, False)
    roots = thread_roots([msg("a"), msg("a1", "a"), msg("b"), msg("b1", "b"),
                          msg("x", "a1", "b1", "b"), msg("y", "gone"),
                          msg("z", "gone", "a1")])
    assert roots["a1"] == "a" and roots["b1"] == "b" and roots["x"] == "b"
    assert roots["y"] == "gone" and roots["z"] == "a"


# -- the LKML corpus as one list archive -------------------------------

# (title words, revision, present, total, constants it must list)
CORPUS_ROWS = [
    ("Handle the NOMASK flag correctly", 1, 1, 1, set()),
    ("Disable MSI remapping bypass under Xen", 3, 2, 3, {"MSI_FLAG_NO_MASK"}),
    ("disable MSI remapping bypass under Xen", 2, 2, 3, {"MSI_FLAG_NO_MASK"}),
    ("disable MSI remapping bypass under Xen", 1, 2, 3, {"MSI_FLAG_NO_MASK"}),
    ("[PATCH v4 00/15] genirq/msi: Silence set affinity", 4, 15, 15, {"MSI_FLAG_NO_AFFINITY"}),
    ("genirq/msi: Silence set affinity failed warning", 3, 3, 3, {"MSI_FLAG_NO_AFFINITY"}),
    ("Silence set affinity failed warning", 2, 1, 1, {"MSI_FLAG_USE_DEF_CHIP_OPS_NOAFF"}),
    # [patch V4-1 01/21], the respin of 01/21 posted in the thread, is
    # part of V4 (no row of its own): V4 with V4-1 in place of 01/21
    ("[patch V4 00/21] genirq, irqchip: Convert ARM MSI", 4, 21, 21, {"MSI_FLAG_PCI_MSI_MASK_PARENT"}),
    ("Remove IMS (Interrupt Message Store) support", 2, 7, 7,
     {"MSI_FLAG_PCI_IMS", "MSI_SECONDARY_DOMAIN", "MSI_MAX_DEVICE_IRQDOMAINS"}),
    ("[patch V2 00/40] genirq, irqchip: Convert ARM MSI", 2, 40, 40,
     {"DOMAIN_BUS_DEVICE_IMS", "DOMAIN_BUS_WIRED_TO_MSI"}),
    ("[patch V2 00/33]", 2, 25, 33, {"DOMAIN_BUS_PCI_DEVICE_IMS", "MSI_FLAG_PCI_IMS",
                                     "MSI_FLAG_PCI_MSIX_ALLOC_DYN"}),
    ("[patch V2 00/21]", 2, 21, 21, {"MSI_DEFAULT_DOMAIN", "MSI_MAX_DEVICE_IRQDOMAINS"}),
    ("[patch 00/33]", 1, 28, 33, {"DOMAIN_BUS_PCI_DEVICE_IMS", "MSI_FLAG_PCI_IMS"}),
    # Part 2 V1: the cover's Message-ID is misspelt in the archive
    # (".dexo"), so the thread is titled by its first patch
    ("Move IRQ_DOMAIN_MSI_NOMASK_QUIRK to MSI flags", 1, 20, 20,
     {"MSI_DEFAULT_DOMAIN", "MSI_MAX_DEVICE_IRQDOMAINS"}),
]


@pytest.mark.corpus
def test_corpus_archive(corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seen: set[str | None] = set()
    msgs: list[tuple[int, bytes]] = []
    for f in sorted(corpus.glob("*.mbox")):
        for raw in mbox_messages(f):
            mid = message_id(raw)
            if mid not in seen:
                seen.add(mid)
                msgs.append((message_date(raw), raw))
    first = min(d for d, _ in msgs)
    build_archive(tmp_path / "lkml.git", msgs + filler(200, first - 30 * 86400))
    doc = scan(capsys, str(tmp_path / "lkml.git"))
    got = doc["series"]
    assert len(got) == len(CORPUS_ROWS), [r["subject"] for r in got]
    for r, (words, rev, present, total, names) in zip(got, CORPUS_ROWS):
        assert words in r["subject"], (r["subject"], words)
        assert (r["revision"], len(r["present"]), r["total"]) == (rev, present, total)
        assert names <= {c["name"] for c in r["constants"]}, r["subject"]
    stats = doc["archives"][0]
    assert stats["walked"] == len(msgs) + 200
    assert stats["parsed"] < len(msgs)      # threads without a literal stay unparsed


@pytest.mark.skipif(not (RISCV / "HEAD").is_file(),
                    reason=f"real archive not found at {RISCV} (needs ../shared beside the clone)")
def test_real_riscv_archive(capsys: pytest.CaptureFixture[str]) -> None:
    doc = scan(capsys, "--no-cache", str(RISCV))
    (stats,) = doc["archives"]
    assert stats["walked"] == 6158          # as its README says (git log agrees)
    assert stats["hits"] == 0 and doc["series"] == [] and doc["warnings"] == []


@pytest.mark.skipif(not (RISCV / "HEAD").is_file(),
                    reason=f"real archive not found at {RISCV} (needs ../shared beside the clone)")
def test_readme_shows_what_scan_prints(capsys: pytest.CaptureFixture[str]) -> None:
    """The README's riscv block is this run's text, cold then warm."""
    readme = (REPO / "README.md").read_text()
    capsys.readouterr()
    for _ in range(2):
        assert main(["scan", str(RISCV)]) == 0
        out = capsys.readouterr().out
        assert out in readme.replace("$ patchlens scan linux-riscv          # again: only "
                                     "what is new\n", "").replace(
            "$ patchlens scan linux-riscv\n", ""), out


def test_with_a_tree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--tree: each series is checked against it as ``check`` does (the
    demo tree already has a flag on bit 3)."""
    synthetic(tmp_path / "list.git")
    capsys.readouterr()
    assert main(["scan", "--format", "json", "--tree", str(REPO / "fixtures" / "demo" / "tree"),
                 str(tmp_path / "list.git")]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(r["revision"], r["top"]["severity"], r["top"]["code"], r["patch_only"])
            for r in doc["series"]] == [(2, "error", "bit-collision", False),
                                        (1, "error", "bit-collision", False)]
    # a CI job: exit 1 at --fail-on, as check does
    tree = str(REPO / "fixtures" / "demo" / "tree")
    assert main(["scan", "-q", "--fail-on", "error", "--tree", tree,
                 str(tmp_path / "list.git")]) == 1
    assert main(["scan", "-q", "--fail-on", "error", "--no-tree",
                 str(tmp_path / "list.git")]) == 0


def test_reading_in_chunks_finds_the_same(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A large walk is read by the pool in chunks while it goes on: the
    answer is the one a single process gives."""
    from patchlens import archive as scan_command
    synthetic(tmp_path / "list.git")
    whole = scan(capsys, "--no-cache", str(tmp_path / "list.git"))
    monkeypatch.setattr(scan_command, "_CHUNK", 7)
    chunked = scan(capsys, "--no-cache", str(tmp_path / "list.git"))
    assert chunked["series"] == whole["series"]
    assert sorted(chunked["warnings"]) == sorted(whole["warnings"])
    assert chunked["archives"][0]["walked"] == whole["archives"][0]["walked"] == 40
