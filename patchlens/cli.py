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
import re
import sys
import time
import warnings
from collections.abc import Sequence
from typing import TextIO

from patchlens import __version__
from patchlens.errors import EXIT_INTERNAL, EXIT_USAGE, InputError

__all__ = ["main", "build_parser", "man_page"]


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line and exit 2, prefixed
    ``patchlens:`` once (``patchlens: report: ...`` in a subcommand),
    and a misspelt command gets git's "did you mean"."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class",
                          argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{_prefix(self.prog)}{message}{_suggest(message)}\n")
        sys.exit(EXIT_USAGE)


def _prefix(prog: str) -> str:
    """``patchlens: `` for the top level, ``patchlens: report: `` below."""
    words = prog.split()
    return "patchlens: " + "".join(f"{w}: " for w in words[1:])


def _suggest(message: str) -> str:
    """``; did you mean report?`` for an invalid choice close to one."""
    m = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
    if m is None:
        return ""
    choices = re.findall(r"'?([\w-]+)'?", m.group(2))
    import difflib
    close = difflib.get_close_matches(m.group(1), choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


def _output(p: argparse.ArgumentParser, formats: Sequence[str]) -> None:
    p.add_argument("--format", choices=list(formats), default=formats[0],
                   help=f"output format (default: {formats[0]})")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write to FILE instead of stdout")
    p.add_argument("--force", action="store_true",
                   help="overwrite FILE even if it is a source file of the tree")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="only errors (no output, no progress line)")
    p.add_argument("--verbose", action="store_true",
                   help="on stderr: the time of each stage and how many "
                        "files were searched, parsed and taken from the cache")
    p.add_argument("--color", nargs="?", const="always", default=None,
                   choices=("auto", "always", "never"), metavar="WHEN",
                   help="colour severities: auto (on a terminal, unless "
                        "NO_COLOR is set), always, never (default: git "
                        "config patchlens.color, else auto)")


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
                        "(default: git config patchlens.tree, else the "
                        "current directory if it is one)")
    p.add_argument("--rev", metavar="REV",
                   help="revision of a git tree (default: base-commit, else "
                        "the working tree of a checkout, as git grep reads "
                        "it, else HEAD)")
    p.add_argument("--no-tree", action="store_true",
                   help="patch-only analysis, even inside a kernel tree")
    p.add_argument("--profile", metavar="FILE",
                   help="constant families (TOML; default: git config "
                        "patchlens.profile, else genirq/msi)")
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
    p.add_argument("series", metavar="SERIES", nargs="?",
                   help="mbox, maildir, .eml, patch directory or - for stdin "
                        "(optional: without one, the tree's constants)")
    p.add_argument("-v", "--revision", type=int, metavar="N",
                   help="series revision to use (default: highest complete)")
    _tree(p)
    _apply(p)
    p.add_argument("--family", metavar="NAME", help="only this family")
    _output(p, ("text", "json"))

    p = sub.add_parser("refs", help="every use of the named constants")
    p.add_argument("names", metavar="NAME", nargs="*",
                   help="constants to look up (e.g. DOMAIN_BUS_PCI_MSI)")
    p.add_argument("--family", metavar="NAME",
                   help="every constant of this profile family")
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
                       default=None,
                       help="exit 1 on findings at or above this (default: "
                            "git config patchlens.failOn, else error)")
        p.add_argument("--ignore", metavar="CODE[,CODE]", action="append",
                       default=[],
                       help="drop findings with these codes (as checkpatch's "
                            "--ignore; see check --list-findings)")
        if name == "check":
            p.add_argument("--thread", metavar="FILE",
                           help="with one message of a series (a b4 check): "
                                "the mailbox holding the rest of its thread "
                                "(default: b4 mbox by its Message-ID, when "
                                "b4 is installed)")
            p.add_argument("--list-findings", action="store_true",
                           help="list every finding code (severity, "
                                "evidence, summary) and exit")

    p = sub.add_parser("impact", help="what-if questions")
    q = p.add_subparsers(dest="question", metavar="QUESTION",
                         parser_class=_Parser, required=True)
    r = q.add_parser("rename", help="rename OLD to NEW")
    r.add_argument("old", metavar="OLD", help="the constant's name today")
    r.add_argument("new", metavar="NEW", help="the name it would get")
    r.add_argument("--emit-patch", metavar="FILE",
                   help="write a unified diff doing the rename ('-': "
                        "stdout); refused (exit 1) when NEW already "
                        "exists, unless --force")
    i = q.add_parser("invert", help="invert FLAG's meaning")
    i.add_argument("flag", metavar="FLAG",
                   help="the flag whose meaning is inverted")
    i.add_argument("--as", dest="new_name", metavar="NEWNAME",
                   help="the inverted flag's name (default: the family's "
                        "NO_ form)")
    a = q.add_parser("accept", help="which parents accept bus TOKEN")
    a.add_argument("token", metavar="TOKEN",
                   help="a bus token, e.g. DOMAIN_BUS_PCI_DEVICE_IMS")
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
    p.add_argument("old", metavar="OLD",
                   help="the older revision's mailbox (or the thread with "
                        "both revisions, with -v N -v M)")
    p.add_argument("new", metavar="NEW", nargs="?",
                   help="the newer revision's mailbox")
    p.add_argument("-v", "--revision", type=int, action="append", metavar="N",
                   help="with one SERIES: the two revisions to compare")
    _tree(p)
    _output(p, ("text", "json"))

    p = sub.add_parser("completion", help="shell completion script, "
                                          "generated from this parser")
    p.add_argument("shell", metavar="SHELL", choices=("bash", "zsh"),
                   help="bash or zsh")
    _examples(parser)
    return parser


# Two or three examples per subcommand, shown under --help (and in the
# man page, generated from this parser).
EXAMPLES: dict[str, tuple[str, ...]] = {
    "series": ("patchlens series v2.mbox",
               "b4 mbox -o - MSGID | patchlens series - --format json"),
    "apply": ("patchlens apply series.mbox --tree ~/linux",
              "patchlens apply series.mbox --tree linux.git --rev v6.12",
              "patchlens apply series.mbox --fuzz 2"),
    "constants": ("patchlens constants --tree ~/linux",
                  "patchlens constants series.mbox --family bus_token",
                  "patchlens constants series.mbox --format json"),
    "refs": ("patchlens refs DOMAIN_BUS_PCI_MSI --tree ~/linux",
             "patchlens refs --all --format json",
             "patchlens refs MSI_FLAG_PCI_IMS --series v2.mbox"),
    "graph": ("patchlens graph --focus DOMAIN_BUS_PCI_MSI --format dot",
              "patchlens graph --series v2.mbox --format svg -o graph.svg"),
    "report": ("patchlens report series.mbox --tree ~/linux",
               "b4 mbox -o - MSGID | patchlens report - --format markdown",
               "patchlens report series.mbox --ignore enum-shift "
               "--fail-on warning"),
    "check": ("patchlens check series.mbox --format terse",
              "patchlens check - --format b4-check --thread thread.mbox "
              "< patch.eml",
              "patchlens check --list-findings"),
    "rename": ("patchlens impact rename DOMAIN_BUS_GENERIC_MSI "
               "DOMAIN_BUS_DEVICE_MSI",
               "patchlens impact rename OLD NEW --emit-patch rename.patch"),
    "invert": ("patchlens impact invert MSI_FLAG_NOMASK_QUIRK",
               "patchlens impact invert FLAG --as MSI_FLAG_MASK --format json"),
    "accept": ("patchlens impact accept DOMAIN_BUS_PCI_DEVICE_IMS",
               "patchlens impact accept TOKEN --series v2.mbox"),
    "scan": ("patchlens scan ~/lore/linux-pci --since '2 weeks'",
             "patchlens scan lkml/git/0.git lkml/git/1.git --format json",
             "patchlens scan ~/lore/linux-pci --after COMMIT --format terse"),
    "diff": ("patchlens diff v1.mbox v2.mbox",
             "patchlens diff thread.mbox -v 1 -v 2 --format json"),
    "completion": ("patchlens completion bash > "
                   "/etc/bash_completion.d/patchlens",
                   "patchlens completion zsh > ~/.zfunc/_patchlens"),
}


def _examples(parser: argparse.ArgumentParser) -> None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sp in action.choices.items():
                if name in EXAMPLES:
                    sp.epilog = "examples:\n" + "\n".join(
                        f"  {e}" for e in EXAMPLES[name])
                _examples(sp)


def man_page() -> str:
    """``patchlens.1``, generated from :func:`build_parser` (``make man``)."""
    from patchlens.render.manpage import manpage
    return manpage(build_parser(), __version__)


def _internal_error(exc: BaseException, debug: bool) -> int:
    """One line (the traceback too with --debug); exit 3, never 0 or 1."""
    if debug:
        import traceback
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
        with warnings.catch_warnings():
            # A stage's warning is one line, as every other message:
            # never Python's "file.py:62: Warning: ..." and source line.
            warnings.showwarning = _show_warning
            return _main(args, debug)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        return _internal_error(exc, debug)


def _show_warning(message: Warning | str, category: type[Warning],
                  filename: str, lineno: int, file: TextIO | None = None,
                  line: str | None = None) -> None:
    try:
        sys.stderr.write(f"patchlens: warning: {message}\n")
    except OSError:
        pass


def _main(args: list[str], debug: bool) -> int:
    parser = build_parser()
    opts = parser.parse_args(args)
    opts.debug = debug
    if not opts.command:
        parser.print_usage(sys.stderr)
        return EXIT_USAGE
    if opts.command == "completion":
        from patchlens.commands.common import completion_script, emit
        emit(completion_script(parser, opts.shell), None)
        return 0
    name = opts.command
    if name == "impact":
        name = f"impact_{opts.question}"
    from patchlens.commands.common import (
        apply_git_config, check_ignore, configure_output, flush_stdout,
        refuse_overwrite, silence_stdout, verbose_summary)
    started = time.perf_counter()
    try:
        apply_git_config(opts)
        check_ignore(opts)
        configure_output(opts)
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
    if getattr(opts, "verbose", False):
        sys.stderr.write(verbose_summary(time.perf_counter() - started))
    return status
