"""What every subcommand shares: writing output where -o says."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from patchlens.errors import InputError

__all__ = ["emit", "safe_text", "refuse_overwrite", "OUTPUT_SUFFIXES",
           "flush_stdout", "silence_stdout"]

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
    if output in (None, "-"):
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
