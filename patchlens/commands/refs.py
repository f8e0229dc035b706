"""``patchlens refs``: every use of the named constants, with its role.

``refs NAME...``, ``refs --family F`` or ``refs --all``: the sites in
the tree, then the mentions; with ``--series`` also the sites in the
files the series changes, read from their post-images.  The scans are
``Session.refs_scan``, the names :func:`patchlens.impact.views.select_names`,
the text :mod:`patchlens.render.refs`.
"""

from __future__ import annotations

import argparse

from patchlens.commands.common import emit
from patchlens.errors import EXIT_OK, InputError
from patchlens.impact.views import select_names
from patchlens.render.refs import as_json, as_text
from patchlens.session import open_session

__all__ = ["run"]


def run(opts: argparse.Namespace) -> int:
    if not (opts.names or opts.family or opts.all):
        raise InputError("refs", "name a constant, or use --family F or --all")
    sess = open_session(opts)
    _, scan, final = sess.refs_scan(opts.names or (),
                                    progress=not getattr(opts, "quiet", False))
    wanted = select_names(scan.names, sess.profile, every=opts.all,
                          family=opts.family, asked=opts.names or ())
    show = as_json if opts.format == "json" else as_text
    emit(show(sess.tree.info.label, wanted, scan.names, scan, final,
              sess.series_paths()), opts.output)
    return EXIT_OK
