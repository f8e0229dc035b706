"""``patchlens series FILE``: the series in a mailbox (which revision
and why, base, cover, patches, what is missing, replies); the text is
:mod:`patchlens.render.series`."""

from __future__ import annotations

from argparse import Namespace

from patchlens.commands.common import emit
from patchlens.errors import EXIT_OK
from patchlens.render.series import as_json, as_text
from patchlens.session import load_series

__all__ = ["run"]


def run(opts: Namespace) -> int:
    series = load_series(opts.series, opts.revision)
    emit(as_json(series) if opts.format == "json" else as_text(series),
         opts.output)
    return EXIT_OK
