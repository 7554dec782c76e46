"""Caps on a dry-run check, so one request cannot make the server evaluate and answer without bound.

A stored visit is capped by its own validators; a dry run takes any document, and its answer grows
with engineers × tools (a finding per pair and rule). Each cap is a setting:

- ``DRY_RUN_MAX_ENGINEERS`` (default 50) and ``DRY_RUN_MAX_TOOLS`` (default 50), checked on the
  document before anything is evaluated;
- ``DRY_RUN_MAX_PAIRS`` (default 500): engineers × tools;
- ``DRY_RUN_MAX_RESPONSE_BYTES`` (default 2 MB): the answer, as JSON.

Going over one is a 400 that names the limit and the field; nothing is evaluated past it.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings

from config.errors import ApplicationError


def limit(name: str) -> int:
    return int(getattr(settings, name))


def _count(document: dict[str, Any], key: str) -> int:
    value = document.get(key)
    return len(value) if isinstance(value, list) else 0


def document_limits_check(document: dict[str, Any]) -> None:
    """Refuse a document with more engineers, tools or pairs than a dry run evaluates."""
    engineers, tools = _count(document, "engineers"), _count(document, "tools")
    errors: dict[str, list[str]] = {}
    for field, count, name in (
        ("engineers", engineers, "DRY_RUN_MAX_ENGINEERS"),
        ("tools", tools, "DRY_RUN_MAX_TOOLS"),
    ):
        if count > limit(name):
            errors[field] = [
                f"A dry run checks at most {limit(name)} {field} ({name}); this document has "
                f"{count}. Split it into several checks."
            ]
    if not errors and engineers * tools > limit("DRY_RUN_MAX_PAIRS"):
        errors["engineers"] = [
            f"A dry run checks at most {limit('DRY_RUN_MAX_PAIRS')} engineer-tool pairs "
            f"(DRY_RUN_MAX_PAIRS); this document has {engineers} × {tools} = "
            f"{engineers * tools}. Split it into several checks."
        ]
    if errors:
        first = next(iter(errors.values()))[0]
        raise ApplicationError(f"The document is too large for a dry run: {first}", errors=errors)


def response_limit_check(answer: dict[str, Any]) -> None:
    """Refuse to send an answer larger than ``DRY_RUN_MAX_RESPONSE_BYTES``."""
    cap = limit("DRY_RUN_MAX_RESPONSE_BYTES")
    size = len(json.dumps(answer, default=str, separators=(",", ":")).encode())
    if size > cap:
        message = (
            f"The answer would be {size} bytes, more than the {cap} a dry run sends "
            "(DRY_RUN_MAX_RESPONSE_BYTES). Check fewer engineers or tools at a time."
        )
        raise ApplicationError(message, errors={"document": [message]})
