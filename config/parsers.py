"""A JSON parser that refuses hostile bodies with a clear 400 instead of a 500."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def _max_depth(text: str) -> int:
    """Deepest nesting of arrays/objects, ignoring brackets inside strings (one linear pass)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class DuplicateKey(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


class FieldParseError(ParseError):
    """A body refused as a whole, because of one key: the error names it."""

    def __init__(self, detail: str, field: str):
        super().__init__(detail)
        self.field = field


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose keys are all distinct: with a repeated key, which value counts would
    depend on the parser, so the body is refused instead of taking the last one."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKey(key)
        out[key] = value
    return out


class StrictJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError(f"The body is not valid UTF-8 (byte {exc.start}).") from exc
        limit = settings.MAX_JSON_DEPTH
        if _max_depth(text) > limit:
            raise ParseError(f"The JSON is nested deeper than {limit} levels.")
        try:
            return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=unique_keys)
        except DuplicateKey as exc:
            raise FieldParseError(
                f"The key {exc.key!r} appears more than once in one JSON object; "
                "send each key once.",
                field=exc.key,
            ) from exc
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"Malformed JSON: {exc}") from exc
