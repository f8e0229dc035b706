"""Tree-sitter queries (``*.scm``), shipped as package data."""
