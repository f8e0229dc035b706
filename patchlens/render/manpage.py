"""A man page (roff, man(7) macros) generated from the argument parser:
the synopsis, every subcommand with its positionals, options and
examples, so ``man patchlens`` and ``--help`` never disagree.

``make man`` writes ``docs/man/patchlens.1`` (:func:`patchlens.cli.man_page`),
the page the package installs (``share/man/man1``); a test checks the
shipped page is the one the parser makes.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

__all__ = ["manpage"]


def _roff(text: str) -> str:
    """Text safe in roff: backslashes and hyphens escaped, no line
    starting with a control character."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + text if text.startswith((".", "'")) else text


def _subparsers(parser: argparse.ArgumentParser
                ) -> Iterator[tuple[str, argparse.ArgumentParser, str]]:
    """(name, parser, help) of every subcommand, nested ones as
    ``impact rename``, in the order the parser has them."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for name, sp in action.choices.items():
                words = sp.prog.split()[1:]
                yield " ".join(words), sp, helps.get(name, "")
                yield from _subparsers(sp)


def _invocation(action: argparse.Action) -> str:
    if not action.option_strings:
        meta = action.metavar or action.dest
        name = " ".join(meta) if isinstance(meta, tuple) else meta
        return f"\\fI{_roff(name)}\\fR"
    opts = ", ".join(f"\\fB{_roff(o)}\\fR" for o in action.option_strings)
    if action.nargs == 0:
        return opts
    meta = action.metavar or action.dest.upper()
    if isinstance(meta, tuple):
        meta = " ".join(meta)
    return f"{opts} \\fI{_roff(str(meta))}\\fR"


def _options(parser: argparse.ArgumentParser) -> list[str]:
    out: list[str] = []
    for action in parser._actions:
        if isinstance(action, (argparse._SubParsersAction,
                               argparse._HelpAction)):
            continue
        if action.help == argparse.SUPPRESS:
            continue
        out += [".TP", _invocation(action)]
        help_text = (action.help or "") % {"default": action.default,
                                           "prog": parser.prog}
        if action.choices is not None and not action.option_strings:
            help_text = help_text or "one of " + ", ".join(
                str(c) for c in action.choices)
        out.append(_roff(" ".join(help_text.split())))
    return out


def manpage(parser: argparse.ArgumentParser, version: str,
            date: str = "") -> str:
    """The man page of ``parser`` (section 1)."""
    prog = parser.prog
    out = [f'.TH {prog.upper()} 1 "{date}" "{prog} {_roff(version)}" '
           '"User Commands"',
           ".SH NAME", f"{prog} \\- {_roff(parser.description or '')}",
           ".SH SYNOPSIS", f"\\fB{prog}\\fR \\fICOMMAND\\fR [\\fIOPTIONS\\fR]",
           ".SH OPTIONS", *_options(parser), ".SH COMMANDS"]
    for name, sp, help_text in _subparsers(parser):
        out += [".SS " + _roff(f"{prog} {name}"), _roff(help_text), ".PP",
                _roff(" ".join(sp.format_usage().split()[1:]))]
        out += _options(sp)
        if sp.epilog:
            out += [".PP", "Examples:", ".nf", ".RS"]
            out += [_roff(line.strip()) for line in sp.epilog.splitlines()[1:]]
            out += [".RE", ".fi"]
    out += [".SH EXIT STATUS",
            "0 clean; 1 findings at or above \\fB\\-\\-fail\\-on\\fR; "
            "2 usage or unusable input; 3 an internal error.",
            ".SH ENVIRONMENT",
            ".TP", "\\fBNO_COLOR\\fR",
            "set: no colour with \\fB\\-\\-color=auto\\fR.",
            ".SH FILES",
            ".TP", "git config \\fBpatchlens.tree\\fR, \\fBpatchlens.profile\\fR, "
            "\\fBpatchlens.failOn\\fR, \\fBpatchlens.color\\fR",
            "defaults for \\fB\\-\\-tree\\fR, \\fB\\-\\-profile\\fR, "
            "\\fB\\-\\-fail\\-on\\fR, \\fB\\-\\-color\\fR; the command line wins.",
            ".SH SEE ALSO", "\\fBb4\\fR(5), \\fBgit\\-grep\\fR(1)"]
    return "\n".join(out) + "\n"

