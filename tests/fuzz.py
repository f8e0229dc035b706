"""Hostile input for every stage: generators, targets, and the runner.

Each *input kind* (mbox, diff, quoted reply, C source, profile, argv;
and for the mail stage alone: headers with RFC 2231 parameters and
encoded words, nested MIME, compressed input, regex-stressing lines)
has a seed written for patchlens (``fixtures/hostile/``), a hypothesis
strategy that mutates it, and a *target* that feeds one input to the
stages that read that kind.  A target may end in three ways:

- a clean result (possibly with warnings);
- :class:`patchlens.errors.InputError` (the CLI's one-line error);
- anything else, which is a bug: a :class:`Crash` naming the kind, the
  stage and the exception.

``tests/test_hostile_generated.py`` runs 200 inputs per kind inside
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
    """``patchlens.cli.main(argv)`` in-process: (status, stdout, stderr)."""
    from patchlens.cli import main as cli_main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = cli_main(argv)
        except SystemExit as exc:
            status = exc.code if isinstance(exc.code, int) else 2
    return int(status or 0), out.getvalue(), err.getvalue()


def target_cli(data: tuple[list[str], bytes], ctx: Context) -> None:
    argv = _resolve_argv(data[0], ctx, data[1])
    try:
        # in the scratch directory: a relative path ('..') names the same
        # files whatever directory the suite runs from (not all of /tmp)
        with contextlib.chdir(ctx.work):
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
        raise Crash("cli", "cli.main",
                    AssertionError(f"exit status {status}"), argv)
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


def target_mail(data: bytes, ctx: Context, kind: str) -> None:
    read_series = _import("patchlens.mail", "read_series")
    path = ctx.write(f"input-{kind}.mbox", data)
    t0 = time.monotonic()
    series = _stage(kind, "mail.read_series", data, read_series, path)
    took = time.monotonic() - t0
    if kind == "regex" and took > STRESS_SECONDS:
        raise Hang(f"regex: read_series took {took:.1f} s on stress text")
    del series   # the downstream stages have kinds of their own


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
)}


# --- known bugs ------------------------------------------------------------

@dataclass(frozen=True)
class KnownBug:
    """A crash already reported to the stage's owner.  Generated runs count
    it apart (so one known bug does not stop the search for others);
    ``tests/test_hostile_known.py`` reproduces each one as a strict xfail.
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
         "compressed": 15}


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
