"""Validate a JSON output against its shipped JSON Schema
(``docs/schemas/``): the object's ``schema`` key names the file
(``patchlens-report/2`` -> ``patchlens-report.schema.json``, which
pins the version); a list is b4-check's.  tests/conftest.py calls
:func:`validate_text` on every text a command emits in a test."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SCHEMAS = Path(__file__).resolve().parents[1] / "docs" / "schemas"

__all__ = ["validate", "validate_text", "SCHEMAS"]


@cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    path = SCHEMAS / f"{name}.schema.json"
    schema = json.loads(path.read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate(data: Any) -> str:
    """Raise ``jsonschema.ValidationError`` unless ``data`` fits the
    schema it names; return that name."""
    if isinstance(data, list):
        name = "b4-check"
    else:
        assert isinstance(data, dict) and "schema" in data, \
            "a JSON output without a schema key"
        name = str(data["schema"]).split("/")[0]
        assert (SCHEMAS / f"{name}.schema.json").is_file(), \
            f"no schema file for {data['schema']}"
    _validator(name).validate(data)
    return name


def validate_text(text: str) -> str | None:
    """Validate ``text`` when it is a JSON document (a patchlens object
    or a b4-check list); other text is left alone."""
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if isinstance(data, dict) and "schema" not in data:
        # graph --format json before its schema: every output has one now
        raise AssertionError("a JSON output without a schema key")
    return validate(data)
