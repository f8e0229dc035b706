"""Benchmarks on real kernel trees (``make kernels``, ``make bench``).

Not part of ``make test``: these need Debian's linux-source tarballs and
minutes of wall time.  ``kernels`` prepares the trees, ``run`` measures.
"""
