"""Hostile input for every stage: generators, targets, and the runner.

Each *input kind* (mbox, diff, quoted reply, C source, profile, argv;
and for the mail stage alone: headers with RFC 2231 parameters and
encoded words, nested MIME, compressed input, regex-stressing lines;
and issue 16's: C nested deep in a tree file or an added file
(``cnesting``), regexes from a profile or MAINTAINERS (``profileregex``),
huge and special files as mailbox, profile, tree file or MAINTAINERS
(``specialfile``), a damaged scan cache (``cachedamage``: the warm answer
must be the cold one) and a tree changed under its cache (``dirswap``))
has a seed written for patchlens (``fixtures/hostile/``), a hypothesis
strategy that mutates it, and a *target* that feeds one input to the
stages that read that kind.  A target may end in three ways:

- a clean result (possibly with warnings);
- :class:`patchlens.errors.InputError` (the CLI's one-line error);
- anything else, which is a bug: a :class:`Crash` naming the kind, the
  stage and the exception.

``tests/cli/test_hostile_generated.py`` runs 200 inputs per kind inside
``make test``; ``make fuzz`` (``python -m tests.fuzz``) runs 100,000 in
total and prints how many were tried and failed per kind.

Stages that are not written yet (ImportError, NotImplementedError from a
stub) make a kind *unavailable*, not failed: the suite grows as the
stages land.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
import signal
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from importlib.resources import files
from pathlib import Path
from unittest import mock

from hypothesis import strategies as st

from patchlens.errors import InputError

__all__ = [
    "FIXTURES", "SEED_TREE", "Kind", "KINDS", "Crash", "Unavailable", "KnownBug", "KNOWN_BUGS", "known_bug",
    "Hang", "run_one", "mutated", "memory_tree", "snapshot", "main",
]

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures" / "hostile"
SEED_TREE = FIXTURES / "tree"

# Per input: far above what any stage needs on these small inputs, so
# only a hang (an endless loop, runaway backtracking) trips it.
HANG_SECONDS = 20


class Crash(Exception):
    """A stage raised something other than InputError: a bug."""

    def __init__(self, kind: str, stage: str, exc: BaseException,
                 data: bytes | list[str]) -> None:
        tb = traceback.extract_tb(exc.__traceback__)
        own = [f for f in tb if "/patchlens/" in f.filename] or tb
        at = f"{own[-1].filename}:{own[-1].lineno}" if own else "?"
        self.kind, self.stage, self.exc, self.data = kind, stage, exc, data
        self.at = at
        super().__init__(f"{kind}: {stage} raised {type(exc).__name__}: "
                         f"{str(exc)[:200]} (at {at})")


class Unavailable(Exception):
    """The stage is not written yet (import fails or it is a stub)."""


class Hang(Exception):
    """One input took longer than HANG_SECONDS."""


# --- seeds -----------------------------------------------------------------

def _read(path: Path) -> bytes:
    return path.read_bytes()


def seed_tree_files() -> dict[str, bytes]:
    """The fixture tree as path -> bytes (posix paths)."""
    out = {}
    for p in sorted(SEED_TREE.rglob("*")):
        if p.is_file():
            out[p.relative_to(SEED_TREE).as_posix()] = p.read_bytes()
    return out


def seed_diffs() -> bytes:
    """The diff parts of the fixture series, one after the other."""
    text = _read(FIXTURES / "series.mbox").decode()
    parts = []
    for chunk in text.split("\ndiff --git ")[1:]:
        parts.append("diff --git " + chunk.split("\n-- \n")[0].split(
            "\nFrom mboxrd@z")[0])
    return "\n".join(parts).encode()


def default_profile_text() -> bytes:
    return files("patchlens.profiles").joinpath("genirq-msi.toml").read_bytes()


# --- mutation --------------------------------------------------------------

# Fragments that steer mutations to where parsers decide things.
TOKENS: tuple[bytes, ...] = (
    b"\x00", b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\r\n", b"\r",
    b"\n", b"\t", b" ", b"\\\n",
    b"From mboxrd@z Thu Jan  1 00:00:00 1970\n", b"From ", b">From ",
    b"\nContent-Transfer-Encoding: base64\n\n",
    b"\nContent-Transfer-Encoding: quoted-printable\n\n=\n=ZZ",
    b"\nContent-Type: multipart/mixed; boundary=\"x\"\n\n--x\n",
    b"=?utf-8?b?AAAA?=", b"=?bogus?q?=FF?=",
    b"Subject: [PATCH v999999999999 99/3] x\n", b"[PATCH 0/0]",
    b"[PATCH v2 3/2]", b"[PATCH v-1 -1/-1]", b"Re: Re: ",
    b"In-Reply-To: <20240304090000.2-demo@example.org>\n",
    b"Message-Id: <20240304090000.1-demo@example.org>\n",
    b"base-commit: ", b"base-commit: ../../../etc\n",
    b"\ndiff --git a/x b/x\n", b"--- a/../../etc/passwd\n",
    b"+++ b/../../etc/passwd\n", b"+++ /etc/passwd\n", b"--- /dev/null\n",
    b"+++ /dev/null\n", b"--- a/a\x00b\n",
    b"@@ -1,3 +1,4 @@", b"@@ -0,0 +0,0 @@", b"@@ -99999999999,1 +1 @@",
    b"@@ -1 +1 @@\n", b"@@ @@\n", b"\\ No newline at end of file\n",
    b"GIT binary patch\nliteral 5\nzcmZ?wbhEHb\n\n", b"rename from ",
    b"rename to ", b"new file mode 100644\n", b"deleted file mode 100644\n",
    b"similarity index 100%\n", b"index 0000000..ffffffff 100644\n",
    b"> ", b">> ", b"> @@ -33,6 +33,8 @@ enum {\n", b"> +",
    b"#if 1\n", b"#if 0\n", b"#else\n", b"#endif\n", b"#ifdef X\n",
    b"#define MSI_FLAG_LOOP MSI_FLAG_LOOP\n",
    b"#define BIT(nr) BIT(nr)\n", b"(((((((((", b")))))))))",
    b"(1 << 99)", b"(1 << -1)", b"1/0", b"1 % 0", b"0x", b"~0UL",
    b"18446744073709551616", b"-9223372036854775809", b"GENMASK(0, 63)",
    b"enum irq_domain_bus_token {", b"enum msi_domain_ids {", b"};", b"{",
    b"}", b"/*", b"*/", b"//", b"\"", b"'", b"= ,", b",,",
    b"[[family]]\n", b"[family]\n", b"key = \"\"\n", b"prefix = \"\"\n",
    b"enum = 3\n", b"kind = \"nope\"\n", b"masks = [1, 2]\n", b"= = =",
    b"[prefilter]\nliterals = []\n", b"arg = -1\n", b"arg = 99999999999\n",
)


@st.composite
def mutated(draw: st.DrawFn, seed: bytes,
            tokens: tuple[bytes, ...] = TOKENS, max_ops: int = 6) -> bytes:
    """``seed`` after 1..max_ops byte, line and number mutations."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, max_ops))):
        op = draw(st.sampled_from(
            ("insert", "insert", "flip", "delete", "dup", "truncate",
             "line-drop", "line-dup", "line-swap", "number", "strip-ws")))
        n = len(data)
        at = draw(st.integers(0, max(n, 1) - 1)) if n else 0
        if op == "insert":
            piece = draw(st.one_of(st.sampled_from(tokens),
                                   st.binary(min_size=1, max_size=32)))
            data[at:at] = piece
        elif op == "flip" and n:
            data[at] = draw(st.integers(0, 255))
        elif op == "delete" and n:
            del data[at:at + draw(st.integers(1, 256))]
        elif op == "dup" and n:
            data[at:at] = data[at:at + draw(st.integers(1, 512))]
        elif op == "truncate":
            del data[at:]
        elif op.startswith("line-") and n:
            lines = bytes(data).split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            if op == "line-drop":
                del lines[i]
            elif op == "line-dup":
                lines.insert(i, lines[j])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            data = bytearray(b"\n".join(lines))
        elif op == "number":
            # Hunk counts, shifts, subject numbers: swap one for an extreme.
            digits = [i for i in range(n) if 48 <= data[i] <= 57]
            if digits:
                k = digits[draw(st.integers(0, len(digits) - 1))]
                new = draw(st.sampled_from(
                    (b"0", b"-1", b"99999", b"4294967296",
                     b"340282366920938463463374607431768211456", b"00")))
                data[k:k + 1] = new
        elif op == "strip-ws" and n:
            # What archives do to quoted diffs: leading whitespace lost.
            lines = bytes(data).split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            lines[i] = lines[i].lstrip(b" \t")
            data = bytearray(b"\n".join(lines))
    return bytes(data)


# --- in-memory trees -------------------------------------------------------

def memory_tree(files_: dict[str, bytes]):
    """A TreeSource holding ``files_`` (the tree stage's overlay over the
    empty tree: no second implementation of the protocol here)."""
    try:
        from patchlens.tree.empty import EmptyTree
        from patchlens.tree.overlay import OverlayTree
    except ImportError as exc:
        raise Unavailable(f"tree stage: {exc}") from None
    return OverlayTree(EmptyTree(reason="fuzz"), files_, label="fuzz tree")


def snapshot(root: Path) -> dict[str, tuple[int, int, int]]:
    """(mode, size, mtime_ns) of everything below ``root`` (no following)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            try:
                st_ = os.lstat(p)
            except OSError:
                continue
            out[os.path.relpath(p, root)] = (st_.st_mode, st_.st_size,
                                             st_.st_mtime_ns)
    return out


# --- targets ---------------------------------------------------------------

def _import(module: str, name: str):
    import importlib
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        raise Unavailable(f"{module}: {exc}") from None
    obj = getattr(mod, name, None)
    if obj is None:
        raise Unavailable(f"{module}.{name} does not exist yet")
    return obj


@dataclass
class Context:
    """What targets share: a scratch directory and cached seeds."""
    work: Path
    tree_files: dict[str, bytes] = field(default_factory=seed_tree_files)
    _profile: object = None

    def profile(self):
        if self._profile is None:
            self._profile = _import("patchlens.extract.profile",
                                    "load_profile")(None)
        return self._profile

    def write(self, name: str, data: bytes) -> str:
        path = self.work / name
        path.write_bytes(data)
        return str(path)


def _stage(kind: str, stage: str, data, fn: Callable, *args, **kw):
    """Call one stage; InputError passes, NotImplementedError means the
    stage is a stub, anything else is a Crash."""
    try:
        return fn(*args, **kw)
    except InputError:
        raise
    except NotImplementedError as exc:
        raise Unavailable(f"{stage}: not implemented") from exc
    except (Hang, Unavailable):
        raise
    except RecursionError as exc:
        raise Crash(kind, stage, exc, data) from exc
    except Exception as exc:  # noqa: BLE001 - the point is to catch all
        raise Crash(kind, stage, exc, data) from exc


def _downstream(kind: str, data, series, ctx: Context) -> None:
    """Apply a series to the fixture tree and extract constants."""
    apply_series = _import("patchlens.tree.apply", "apply_series")
    tree = memory_tree(ctx.tree_files)
    applied = _stage(kind, "tree.apply.apply_series", data, apply_series,
                     tree, series)
    try:
        history = _import("patchlens.extract.history", "constant_history")
    except Unavailable:
        return
    found = _stage(kind, "extract.history.constant_history", data, history,
                   applied, series, ctx.profile())
    try:
        checks = _import("patchlens.checks", "constant_findings")
    except Unavailable:
        return
    _stage(kind, "checks.constant_findings", data, checks, found,
           ctx.profile(), applied, series)


def target_mbox(data: bytes, ctx: Context, kind: str = "mbox") -> None:
    read_series = _import("patchlens.mail", "read_series")
    path = ctx.write("input.mbox", data)
    series = _stage(kind, "mail.read_series", data, read_series, path)
    _downstream(kind, data, series, ctx)


def target_reply(data: bytes, ctx: Context) -> None:
    # Archive text (the quoted reply alone) goes through the same reader.
    read_series = _import("patchlens.mail", "read_series")
    path = ctx.write("reply.txt", data)
    series = _stage("reply", "mail.read_series", data, read_series, path)
    if series.patches or series.rebuilt:
        _downstream("reply", data, series, ctx)


def target_diff(data: bytes, ctx: Context) -> None:
    parse_diff = _import("patchlens.diff", "parse_diff")
    text = data.decode("utf-8", "surrogateescape")
    patches = _stage("diff", "diff.parse_diff", data, parse_diff, text,
                     "<fuzz diff>")
    from patchlens.mail.model import Message, Patch, Series
    msg = Message(msgid="fuzz@patchlens", subject="[PATCH] fuzz",
                  author="fuzz <fuzz@example.org>", date="", in_reply_to=None,
                  references=(), body=text, source="<fuzz diff>")
    patch = Patch(revision=1, index=1, total=1, title="fuzz", message=msg,
                  commit_message="", files=tuple(patches), trailers=())
    series = Series(revision=1, revision_reason="fuzz", revisions_seen=(1,),
                    total=1, cover=None, patches=(patch,), missing=(),
                    replies=(), base_commit=None, prerequisite_patch_ids=(),
                    change_id=None, source="<fuzz diff>")
    _downstream("diff", data, series, ctx)


C_PATHS = ("include/linux/msi.h", "include/linux/irqdomain_defs.h",
           "kernel/irq/msi.c", "drivers/irqchip/irq-demo-msi.c")


def target_csource(data: bytes, ctx: Context, path: str) -> None:
    extract = _import("patchlens.extract.constants", "extract_constants")
    files_ = dict(ctx.tree_files)
    files_[path] = data
    tree = memory_tree(files_)
    table = _stage("csource", "extract.constants.extract_constants", data,
                   extract, tree, ctx.profile())
    try:
        scan = _import("patchlens.extract.scan", "scan_references")
    except Unavailable:
        return
    names = _names(table)
    _stage("csource", "extract.scan.scan_references", data, scan,
           tree, names, ctx.profile(), cache=False, jobs=1)


def _names(table) -> tuple[str, ...]:
    """Constant names from a ConstantTable, whatever its exact shape."""
    for attr in ("names", "constants", "by_name"):
        value = getattr(table, attr, None)
        if callable(value):
            value = value()
        if value is None:
            continue
        if isinstance(value, dict):
            return tuple(value)
        try:
            return tuple(getattr(c, "name", c) for c in value)
        except TypeError:
            continue
    return ("MSI_FLAG_PCI_MSIX", "DOMAIN_BUS_NEXUS")


EXPRESSIONS = (
    b"(1 << 21)", b"BIT(3) | BIT(5)", b"GENMASK(31, 16)", b"~0UL >> (63 - 15)",
    b"(MSI_FLAG_USE_DEF_DOM_OPS | MSI_FLAG_USE_DEF_CHIP_OPS)",
    b"((unsigned long)1 << 40) - 1", b"DOMAIN_BUS_AMDVI + 1", b"-1 ? 2 : 3",
    b"sizeof(int) * 8", b"0x7fffffff + 0x1UL", b"'a' - 0", b"!MSI_FLAG_A",
)


def _self_referential(name: str):
    """A resolver in which every name is defined by itself or a cycle."""
    from patchlens.c.evaluate import evaluate
    depth = [0]

    def resolve(n: str):
        depth[0] += 1
        if depth[0] > 50:      # the resolver's own guard, not the stage's
            return None
        try:
            return evaluate(f"({n} | 1)" if n.endswith("A") else "MSI_FLAG_A",
                            resolve)
        finally:
            depth[0] -= 1
    return resolve


def target_expr(data: bytes, ctx: Context) -> None:  # noqa: ARG001
    evaluate = _import("patchlens.c.evaluate", "evaluate")
    text = data.decode("utf-8", "surrogateescape")
    # The contract: evaluate never raises, whatever the text.
    _stage("expr", "c.evaluate.evaluate", data, evaluate, text)
    _stage("expr", "c.evaluate.evaluate(cyclic)", data, evaluate,
           text, _self_referential(text))


def target_profile(data: bytes, ctx: Context) -> None:
    load = _import("patchlens.extract.profile", "load_profile")
    path = ctx.write("profile.toml", data)
    profile = _stage("profile", "extract.profile.load_profile", data, load,
                     path)
    try:
        extract = _import("patchlens.extract.constants", "extract_constants")
    except Unavailable:
        return
    _stage("profile", "extract.constants.extract_constants", data, extract,
           memory_tree(ctx.tree_files), profile)


# The CLI: argv built from the declared options, with hostile values.
SUBCOMMANDS = ("series", "apply", "constants", "refs", "graph", "report",
               "check", "impact rename", "impact invert", "impact accept",
               "diff")


@st.composite
def argv_strategy(draw: st.DrawFn) -> list[str]:
    words = draw(st.sampled_from(SUBCOMMANDS)).split()
    pos = draw(st.sampled_from(
        ("@mbox", "@mutated", "@missing", "@dir", "/dev/null", "-x", "",
         "MSI_FLAG_PCI_MSIX", "DOMAIN_BUS_NEXUS", "\x7f\u00e9", "..")))
    argv = list(words)
    if words[0] in ("series", "apply", "report", "check", "diff"):
        argv.append(pos)
    elif words[0] == "impact":
        argv += {"rename": ["MSI_FLAG_PCI_MSIX", pos],
                 "invert": [pos], "accept": [pos]}[words[1]]
    elif words[0] in ("refs", "graph"):
        argv += draw(st.sampled_from(([], ["--all"], [pos])))
    for opt in draw(st.lists(st.sampled_from(
            ("--tree", "--rev", "--no-tree", "--profile", "--format", "-v",
             "--family", "--no-cache", "--series", "--verbose", "-q",
             "--fail-on", "--focus")), max_size=4, unique=True)):
        value = draw(st.sampled_from(
            ("@tree", "@missing", "@mbox", "@profile", "@emptyprofile",
             "HEAD", "v9.99", "deadbeef", "text", "json", "markdown",
             "error", "0", "-1", "99999999999999999999", "bus_token",
             "nonexistent", "", "a\u00e9", "../..")))
        argv.append(opt)
        if opt not in ("--no-tree", "--no-cache", "--verbose", "-q"):
            argv.append(value)
    if argv[0] not in ("series", "diff"):
        # Keep the generated runs inside the fixture world: never let a
        # run fall back to the current directory's tree.
        if "--tree" not in argv and "--no-tree" not in argv:
            argv += ["--tree", "@tree"]
    return argv


def _resolve_argv(argv: list[str], ctx: Context, mbox: bytes) -> list[str]:
    subst = {"@tree": str(ctx.work / "tree"), "@mbox": str(FIXTURES / "series.mbox"),
             "@missing": str(ctx.work / "missing.mbox"), "@dir": str(ctx.work),
             "@profile": str(ctx.work / "profile.toml"),
             "@emptyprofile": str(ctx.work / "empty.toml")}
    out = []
    for word in argv:
        if word == "@mutated":
            out.append(ctx.write("cli.mbox", mbox))
        else:
            out.append(subst.get(word, word))
    return out


def prepare_cli_world(ctx: Context) -> None:
    """A copy of the fixture tree and the profiles the argv may name."""
    tree = ctx.work / "tree"
    if not tree.exists():
        for rel, data in ctx.tree_files.items():
            p = tree / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
    (ctx.work / "profile.toml").write_bytes(default_profile_text())
    (ctx.work / "empty.toml").write_bytes(b"")


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """``patchlens.cli.main(argv)`` in-process: (status, stdout, stderr).
    As in a process of its own, --verbose speaks of this run's sessions
    (and no run keeps the last one's alive)."""
    from patchlens import session
    from patchlens.cli import main as cli_main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            mock.patch.object(session, "_OPENED", []):
        try:
            status = cli_main(argv)
        except SystemExit as exc:
            status = exc.code if isinstance(exc.code, int) else 2
    return int(status or 0), out.getvalue(), err.getvalue()


_PARSER: list[argparse.ArgumentParser] = []


def _one_parser() -> argparse.ArgumentParser:
    """``build_parser()`` once for all generated argv: building it costs
    more than most runs (parsing leaves it as it was)."""
    if not _PARSER:
        from patchlens.cli import build_parser
        _PARSER.append(build_parser())
    return _PARSER[0]


def target_cli(data: tuple[list[str], bytes], ctx: Context) -> None:
    argv = _resolve_argv(data[0], ctx, data[1])
    parser = _one_parser()
    try:
        # in the scratch directory: a relative path ('..') names the same
        # files whatever directory the suite runs from (not all of /tmp)
        with contextlib.chdir(ctx.work), \
                mock.patch("patchlens.cli.build_parser", lambda: parser):
            status, _, err = run_cli(argv)
    except (ImportError, NotImplementedError):
        # A subcommand (or a stage it needs) that is not written yet; the
        # stages are fuzzed directly by the other kinds.
        return
    except (Hang, Unavailable):
        raise
    except Exception as exc:  # noqa: BLE001
        raise Crash("cli", "cli.main", exc, argv) from exc
    if status not in (0, 1, 2):
        said = err.strip().splitlines()[-1:] or ["(nothing on stderr)"]
        raise Crash("cli", "cli.main",
                    AssertionError(f"exit status {status}: {said[0][:300]}"), argv)
    if status == 2 and len(err.strip().splitlines()) != 1:
        raise Crash("cli", "cli.main", AssertionError(
            f"exit 2 without exactly one error line: {err[:300]!r}"), argv)


@dataclass(frozen=True)
class Kind:
    """One input kind: how to make inputs and where to feed them."""
    name: str
    strategy: Callable[[], st.SearchStrategy]
    target: Callable[[object, Context], None]
    setup: Callable[[Context], None] = lambda ctx: None


def _reply_in_thread() -> st.SearchStrategy:
    """The fixture thread with only its last message (the reply) mutated."""
    mbox = _read(FIXTURES / "series.mbox")
    cut = mbox.rindex(b"From mboxrd@z")
    return mutated(mbox[cut:]).map(lambda reply: mbox[:cut] + reply)


def _csource_strategy() -> st.SearchStrategy:
    tree = seed_tree_files()
    return st.sampled_from(C_PATHS).flatmap(
        lambda p: st.tuples(st.just(p), mutated(tree[p])))


# --- round 2 kinds: headers, MIME, compressed input, regex stress ----------

# Charset names: text codecs, bytes-to-bytes codecs, codecs that refuse
# errors="replace", and names that are no codec at all.
CHARSETS = ("utf-8", "us-ascii", "iso-8859-1", "utf-16", "utf-7", "big5",
            "hex", "idna", "punycode", "rot13", "base64", "zlib", "uu",
            "bz2", "quopri", "undefined", "unicode_escape", "x-bogus", "",
            "utf-8*en", "'", "\u00e9")


def _seed_patch() -> bytes:
    """The fixture mbox's first patch message, separator line included."""
    mbox = _read(FIXTURES / "series.mbox")
    parts = mbox.split(b"\nFrom mboxrd@z")
    first = parts[1] if len(parts) > 1 else parts[0]
    return b"From mboxrd@z" + first.rstrip(b"\n") + b"\n"


@st.composite
def _encoded_word(draw: st.DrawFn) -> str:
    cs = draw(st.sampled_from(CHARSETS))
    enc = draw(st.sampled_from("qQbBx"))
    text = draw(st.sampled_from(("=FF=FE", "caf=C3=A9", "w6k=", "AAAA", "", "_=",
                                 "?", "=?", "abc?=", "=C3")))
    return f"=?{cs}?{enc}?{text}?="


@st.composite
def _param(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(("format", "delsp", "charset", "name", "boundary")))
    cs = draw(st.sampled_from(CHARSETS))
    value = draw(st.sampled_from(("flowed", "yes", "utf-8", "hex", "%FF%FE", "fixed",
                                  "x.patch", "")))
    form = draw(st.sampled_from((f"{name}*={cs}''{value}", f"{name}*=''{value}",
                                 f"{name}*0*={cs}'en'{value}; {name}*1={value}",
                                 f"{name}*={value}", f"{name}={value}",
                                 f'{name}="{value}"', f"{name}*1={value}")))
    return form


@st.composite
def headers_strategy(draw: st.DrawFn) -> bytes:
    """A patch mail whose headers carry RFC 2231 parameters, encoded
    words with every kind of charset, and odd folding."""
    seed = _seed_patch().decode("utf-8", "replace")
    head, _, body = seed.partition("\n\n")
    lines = head.split("\n")
    params = "; ".join(draw(st.lists(_param(), min_size=1, max_size=5)))
    ctype = draw(st.sampled_from(("text/plain", "text/x-patch", "TEXT/PLAIN",
                                  "text/plain ", "text")))
    lines = [l for l in lines if not l.lower().startswith(("content-type",
                                                           "mime-version"))]
    lines.append("MIME-Version: 1.0")
    fold = draw(st.sampled_from(("; ", ";\n ", ";\n\t", ";")))
    lines.append(f"Content-Type: {ctype}{fold}{params}")
    if draw(st.booleans()):
        lines.append("Content-Transfer-Encoding: " + draw(st.sampled_from(
            ("8bit", "base64", "quoted-printable", "7bit", "x-uue", "BASE64 "))))
    words = draw(st.lists(_encoded_word(), min_size=0, max_size=6))
    for name in ("Subject", "From"):
        for k, line in enumerate(lines):
            if line.startswith(name + ":"):
                sep = draw(st.sampled_from((" ", "\n ", "", "\t")))
                lines[k] = line + sep + sep.join(words)
    if draw(st.booleans()):
        lines.append("From: " + "(" * draw(st.integers(1, 3000)) + "x <a@b>")
    raw = ("\n".join(lines) + "\n\n" + body).encode("utf-8", "surrogateescape")
    return draw(mutated(raw, max_ops=2)) if draw(st.booleans()) else raw


@st.composite
def mime_strategy(draw: st.DrawFn) -> bytes:
    """The patch inside multipart and message/rfc822 containers, nested
    up to thousands deep, boundaries sometimes missing or reused."""
    seed = _seed_patch().decode("utf-8", "replace")
    head, _, body = seed.partition("\n\n")
    head_lines = [l for l in head.split("\n") if not l.lower().startswith(
        ("content-type", "mime-version", "content-transfer"))]
    depth = draw(st.one_of(st.integers(0, 12), st.integers(13, 300),
                           st.sampled_from((999, 3000))))
    kinds = draw(st.lists(st.sampled_from(("mixed", "alternative", "rfc822", "digest")),
                          min_size=1, max_size=4))
    # per-level choices from one drawn seed: thousands of draws are slow
    import random
    rng = random.Random(draw(st.integers(0, 2 ** 32)))
    # outside in: openings in order, closings reversed (no quadratic
    # string building for 3,000 levels)
    opens: list[str] = []
    closes: list[str] = []
    for k in range(depth):
        kind = kinds[k % len(kinds)]
        if kind == "rfc822":
            opens.append("Content-Type: message/rfc822\n\nFrom: a@b\nSubject: x\n")
            closes.append("")
        else:
            b = rng.choice((f"b{k}", "same", ""))
            opens.append(f'Content-Type: multipart/{kind}; boundary="{b}"\n\n--{b}\n')
            closes.append("" if rng.randrange(10) == 0 else f"\n--{b}--\n")
    inner = ("".join(reversed(opens)) + "Content-Type: text/x-patch; charset=utf-8\n\n"
             + body + "".join(closes))
    raw = "\n".join(head_lines) + "\nMIME-Version: 1.0\n" + inner
    data = raw.encode("utf-8", "surrogateescape")
    return draw(mutated(data, max_ops=2)) if draw(st.integers(0, 3)) == 0 else data


@st.composite
def compressed_strategy(draw: st.DrawFn) -> bytes:
    """gzip input: one member, several (``cat a.gz b.gz``), truncated,
    trailing garbage, corrupted bytes, members of NULs."""
    import gzip as gz
    mbox = _read(FIXTURES / "series.mbox")
    cut = draw(st.integers(0, len(mbox)))
    pieces = draw(st.sampled_from(("one", "two", "three-empty", "nul", "nested")))
    if pieces == "one":
        data = gz.compress(mbox)
    elif pieces == "two":
        data = gz.compress(mbox[:cut]) + gz.compress(mbox[cut:])
    elif pieces == "three-empty":
        data = gz.compress(mbox[:cut]) + gz.compress(b"") + gz.compress(mbox[cut:])
    elif pieces == "nul":
        data = gz.compress(mbox) + gz.compress(b"\0" * draw(st.integers(1, 1 << 20)))
    else:
        data = gz.compress(gz.compress(mbox))
    tail = draw(st.sampled_from(("", "garbage", "zeros", "truncate", "flip")))
    if tail == "garbage":
        data += draw(st.binary(min_size=1, max_size=64))
    elif tail == "zeros":
        data += b"\0" * draw(st.integers(1, 4096))
    elif tail == "truncate":
        data = data[:draw(st.integers(2, max(2, len(data) - 1)))]
    elif tail == "flip":
        at = draw(st.integers(10, max(10, len(data) - 1)))
        if at < len(data):
            data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1:]
    return data


# Lines every mail regex reads, each with the characters its quantifiers
# accept: a long run of them, then a character that makes it fail.
_STRESS_LINES = (
    ("Acked-by: x", " \t"), ("Reviewed-by:", " "), ("From ", "0"), ("From x", " 0"),
    ("@@ -", "9"), ("@@ -1,1 +", "0"), ("> @@ -", "7"), (">", "> "), ("> ", " >"),
    ("base-commit: ", "a"), ("base-commit:", " \t"), ("change-id:", " "),
    ("prerequisite-patch-id: ", "0"), ("Subject: [PATCH ", "0"),
    ("Subject: Re:", " re:"), ("Subject: ", "["), ("Subject: [PATCH 1/", "0"),
    ("Subject: [PATCH v", "9"), ("diff --git ", "a"), ("--- ", "a"),
    ("index ", "0"), ("Binary files ", "a "), ("Message-Id: <", "<"),
    ("In-Reply-To: ", "<a@b> "), ("Subject: ", "=?utf-8?q?a?= "),
    ("On Mon, X wrote", ":"), ("Date: Mon Mar ", "1"),
)


@st.composite
def regex_strategy(draw: st.DrawFn) -> bytes:
    """The fixture series with lines that stress its regexes: a long run
    of what a quantifier accepts, then a character it does not."""
    mbox = _read(FIXTURES / "series.mbox")
    lines = mbox.split(b"\n")
    for _ in range(draw(st.integers(1, 3))):
        prefix, run = draw(st.sampled_from(_STRESS_LINES))
        n = draw(st.sampled_from((1000, 5000, 20_000)))
        stop = draw(st.sampled_from(("\x01", "z", "", ":", "]", "\r")))
        line = (prefix + run * (n // len(run)) + stop).encode()
        at = draw(st.integers(0, len(lines)))
        lines.insert(at, line)
    return b"\n".join(lines)


# Mail-only kinds stop after the mail stage (the downstream stages have
# kinds of their own); regex-stressing text must also be fast.
STRESS_SECONDS = 5


def cpu_seconds() -> float:
    """CPU seconds of this process and its reaped children: super-linear
    work shows in them, while wall time also counts the other processes
    of a busy machine (make fuzz under load reported 750 KB inputs that
    took 2 s of CPU as 10-12 s hangs).  Watchdogs for blocking reads
    (special files) keep wall time."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def target_mail(data: bytes, ctx: Context, kind: str) -> None:
    read_series = _import("patchlens.mail", "read_series")
    path = ctx.write(f"input-{kind}.mbox", data)
    t0 = cpu_seconds()
    series = _stage(kind, "mail.read_series", data, read_series, path)
    took = cpu_seconds() - t0
    if kind == "regex" and took > STRESS_SECONDS:
        raise Hang(f"regex: read_series took {took:.1f} s on stress text")
    del series   # the downstream stages have kinds of their own



# --- C nesting (issue 16): deep shapes, in a tree file or a patch ---------

# A deep C file must be read in time linear in its size: far below
# HANG_SECONDS even for the shapes past MAX_SYNTAX_DEPTH.
CNESTING_SECONDS = 10


@st.composite
def cnesting_strategy(draw: st.DrawFn) -> tuple[bool, bytes]:
    """(as a patch?, C text): one or two hostile shapes (else-if chain,
    parentheses, braces, #ifdef, a case body, a macro body), mostly
    small, some near and past the depth limit, sometimes mutated."""
    from patchlens.limits import MAX_SYNTAX_DEPTH
    from tests.cshapes import SHAPES, c_shape

    def size() -> int:
        pick = draw(st.integers(0, 99))
        if pick < 80:
            return draw(st.integers(0, 300))
        if pick < 97:
            return draw(st.integers(301, 3000))
        return draw(st.sampled_from((MAX_SYNTAX_DEPTH // 2 - 10,
                                     MAX_SYNTAX_DEPTH // 2 + 10,
                                     MAX_SYNTAX_DEPTH - 2, MAX_SYNTAX_DEPTH + 2)))
    shapes = draw(st.lists(st.sampled_from(sorted(SHAPES)), min_size=1, max_size=2))
    text = "".join(c_shape(sh, size(), draw(st.integers(1, 50))) for sh in shapes)
    if draw(st.booleans()):   # one shape wrapped in #ifdefs
        text = "#ifdef CONFIG_A\n" * 3 + text + "#endif\n" * draw(st.integers(0, 3))
    data = text.encode()
    if draw(st.integers(0, 3)) == 0:
        data = draw(mutated(data, max_ops=2))
    return draw(st.booleans()), data


def target_cnesting(data: tuple[bool, bytes], ctx: Context) -> None:
    as_patch, text = data
    t0 = cpu_seconds()
    if as_patch:
        from tests.cshapes import adding_patch
        mbox = adding_patch("drivers/x/deep.c", text.decode("utf-8", "surrogateescape"))
        target_mbox(mbox.encode("utf-8", "surrogateescape"), ctx, "cnesting")
    else:
        target_csource(text, ctx, "drivers/x/deep.c")
    took = cpu_seconds() - t0
    if took > CNESTING_SECONDS:
        raise Hang(f"cnesting: {len(text)} bytes took {took:.1f} s of CPU")


# --- profile and MAINTAINERS regexes (issue 16) ---------------------------

_RX_ATOMS = ("a", "d", "x", r"\d", r"\w", r"\s", ".", "[a-z]", "[^/]", "[ad]",
             "a|aa", "d|dd", "^", "$", r"\1", "(?=a)", "(?!d)", "(?<=a)",
             r"\b", "/", "-", "_")
_RX_QUANTS = ("", "*", "+", "?", "{2}", "{1,30}", "*?", "+?", "*+", "++", "{0,}")
REGEX_SECONDS = 2


@st.composite
def _regex(draw: st.DrawFn, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        if depth < 3 and draw(st.integers(0, 2)) == 0:
            inner = draw(_regex(depth + 1))
            group = draw(st.sampled_from(("({})", "(?:{})", "(?>{})", "({}|{})")))
            atom = group.format(inner, inner)
        else:
            atom = draw(st.sampled_from(_RX_ATOMS))
        parts.append(atom + draw(st.sampled_from(_RX_QUANTS)))
    return "".join(parts)


@st.composite
def profileregex_strategy(draw: st.DrawFn) -> tuple[str, list[str]]:
    """(a regex from a profile or MAINTAINERS, subjects to run it on):
    nested and overlapping quantifiers, alternations, backreferences,
    lookaround, long patterns; subjects that make a backtracker fail late."""
    rx = draw(_regex())
    if draw(st.integers(0, 9)) == 0:
        rx = rx * draw(st.integers(2, 40))            # long: past MAX_PATTERN
    chars = "".join(c for c in rx if c.isalnum()) or "a"
    subjects = []
    for _ in range(draw(st.integers(1, 3))):
        run = draw(st.sampled_from((chars, "a", "d", "ad", "a/", " ")))
        n = draw(st.sampled_from((10, 60, 250, 256, 257, 5000)))
        stop = draw(st.sampled_from(("!", "", "x", "/", "\n")))
        subjects.append((run * (n // len(run) + 1))[:n] + stop)
    return rx, subjects


def target_profileregex(data: tuple[str, list[str]], ctx: Context) -> None:
    rx, subjects = data
    parse_profile = _import("patchlens.extract.profile", "parse_profile")
    parse_maintainers = _import("patchlens.extract.maintainers", "parse_maintainers")
    saferegex = _import("patchlens.extract.saferegex", "unbounded_reason")
    bounded = _import("patchlens.extract.saferegex", "bounded_search")
    import json
    import re as re_
    toml = ('[[family]]\nkey = "a"\nprefix = "A_"\nown_subjects = ['
            + json.dumps(rx) + "]\n").encode()
    try:
        _stage("profileregex", "extract.profile.parse_profile", toml,
               parse_profile, toml, "fuzz.toml")
    except InputError:
        pass          # refused: one line (run_one checks); go on with N:
    reason = _stage("profileregex", "extract.saferegex.unbounded_reason", toml,
                    saferegex, rx)
    if reason is None:        # accepted: must run in bounded time
        compiled = re_.compile(rx)
        for text in subjects:
            t0 = time.monotonic()
            _stage("profileregex", "extract.saferegex.bounded_search", toml,
                   bounded, compiled, text)
            if time.monotonic() - t0 > REGEX_SECONDS:
                raise Hang(f"profileregex: {rx!r} on {text[:40]!r}... took "
                           f"{time.monotonic() - t0:.1f} s")
    text = f"Maintainers List\n\nFUZZ\nM:\tx <x@y>\nN:\t{rx}\n\nOTHER\nF:\tdrivers/\n"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = _stage("profileregex", "extract.maintainers.parse_maintainers",
                   text.encode(), parse_maintainers, text)
    for subject in subjects:
        path = "drivers/" + subject.replace("\n", "") + ".c"
        t0 = time.monotonic()
        _stage("profileregex", "extract.maintainers.subsystem", text.encode(),
               m.subsystem, path)
        if time.monotonic() - t0 > REGEX_SECONDS:
            raise Hang(f"profileregex: N: {rx!r} took {time.monotonic() - t0:.1f} s")


# --- huge and special files (issue 16) --------------------------------------

_SPECIALS = ("sparse-65M", "sparse-1G", "sparse-3G", "dev-zero", "dev-null",
             "fifo-zeros", "fifo-text", "directory", "nul-bytes", "long-line",
             "symlink-loop", "symlink-dev-zero", "empty", "unreadable")
_CONSUMERS = ("mailbox", "profile", "tree-file", "maintainers")
SPECIAL_SECONDS = 15


def specialfile_strategy() -> st.SearchStrategy:
    return st.tuples(st.sampled_from(_SPECIALS), st.sampled_from(_CONSUMERS),
                     st.integers(0, 2 ** 16))


def _fifo_writer(path: str, text: bool, deadline: float, done) -> None:  # noqa: ANN001
    """Write to ``path`` (a FIFO) until the reader goes or the deadline:
    the endless stdin of the issue, without blocking when no one reads."""
    import errno
    chunk = (b"From: a@b\nSubject: x\n\n" * 4000) if text else b"\0" * (1 << 16)
    fd = -1
    while time.monotonic() < deadline and not done.is_set():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError as exc:
            if exc.errno != errno.ENXIO:
                return
            time.sleep(0.01)
    if fd < 0:
        return
    try:
        while time.monotonic() < deadline and not done.is_set():
            try:
                os.write(fd, chunk)
            except BlockingIOError:
                time.sleep(0.001)
            except OSError:
                return            # EPIPE: the reader stopped, as it must
    finally:
        os.close(fd)


def _make_special(kind: str, path: Path) -> Callable[[], None]:
    """Create ``path`` as ``kind``; returns what stops its writer."""
    import threading
    stop: Callable[[], None] = lambda: None  # noqa: E731
    if kind.startswith("sparse-"):
        size = {"65M": 65 << 20, "1G": 1 << 30, "3G": 3 << 30}[kind[7:]]
        with open(path, "wb") as fh:
            fh.write(b"From: a@b\n")
            fh.truncate(size)
    elif kind == "dev-zero" or kind == "symlink-dev-zero":
        os.symlink("/dev/zero", path)
    elif kind == "dev-null":
        os.symlink("/dev/null", path)
    elif kind.startswith("fifo-"):
        os.mkfifo(path)
        deadline = time.monotonic() + SPECIAL_SECONDS
        done = threading.Event()
        t = threading.Thread(target=_fifo_writer, daemon=True,
                             args=(str(path), kind == "fifo-text", deadline, done))
        t.start()

        def stop() -> None:
            done.set()            # a reader that never opened it is fine
            t.join(SPECIAL_SECONDS)
    elif kind == "directory":
        path.mkdir()
    elif kind == "nul-bytes":
        path.write_bytes(b"From: a@b\n\0\0\0" * 1000)
    elif kind == "long-line":
        path.write_bytes(b"From: a@b\nSubject: " + b"x" * (3 << 20) + b"\n\nbody\n")
    elif kind == "symlink-loop":
        os.symlink(path.name, path)
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "unreadable":
        path.write_bytes(b"From: a@b\n")
        path.chmod(0)
    return stop


def target_specialfile(data: tuple[str, str, int], ctx: Context) -> None:
    kind, consumer, salt = data
    import shutil
    work = ctx.work / f"special-{salt}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    t0 = time.monotonic()
    try:
        if consumer == "tree-file":
            tree_dir = work / "tree"
            for rel, blob in ctx.tree_files.items():
                (tree_dir / rel).parent.mkdir(parents=True, exist_ok=True)
                (tree_dir / rel).write_bytes(blob)
            target = tree_dir / "include" / "linux" / "msi.h"
            target.unlink(missing_ok=True)
        elif consumer == "maintainers":
            tree_dir = work / "tree"
            tree_dir.mkdir()
            target = tree_dir / "MAINTAINERS"
        else:
            target = work / "input"
        stop = _make_special(kind, target)
        try:
            if consumer == "mailbox":
                read_series = _import("patchlens.mail", "read_series")
                _stage("specialfile", "mail.read_series", data, read_series, str(target))
            elif consumer == "profile":
                load = _import("patchlens.extract.profile", "load_profile")
                _stage("specialfile", "extract.profile.load_profile", data, load, str(target))
            else:
                directory = _import("patchlens.tree.directory", "DirectoryTree")
                tree = _stage("specialfile", "tree.directory.DirectoryTree", data,
                              directory, str(tree_dir))
                rel = "MAINTAINERS" if consumer == "maintainers" else "include/linux/msi.h"
                _stage("specialfile", "tree.read", data, tree.read, rel)
                if consumer == "tree-file":
                    extract = _import("patchlens.extract.constants", "extract_constants")
                    _stage("specialfile", "extract.constants.extract_constants", data,
                           extract, tree, ctx.profile())
                else:
                    parse_m = _import("patchlens.extract.maintainers", "parse_maintainers")
                    blob = tree.read(rel)
                    _stage("specialfile", "extract.maintainers.parse_maintainers", data,
                           parse_m, blob.decode("utf-8", "replace") if blob else None)
        finally:
            stop()
    finally:
        for p in work.rglob("*"):
            with contextlib.suppress(OSError):
                if not p.is_symlink():
                    p.chmod(0o700)
        shutil.rmtree(work, ignore_errors=True)
    took = time.monotonic() - t0
    if took > SPECIAL_SECONDS:
        raise Hang(f"specialfile: {kind} as {consumer} took {took:.1f} s")


# --- cache damage and directory swaps (issue 16) ------------------------------

def _scan_answer(tree_dir: Path, ctx: Context, cache: bool):
    """What a scan of ``tree_dir`` answers (sites, filters, structs)."""
    directory = _import("patchlens.tree.directory", "DirectoryTree")
    scan = _import("patchlens.extract.scan", "scan_references")
    extract = _import("patchlens.extract.constants", "extract_constants")
    tree = directory(str(tree_dir))
    names = _names(extract(tree, ctx.profile()))
    got = scan(tree, names, ctx.profile(), cache=cache, jobs=1)
    return (tuple(sorted(map(repr, got.sites))), tuple(sorted(map(repr, got.filters))),
            tuple(sorted(map(repr, got.structs))), tuple(sorted(map(repr, got.mentions))))


@contextlib.contextmanager
def _cache_home(path: Path) -> Iterator[None]:
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(path)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("XDG_CACHE_HOME", None)
        else:
            os.environ["XDG_CACHE_HOME"] = old


def _write_tree(root: Path, files_: dict[str, bytes]) -> None:
    for rel, blob in files_.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(blob)


def prepare_cache_world(ctx: Context) -> None:
    """A tree, its cold answer, and a warm cache of it to damage."""
    import shutil
    tree = ctx.work / "ctree"
    _write_tree(tree, ctx.tree_files)
    pristine = ctx.work / "cache-pristine"
    with warnings.catch_warnings(), _cache_home(pristine):
        warnings.simplefilter("ignore")
        ctx.cold = _scan_answer(tree, ctx, cache=False)        # type: ignore[attr-defined]
        _scan_answer(tree, ctx, cache=True)
    shutil.rmtree(ctx.work / "cache", ignore_errors=True)


_DAMAGE = ("truncate", "empty", "flip", "garbage", "list", "wrong-types",
           "none", "directory", "dict-of-junk", "huge-int")


@st.composite
def cachedamage_strategy(draw: st.DrawFn) -> tuple[list[tuple[int, str]], int]:
    """Which cache files (by index) get which damage, and a salt."""
    hits = draw(st.lists(st.tuples(st.integers(0, 1000), st.sampled_from(_DAMAGE)),
                         min_size=1, max_size=4))
    return hits, draw(st.integers(0, 2 ** 32))


def _damage(path: Path, how: str, salt: int) -> None:
    import pickle
    import random
    rng = random.Random(salt)
    data = path.read_bytes() if path.is_file() else b""
    if how == "truncate":
        path.write_bytes(data[:rng.randrange(len(data) + 1)])
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "flip" and data:
        at = rng.randrange(len(data))
        path.write_bytes(data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:])
    elif how == "garbage":
        path.write_bytes(rng.randbytes(rng.randrange(1, 512)))
    elif how == "list":
        path.write_bytes(pickle.dumps([1, 2, 3]))
    elif how == "wrong-types":
        try:
            obj = pickle.loads(data)
        except Exception:  # noqa: BLE001 - damage whatever is there
            obj = {}
        if isinstance(obj, dict):
            obj = {k: ("x" if rng.random() < 0.5 else [None]) for k in obj}
        path.write_bytes(pickle.dumps(obj))
    elif how == "none":
        path.write_bytes(pickle.dumps(None))
    elif how == "directory":
        path.unlink()
        path.mkdir()
    elif how == "dict-of-junk":
        path.write_bytes(pickle.dumps({("a",): object.__name__, 1: {2: 3}}))
    elif how == "huge-int":
        path.write_bytes(pickle.dumps({"version": 10 ** 100}))


def target_cachedamage(data: tuple[list[tuple[int, str]], int], ctx: Context) -> None:
    """A damaged cache is dropped, never trusted: the warm answer is the
    cold one."""
    import shutil
    hits, salt = data
    cache = ctx.work / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    shutil.copytree(ctx.work / "cache-pristine", cache)
    entries = sorted(p for p in cache.rglob("*") if p.is_file())
    for index, how in hits:
        if entries:
            target = entries[index % len(entries)]
            if target.exists() and target.is_file():
                _damage(target, how, salt + index)
    with warnings.catch_warnings(), _cache_home(cache):
        warnings.simplefilter("ignore")
        warm = _stage("cachedamage", "extract.scan.scan_references(warm)", repr(data).encode(),
                      _scan_answer, ctx.work / "ctree", ctx, True)
    if warm != ctx.cold:  # type: ignore[attr-defined]
        raise Crash("cachedamage", "extract.scan.scan_references(warm)", AssertionError(
            f"a damaged cache changed the answer ({hits})"), repr(data).encode())


_SWAPS = ("rename-root", "rename-subdir", "copy-preserving-times",
          "same-size-same-mtime", "add-file-old-mtime", "remove-file")


@st.composite
def dirswap_strategy(draw: st.DrawFn) -> tuple[str, int]:
    return draw(st.sampled_from(_SWAPS)), draw(st.integers(0, 2 ** 16))


def target_dirswap(data: tuple[str, int], ctx: Context) -> None:
    """Warm runs after the tree changed under the cache answer as a cold
    run does (the renamed-over directory of issue 16)."""
    import shutil
    how, salt = data
    base = ctx.work / f"swap-{salt}"
    shutil.rmtree(base, ignore_errors=True)
    old, new, linux = base / "old", base / "new", base / "linux"
    _write_tree(old, ctx.tree_files)
    changed = dict(ctx.tree_files)
    user = next(p for p, b in sorted(changed.items())
                if p.endswith(".c") and b"MSI_FLAG_" in b)
    changed["drivers/extra/new-driver.c"] = (
        b"#include <linux/msi.h>\nint new_driver(struct msi_domain_info *info)\n"
        b"{\n\treturn info->flags & MSI_FLAG_USE_DEF_DOM_OPS;\n}\n")
    blob = changed[user]
    changed[user] = blob.replace(b"MSI_FLAG_", b"MSI_FLAG_", 1)[:-1] + b"/" + blob[-1:] \
        if how == "same-size-same-mtime" else blob + b"\n/* MSI_FLAG_USE_DEF_DOM_OPS */\n"
    if how == "remove-file":
        del changed[user]
    _write_tree(new, changed)
    cache = base / "cache"
    try:
        with warnings.catch_warnings(), _cache_home(cache):
            warnings.simplefilter("ignore")
            os.rename(old, linux)
            _stage("dirswap", "scan(first)", repr(data).encode(),
                   _scan_answer, linux, ctx, True)
            if how == "rename-root":
                os.rename(linux, base / "linux-old")
                os.rename(new, linux)
            elif how == "rename-subdir":
                shutil.rmtree(linux / "drivers")
                os.rename(new / "drivers", linux / "drivers")
            elif how == "copy-preserving-times":
                shutil.rmtree(linux)
                shutil.copytree(new, linux, copy_function=shutil.copy2)
            else:
                # edit in place, then put the old times back
                for rel in set(ctx.tree_files) | set(changed):
                    dst = linux / rel
                    if rel not in changed:
                        dst.unlink(missing_ok=True)
                        continue
                    st_old = dst.stat() if dst.exists() else None
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    if not dst.exists() or dst.read_bytes() != changed[rel]:
                        dst.write_bytes(changed[rel])
                        if st_old is not None:
                            os.utime(dst, ns=(st_old.st_atime_ns, st_old.st_mtime_ns))
                        elif how == "add-file-old-mtime":
                            os.utime(dst, (0, 0))
            warm = _stage("dirswap", "scan(warm)", repr(data).encode(),
                          _scan_answer, linux, ctx, True)
            cold = _scan_answer(linux, ctx, False)
        if warm != cold:
            raise Crash("dirswap", "scan(warm)", AssertionError(
                f"{how}: the warm run answered for the old tree"), repr(data).encode())
    finally:
        shutil.rmtree(base, ignore_errors=True)


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("mbox", lambda: mutated(_read(FIXTURES / "series.mbox")),
         target_mbox),
    Kind("diff", lambda: mutated(seed_diffs()), target_diff),
    Kind("reply", lambda: st.one_of(
        mutated(_read(FIXTURES / "reply.txt")), _reply_in_thread()),
        target_reply),
    Kind("csource", _csource_strategy,
         lambda d, ctx: target_csource(d[1], ctx, d[0])),
    Kind("profile", lambda: mutated(default_profile_text()), target_profile),
    Kind("expr", lambda: st.sampled_from(EXPRESSIONS).flatmap(mutated),
         target_expr),
    Kind("cli", lambda: st.tuples(argv_strategy(),
                                  mutated(_read(FIXTURES / "series.mbox"),
                                          max_ops=2)),
         target_cli, prepare_cli_world),
    Kind("headers", headers_strategy, lambda d, ctx: target_mail(d, ctx, "headers")),
    Kind("mime", mime_strategy, lambda d, ctx: target_mail(d, ctx, "mime")),
    Kind("compressed", compressed_strategy,
         lambda d, ctx: target_mail(d, ctx, "compressed")),
    Kind("regex", regex_strategy, lambda d, ctx: target_mail(d, ctx, "regex")),
    Kind("cnesting", cnesting_strategy, target_cnesting),
    Kind("profileregex", profileregex_strategy, target_profileregex),
    Kind("specialfile", specialfile_strategy, target_specialfile),
    Kind("cachedamage", cachedamage_strategy, target_cachedamage, prepare_cache_world),
    Kind("dirswap", dirswap_strategy, target_dirswap),
)}


# --- known bugs ------------------------------------------------------------

@dataclass(frozen=True)
class KnownBug:
    """A crash already reported to the stage's owner.  Generated runs count
    it apart (so one known bug does not stop the search for others);
    ``tests/cli/test_hostile_known.py`` reproduces each one as a strict xfail.
    """
    key: str
    stage: str                # Crash.stage it shows up in
    text: str                 # substring of the crash message
    summary: str


# Crashes found and not yet fixed: (code, stage, text, why).  Empty
# means every crash the suite has found so far is fixed.
KNOWN_BUGS: tuple[KnownBug, ...] = ()


def known_bug(exc: Crash) -> KnownBug | None:
    for bug in KNOWN_BUGS:
        if exc.stage == bug.stage and bug.text in str(exc):
            return bug
    return None


# --- running one input -----------------------------------------------------

@contextlib.contextmanager
def hang_guard(seconds: int = HANG_SECONDS) -> Iterator[None]:
    """Raise Hang if the block runs longer than ``seconds`` (main thread)."""
    def _alarm(signum, frame):  # noqa: ARG001
        raise Hang(f"input took more than {seconds} s")
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def run_one(kind: Kind, data, ctx: Context) -> str:
    """Feed one input; returns "ok", "input-error"; raises Crash, Hang or
    Unavailable."""
    with hang_guard(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            kind.target(data, ctx)
        except InputError as exc:
            if "\n" in str(exc):
                raise Crash(kind.name, "InputError", AssertionError(
                    f"multi-line error: {str(exc)[:200]!r}"), data) from exc
            return "input-error"
    return "ok"


# --- make fuzz -------------------------------------------------------------

@dataclass
class Tally:
    tried: int = 0
    failed: int = 0
    input_errors: int = 0
    unavailable: str = ""
    known: dict[str, int] = field(default_factory=dict)
    first: list[str] = field(default_factory=list)
    signatures: dict[str, str] = field(default_factory=dict)


def fuzz_kind(kind: Kind, count: int, seed: int, ctx: Context) -> Tally:
    """Run ``count`` generated inputs of ``kind``, not stopping at failures."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed
    tally = Tally()

    @settings(max_examples=count, deadline=None, database=None,
              phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @hypothesis_seed(seed)
    @given(kind.strategy())
    def one(data) -> None:
        if tally.unavailable:
            return
        tally.tried += 1
        try:
            if run_one(kind, data, ctx) == "input-error":
                tally.input_errors += 1
        except Unavailable as exc:
            tally.unavailable = str(exc)
        except Crash as exc:
            bug = known_bug(exc)
            if bug is not None:
                tally.known[bug.key] = tally.known.get(bug.key, 0) + 1
                return
            tally.failed += 1
            sig = f"{exc.stage}: {type(exc.exc).__name__} at {exc.at}"
            if sig not in tally.signatures:
                tally.signatures[sig] = str(exc)
                tally.first.append(f"{exc}\n      input: {exc.data!r}"[:1500])
        except Hang as exc:
            tally.failed += 1
            if len(tally.first) < 5:
                tally.first.append(str(exc))

    one()
    return tally


# Seconds per 14,286 inputs in the last full run (100,002 in all, see
# the closing note of issue 7): the slowest kinds start first, so the
# workers finish together.
_COST = {"cli": 387, "csource": 94, "reply": 69, "mbox": 68, "diff": 53,
         "profile": 35, "expr": 27, "headers": 30, "mime": 45, "regex": 30,
         "compressed": 15,
         # issue 16's kinds, measured (2,000, 1,000 and 500 inputs, load
         # ~10 on 2 cores) and scaled to 14,286
         "dirswap": 4960, "cachedamage": 1970, "cnesting": 1180,
         "specialfile": 950, "profileregex": 340}


def _run_kind(job: tuple[str, int, int, str]) -> tuple[str, Tally, float]:
    """One kind, in a worker: its own scratch directory and context."""
    name, count, seed, tmp = job
    kind = KINDS[name]
    ctx = Context(Path(tmp) / name)
    ctx.work.mkdir()
    kind.setup(ctx)
    t0 = time.monotonic()
    tally = fuzz_kind(kind, count, seed, ctx)
    return name, tally, time.monotonic() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--total", type=int, default=100_000,
                        help="inputs in total, shared by the kinds")
    parser.add_argument("--kind", action="append", choices=sorted(KINDS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1,
                        help="kinds run at once, a process each "
                             "(default: the CPU count)")
    parser.add_argument("--memory-mb", type=int, default=3072,
                        help="address-space limit for each process")
    opts = parser.parse_args(argv)
    # Bounded memory: a stage that tries to hold gigabytes fails here
    # (MemoryError, counted as a failure) instead of taking the machine.
    # Workers inherit the limit, each for itself.
    limit = opts.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    names = sorted(opts.kind or KINDS, key=lambda k: (-_COST.get(k, 0), k))
    per = max(1, opts.total // len(names))
    failed = 0
    print(f"{'kind':10} {'tried':>8} {'failed':>7} {'input-err':>9} "
          f"{'seconds':>8}")
    with tempfile.TemporaryDirectory(prefix="patchlens-fuzz-") as tmp:
        jobs = [(name, per, opts.seed, tmp) for name in names]
        if opts.jobs > 1 and len(jobs) > 1:
            import multiprocessing
            pool = multiprocessing.get_context("fork").Pool(min(opts.jobs, len(jobs)))
            results = pool.imap_unordered(_run_kind, jobs)
        else:
            pool, results = None, map(_run_kind, jobs)
        try:
            for name, tally, took in results:
                note = f"  (unavailable: {tally.unavailable})" if tally.unavailable else ""
                print(f"{name:10} {tally.tried:8d} {tally.failed:7d} "
                      f"{tally.input_errors:9d} {took:8.1f}{note}", flush=True)
                for key, n in sorted(tally.known.items()):
                    print(f"    known bug {key}: {n}")
                for line in tally.first:
                    print(f"    {line}")
                failed += tally.failed
        finally:
            if pool is not None:
                pool.close()
                pool.join()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
