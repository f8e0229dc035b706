"""patchlens: what a kernel patch series does to interrupt-domain constants.

Pipeline (one module or package per stage, plain data between them):

    mail -> diff -> tree -> extract -> graph -> impact -> render

See docs/architecture.md.
"""

__version__ = "0.1.0"
