"""What every subcommand shares: writing output where -o says."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from patchlens.errors import InputError

__all__ = ["emit", "safe_text", "refuse_overwrite", "OUTPUT_SUFFIXES",
           "flush_stdout", "silence_stdout", "apply_git_config",
           "git_config", "check_ignore", "ignored", "drop_ignored",
           "configure_output", "use_color", "colorize", "verbose_summary",
           "completion_script", "OUTPUT_HOOKS"]

# git config key (lower case, as ``git config --get-regexp`` prints
# it) -> option it gives a default to; the command line wins.
GIT_CONFIG_KEYS = {"patchlens.tree": "tree", "patchlens.profile": "profile",
                   "patchlens.failon": "fail_on", "patchlens.color": "color"}


def git_config(cwd: str = ".") -> dict[str, str]:
    """The ``patchlens.*`` keys of git config as git reads them in
    ``cwd`` (repository, global and system files), as b4 reads its
    ``b4.*`` keys; nothing when git is missing or fails."""
    try:
        run = subprocess.run(["git", "config", "--get-regexp", r"^patchlens\."],
                             cwd=cwd, capture_output=True, timeout=10,
                             check=False)
    except (OSError, subprocess.SubprocessError):
        return {}
    out: dict[str, str] = {}
    for line in run.stdout.decode("utf-8", "replace").splitlines():
        key, _, value = line.partition(" ")
        out[key.lower()] = value.strip()
    return out


def apply_git_config(opts: argparse.Namespace, cwd: str = ".") -> None:
    """Fill the options the command line left unset from git config
    (``patchlens.tree``, ``.profile``, ``.failOn``, ``.color``); a value
    git config gives that the option does not take is a usage error."""
    # failOn is report's and check's (scan fails only when asked).
    fails = getattr(opts, "command", None) in ("report", "check")
    wanted = [k for k, attr in GIT_CONFIG_KEYS.items()
              if hasattr(opts, attr) and getattr(opts, attr) is None
              and (attr != "fail_on" or fails)]
    config = git_config(cwd) if wanted else {}
    for key in wanted:
        attr = GIT_CONFIG_KEYS[key]
        value = config.get(key)
        if value is None:
            continue
        if attr == "tree" and getattr(opts, "no_tree", False):
            continue
        if attr == "fail_on":
            value = value.lower()
            if value not in ("error", "warning", "check"):
                raise InputError(f"git config {key}", f"{value!r} is not "
                                 "error, warning or check")
        if attr == "color":
            value = {"true": "auto", "false": "never"}.get(value.lower(),
                                                           value.lower())
            if value not in ("auto", "always", "never"):
                raise InputError(f"git config {key}", f"{value!r} is not "
                                 "auto, always or never")
        setattr(opts, attr, value)
    if fails and opts.fail_on is None:
        opts.fail_on = "error"


def ignored(opts: argparse.Namespace) -> frozenset[str]:
    """The codes ``--ignore CODE[,CODE]`` names (the option may repeat)."""
    return frozenset(c.strip() for arg in getattr(opts, "ignore", None) or ()
                     for c in arg.split(",") if c.strip())


def check_ignore(opts: argparse.Namespace) -> None:
    """An ``--ignore`` code the finding catalogue does not have is a
    usage error (one line, exit 2), as a misspelt checkpatch type."""
    codes = ignored(opts)
    if not codes:
        return
    from patchlens.checks import CATALOGUE
    known = {m.code for m in CATALOGUE}
    unknown = sorted(codes - known)
    if unknown:
        import difflib
        close = difflib.get_close_matches(unknown[0], sorted(known), n=1)
        hint = f"; did you mean {close[0]}?" if close else \
            "; see patchlens check --list-findings"
        raise InputError("--ignore", f"unknown finding code "
                         f"{', '.join(unknown)}{hint}")


def drop_ignored(answer: Any, opts: argparse.Namespace) -> Any:
    """``answer`` (a report or anything with ``findings``) without the
    findings ``--ignore`` names."""
    codes = ignored(opts)
    if not codes:
        return answer
    return replace(answer, findings=tuple(f for f in answer.findings
                                          if f.code not in codes))


# Called with every text :func:`emit` writes, before it is written (the
# tests validate each JSON output against its schema here).
OUTPUT_HOOKS: list[Callable[[str], None]] = []

# Set once per run by :func:`configure_output`: whether emit colours
# the severities of what it writes to stdout.
_COLOR = {"on": False}
_COLORS = {"ERROR": "\x1b[31m", "WARNING": "\x1b[33m", "CHECK": "\x1b[32m"}
_SEVERITY = re.compile(r"(?<![\w-])(ERROR|WARNING|CHECK)(?=[:\s])")


def use_color(mode: str | None, stream: Any = None,
              environ: Any = None) -> bool:
    """``--color`` as git and checkpatch read it: always, never, or
    auto -- a terminal, NO_COLOR unset (any value turns it off), TERM
    not dumb."""
    environ = os.environ if environ is None else environ
    stream = sys.stdout if stream is None else stream
    if mode == "always":
        return True
    if mode == "never":
        return False
    if environ.get("NO_COLOR") or environ.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def configure_output(opts: argparse.Namespace) -> None:
    """Colour for this run: text formats only (never json, b4-check,
    graphs), never into ``-o FILE``."""
    fmt = getattr(opts, "format", "text")
    _COLOR["on"] = fmt in ("text", "terse") and \
        getattr(opts, "output", None) in (None, "-") and \
        use_color(getattr(opts, "color", None))


def colorize(text: str) -> str:
    """Severity words in checkpatch's colours (ERROR red, WARNING
    yellow, CHECK green)."""
    return _SEVERITY.sub(lambda m: f"{_COLORS[m.group(1)]}{m.group(1)}"
                                   "\x1b[0m", text)


def verbose_summary(total: float) -> str:
    """``--verbose``: each stage's time and what the searches did, for
    every session the command opened."""
    from patchlens.session import opened_sessions
    out = []
    for sess in opened_sessions():
        stages = ", ".join(f"{k} {v:.2f} s" for k, v in sess.timings.items())
        st = sess.search.stats
        out.append(f"patchlens: stages: {stages}")
        out.append(f"patchlens: search: {st.searches} searched, "
                   f"{st.store_hits} from the cache, {st.memo_hits} "
                   f"already answered this run, {st.files_read} files "
                   f"read in Python; facts: {st.parsed} files parsed, "
                   f"{st.facts_cached} from the cache")
    out.append(f"patchlens: total {total:.2f} s")
    return "\n".join(out) + "\n"


def completion_script(parser: argparse.ArgumentParser, shell: str) -> str:
    """A bash or zsh completion script generated from ``parser``."""
    import shtab
    return str(shtab.complete(parser, shell=shell))

# What -o is given for patchlens' own output: overwriting such a file
# inside a kernel tree is normal (the last run's report); anything else
# there is a source file.
OUTPUT_SUFFIXES = frozenset({
    ".txt", ".json", ".md", ".markdown", ".html", ".svg", ".dot", ".gv",
    ".graphml", ".xml", ".out", ".log", ".report", ".patch", ".diff"})


def safe_text(text: str) -> str:
    """``text`` as valid UTF-8 can carry: a file name with invalid UTF-8
    bytes (read as surrogate escapes) shows U+FFFD where they were."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return text


def silence_stdout() -> None:
    """After a failed write, point stdout at /dev/null so the interpreter's
    last flush does not fail again ("Exception ignored ...")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def flush_stdout() -> None:
    """Flush stdout; a full device is an :class:`InputError` (exit 2)."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        silence_stdout()
        raise InputError("<stdout>", f"cannot write: {exc.strerror or exc}") from None


def emit(text: str, output: str | None) -> None:
    """Write ``text`` to ``output`` (a path) or stdout when None or '-'.

    A write that fails (a full device, /dev/full, a closed pipe other than
    EPIPE) is an :class:`InputError` naming where: one line, exit 2.
    """
    text = safe_text(text)
    if not text.endswith("\n"):
        text += "\n"
    for hook in OUTPUT_HOOKS:
        hook(text)
    if output in (None, "-"):
        if _COLOR["on"]:
            text = colorize(text)
        try:
            sys.stdout.write(text)
        except BrokenPipeError:
            raise
        except OSError as exc:
            silence_stdout()
            raise InputError("<stdout>", f"cannot write: {exc.strerror or exc}") from None
        flush_stdout()
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(output, f"cannot write: {exc.strerror}") from None


def _tracked(root: str, rel: str) -> bool:
    """Whether git tracks ``rel`` in the work tree at ``root``."""
    if not os.path.exists(os.path.join(root, ".git")):
        return False
    try:
        import pygit2
        return rel in pygit2.Repository(root).index
    except Exception:  # noqa: BLE001 - a broken repository: not known as tracked
        return False


def refuse_overwrite(opts: argparse.Namespace, cwd: str = ".") -> None:
    """Refuse ``-o FILE`` (or ``--emit-patch FILE``) naming an existing
    source file of the tree being analysed, unless ``--force``.

    A source file: git tracks it, or its name is not one of patchlens'
    output kinds (``report.txt`` written last time may be overwritten).
    """
    if getattr(opts, "force", False) or getattr(opts, "no_tree", False):
        return
    targets = [t for t in (getattr(opts, "output", None),
                           getattr(opts, "emit_patch", None)) if t and t != "-"]
    if not targets or not hasattr(opts, "tree"):
        return
    root = opts.tree
    if root is None:
        from patchlens.tree.open import find_kernel_top
        root = find_kernel_top(cwd)
    if root is None or not os.path.isdir(root):
        return
    top = os.path.realpath(root)
    for target in targets:
        if not os.path.isfile(target):
            continue        # a new file in a checkout is fine
        full = os.path.realpath(target)
        if not full.startswith(top.rstrip("/") + "/"):
            continue
        rel = os.path.relpath(full, top)
        if _tracked(top, rel) or Path(full).suffix.lower() not in OUTPUT_SUFFIXES:
            raise InputError(target, f"is a source file of the tree being "
                                     f"analysed ({root}); not overwritten "
                                     "(--force to do it anyway)")
