"""Command line: parse arguments, call one function per subcommand.

Exit status: 0 clean, 1 findings at or above ``--fail-on``, 2 usage or
unusable input (one line on stderr: ``patchlens: <file>: <what>``), 3 an
internal error (a bug: one line, ``--debug`` shows the traceback).  An
internal error never exits 0 or 1.

``-v N`` selects a series revision (as b4's ``-v``); verbosity is
``--verbose`` / ``-q``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence

from patchlens import __version__
from patchlens.errors import EXIT_INTERNAL, EXIT_USAGE, InputError

__all__ = ["main", "build_parser"]


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line and exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"patchlens: {self.prog.split()[-1]}: {message}\n")
        sys.exit(EXIT_USAGE)


def _output(p: argparse.ArgumentParser, formats: Sequence[str]) -> None:
    p.add_argument("--format", choices=list(formats), default=formats[0],
                   help=f"output format (default: {formats[0]})")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write to FILE instead of stdout")
    p.add_argument("--force", action="store_true",
                   help="overwrite FILE even if it is a source file of the tree")
    p.add_argument("-q", "--quiet", action="store_true", help="only errors")
    p.add_argument("--verbose", action="store_true", help="say more")


def _series(p: argparse.ArgumentParser, required: bool = True,
            positional: bool = False) -> None:
    """``required``: SERIES is positional; ``positional``: positional but
    optional (``check --list-findings`` needs none)."""
    if required or positional:
        p.add_argument("series", metavar="SERIES",
                       nargs="?" if not required else None,
                       help="mbox, .mbox.gz, maildir, .eml, patch directory, "
                            "archive text, or - for stdin")
    else:
        p.add_argument("--series", metavar="SERIES", dest="series",
                       help="also look at this series' post-images")
    p.add_argument("-v", "--revision", type=int, metavar="N",
                   help="series revision to use (default: highest complete)")


def _tree(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tree", metavar="PATH",
                   help="kernel tree: git repository or directory "
                        "(default: the current directory if it is one)")
    p.add_argument("--rev", metavar="REV",
                   help="revision of a git tree (default: base-commit, else HEAD)")
    p.add_argument("--no-tree", action="store_true",
                   help="patch-only analysis, even inside a kernel tree")
    p.add_argument("--profile", metavar="FILE",
                   help="constant families (TOML; default: genirq/msi)")
    p.add_argument("--no-cache", action="store_true",
                   help="do not read or write the scan cache")


def _apply(p: argparse.ArgumentParser) -> None:
    """How the series is applied (git's rules unless --fuzz)."""
    p.add_argument("--fuzz", type=int, metavar="N", choices=range(0, 10),
                   help="place hunks as GNU patch -FN does (ignoring up to "
                        "N context lines) instead of git's exact rules")
    p.add_argument("--guess-base", action="store_true",
                   help="apply to the commit whose blobs match the series' "
                        "index lines best (automatic when the series names "
                        "no base and --rev is not given)")
    p.add_argument("--since", metavar="DATE",
                   help="with the base guess: look at no commit older "
                        "than DATE (YYYY-MM-DD, or '2 weeks')")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="patchlens",
                     description="What a kernel patch series does to "
                                 "interrupt-domain constants, and who uses them.")
    parser.add_argument("--version", action="version",
                        version=f"patchlens {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of an internal error "
                             "(accepted anywhere on the command line)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND",
                                parser_class=_Parser)

    p = sub.add_parser("series", help="the series in a mailbox: patches, "
                                      "missing ones, replies")
    _series(p)
    _output(p, ("text", "json"))

    p = sub.add_parser("apply", help="apply the series in memory, per hunk")
    _series(p)
    _tree(p)
    _apply(p)
    _output(p, ("text", "json"))

    p = sub.add_parser("constants", help="family constants and their values "
                                         "before and after each patch")
    p.add_argument("series", metavar="SERIES", nargs="?")
    p.add_argument("-v", "--revision", type=int, metavar="N")
    _tree(p)
    _apply(p)
    p.add_argument("--family", metavar="NAME", help="only this family")
    _output(p, ("text", "json"))

    p = sub.add_parser("refs", help="every use of the named constants")
    p.add_argument("names", metavar="NAME", nargs="*")
    p.add_argument("--family", metavar="NAME")
    p.add_argument("--all", action="store_true", help="every family constant")
    _series(p, required=False)
    _tree(p)
    _output(p, ("text", "json"))

    p = sub.add_parser("graph", help="the usage graph")
    p.add_argument("--focus", metavar="NAME", action="append",
                   help="only this constant and its neighbours")
    _series(p, required=False)
    _tree(p)
    _output(p, ("json", "graphml", "dot", "svg"))

    for name, text in (("report", "the reviewer's report"),
                       ("check", "findings only; exit 1 at --fail-on")):
        p = sub.add_parser(name, help=text)
        _series(p, required=name != "check", positional=True)
        _tree(p)
        _apply(p)
        _output(p, ("text", "markdown", "json", "terse", "b4-check"))
        p.add_argument("--fail-on", choices=("error", "warning", "check"),
                       default="error",
                       help="exit 1 on findings at or above this (default: error)")
        if name == "check":
            p.add_argument("--list-findings", action="store_true",
                           help="list every finding code (severity, "
                                "evidence, summary) and exit")

    p = sub.add_parser("impact", help="what-if questions")
    q = p.add_subparsers(dest="question", metavar="QUESTION",
                         parser_class=_Parser, required=True)
    r = q.add_parser("rename", help="rename OLD to NEW")
    r.add_argument("old", metavar="OLD")
    r.add_argument("new", metavar="NEW")
    r.add_argument("--emit-patch", metavar="FILE",
                   help="write a unified diff doing the rename ('-': "
                        "stdout); refused (exit 1) when NEW already "
                        "exists, unless --force")
    i = q.add_parser("invert", help="invert FLAG's meaning")
    i.add_argument("flag", metavar="FLAG")
    i.add_argument("--as", dest="new_name", metavar="NEWNAME")
    a = q.add_parser("accept", help="which parents accept bus TOKEN")
    a.add_argument("token", metavar="TOKEN")
    for qp in (r, i, a):
        _series(qp, required=False)
        _tree(qp)
        _output(qp, ("text", "markdown", "json"))

    p = sub.add_parser("scan", help="every series on a list archive "
                                    "(public-inbox git) that touches the families")
    p.add_argument("archives", metavar="ARCHIVE", nargs="+",
                   help="public-inbox git repository (bare or not), or a "
                        "folder of epochs (git/0.git, ...)")
    p.add_argument("--since", metavar="DATE",
                   help="only messages archived on or after DATE "
                        "(YYYY-MM-DD, or '2 weeks')")
    p.add_argument("--until", metavar="DATE",
                   help="only messages archived on or before DATE")
    p.add_argument("--after", metavar="COMMIT",
                   help="only messages after this archive commit")
    p.add_argument("--detail", action="store_true",
                   help="print each series' report under its row")
    p.add_argument("--fail-on", choices=("error", "warning", "check"),
                   help="exit 1 when a series has a finding at or above this "
                        "(default: exit 0 whatever was found)")
    p.add_argument("--fuzz", type=int, metavar="N", choices=range(0, 10),
                   help="place hunks as GNU patch -FN does")
    _tree(p)
    _output(p, ("text", "json", "terse"))

    p = sub.add_parser("diff", help="semantic diff of two series revisions")
    p.add_argument("old", metavar="OLD")
    p.add_argument("new", metavar="NEW", nargs="?")
    p.add_argument("-v", "--revision", type=int, action="append", metavar="N",
                   help="with one SERIES: the two revisions to compare")
    _tree(p)
    _output(p, ("text", "json"))
    return parser


def _internal_error(exc: BaseException, debug: bool) -> int:
    """One line (the traceback too with --debug); exit 3, never 0 or 1."""
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    what = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
    sys.stderr.write(f"patchlens: internal error: {what}; rerun with --debug "
                     "for the traceback\n")
    return EXIT_INTERNAL


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    # --debug is global: accepted before or after the subcommand
    end = args.index("--") if "--" in args else len(args)
    debug = "--debug" in args[:end]
    if debug:
        args = [a for a in args[:end] if a != "--debug"] + args[end:]
    try:
        return _main(args, debug)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        return _internal_error(exc, debug)


def _main(args: list[str], debug: bool) -> int:
    parser = build_parser()
    opts = parser.parse_args(args)
    opts.debug = debug
    if not opts.command:
        parser.print_usage(sys.stderr)
        return EXIT_USAGE
    name = opts.command
    if name == "impact":
        name = f"impact_{opts.question}"
    from patchlens.commands.common import flush_stdout, refuse_overwrite, silence_stdout
    try:
        refuse_overwrite(opts)
        module = importlib.import_module(f"patchlens.commands.{name}")
        status = int(module.run(opts))
        flush_stdout()
    except InputError as exc:
        sys.stderr.write(f"patchlens: {exc}\n")
        return EXIT_USAGE
    except BrokenPipeError:
        silence_stdout()
        return 0
    return status
