"""Mail stage: read a mailbox, thread it, choose a series, recover quotes.

Entry point: :func:`patchlens.mail.read_series` (see ``series.py``).
"""

from patchlens.mail.series import read_series

__all__ = ["read_series"]
