"""Shared fixtures: the real-data locations, skipping cleanly when absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"
CORPUS = REPO.parent / "shared" / "corpus" / "lkml"


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def corpus() -> Path:
    """``../shared/corpus/lkml``; a fresh clone has no ../shared."""
    if not (CORPUS / "MANIFEST.md").is_file():
        pytest.skip(f"LKML corpus not found at {CORPUS} (needs ../shared beside the clone)")
    return CORPUS


def _env_tree(var: str) -> Path:
    value = os.environ.get(var)
    if not value:
        pytest.skip(f"{var} is not set (make test-kernel sets it)")
    path = Path(value)
    if not path.is_dir():
        pytest.skip(f"{var}={value} is not a directory")
    return path


@pytest.fixture
def kernel_tree() -> Path:
    """Debian linux-source-6.12, unpacked (PATCHLENS_KERNEL_TREE)."""
    return _env_tree("PATCHLENS_KERNEL_TREE")


@pytest.fixture
def kernel_tree_6_1() -> Path:
    """Debian linux-source-6.1, unpacked (PATCHLENS_KERNEL_TREE_6_1)."""
    return _env_tree("PATCHLENS_KERNEL_TREE_6_1")


@pytest.fixture
def kernel_git() -> Path:
    """A git repository with tags v6.1 and v6.12 built from the tarballs
    (PATCHLENS_KERNEL_GIT)."""
    return _env_tree("PATCHLENS_KERNEL_GIT")


@pytest.fixture(autouse=True)
def _validate_json_outputs():  # type: ignore[no-untyped-def]
    """Every JSON document a command emits in a test is validated
    against its shipped schema (docs/schemas/, tests/json_schemas.py)."""
    from patchlens.commands.common import OUTPUT_HOOKS
    from tests.json_schemas import validate_text
    from tests.prose_facts import check_text
    # ... and no fact in it is only in prose (tests/prose_facts.py).
    OUTPUT_HOOKS.append(validate_text)
    OUTPUT_HOOKS.append(check_text)
    try:
        yield
    finally:
        OUTPUT_HOOKS.remove(validate_text)
        OUTPUT_HOOKS.remove(check_text)
