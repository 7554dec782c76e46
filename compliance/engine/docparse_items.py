"""Reading the list entries of a visit document: `tools[i]`, `visit.items[i]` and
`facility.parties[i]`.

Kept apart from docparse.py so each stays small; it uses the parser's primitive readers, which
record every error under the path of the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from config.codes import classification_code_problem

from .document import (
    CLASSIFICATION_JURISDICTIONS,
    EAR_INPUT_FIELDS,
    ITEM_FIELDS,
    ITEM_KINDS,
    MAX_LIST_ITEMS,
    PARTY_FIELDS,
    PARTY_ROLES,
    TOOL_FIELDS,
    CodeMap,
    ItemInfo,
    PartyInfo,
    ToolInfo,
)

if TYPE_CHECKING:
    from .docparse import _Parser

__all__ = ["parse_item", "parse_party", "parse_tool"]


def _classifications(p: _Parser, t: Mapping[str, Any], path: str) -> dict[str, tuple[str, ...]]:
    codes: dict[str, tuple[str, ...]] = {}
    raw_codes = t.get("classifications")
    where = f"{path}.classifications"
    if raw_codes is None:
        return codes
    if not isinstance(raw_codes, Mapping):
        p.errors.add(where, "must be an object mapping jurisdiction to a list of codes")
        return codes
    for jurisdiction, values in raw_codes.items():
        at = f"{where}.{jurisdiction}"
        if jurisdiction not in CLASSIFICATION_JURISDICTIONS:
            p.errors.add(at, "unknown jurisdiction; expected an ISO 3166-1 alpha-2 code or EU")
            continue
        if values is None:
            values = []
        if not isinstance(values, list | tuple) or len(values) > MAX_LIST_ITEMS:
            p.errors.add(at, f"must be a list of at most {MAX_LIST_ITEMS} codes")
            continue
        parsed = [p.text(v, f"{at}[{i}]") for i, v in enumerate(values)]
        for i, code in enumerate(parsed):
            if code is not None and (problem := classification_code_problem(code.strip())):
                p.errors.add(f"{at}[{i}]", problem)
        codes[jurisdiction] = tuple(c.strip() for c in parsed if c is not None)
    return codes


def _optional_boolean(p: _Parser, t: Mapping[str, Any], key: str, path: str) -> bool | None:
    value = t.get(key)
    if value is None or isinstance(value, bool):
        return value
    p.errors.add(f"{path}.{key}", "must be true, false or null")
    return None


def _ear_inputs(
    p: _Parser, t: Mapping[str, Any], path: str
) -> tuple[str | None, int | float | None, bool | None]:
    origin = p.country(t.get("origin"), f"{path}.origin", required=False)
    share = p.number(t, "us_content_percent", path)
    if share is not None and share > 100:
        p.errors.add(f"{path}.us_content_percent", "must be a percentage of at most 100")
        share = None
    return origin, share, _optional_boolean(p, t, "made_with_us_technology", path)


def parse_item(p: _Parser, raw: object, path: str) -> ItemInfo | None:
    """One item shipped, handed over or transferred: kind, description, classifications and the
    inputs of "subject to the EAR" (a recorded `subject_to_ear` wins, as for a tool)."""
    t = p.obj(raw, path, ITEM_FIELDS)
    if t is None:
        return None
    kind = t.get("kind")
    if kind not in ITEM_KINDS:
        p.errors.add(f"{path}.kind", f"must be one of {', '.join(ITEM_KINDS)}")
    description = p.string(t, "description", path)
    codes = _classifications(p, t, path)
    subject = None if t.get("subject_to_ear") is None else p.boolean(t, "subject_to_ear", path)
    origin, share, technology = _ear_inputs(p, t, path)
    justification = p.string(t, "ear_justification", path, required=False)
    if description is None or kind not in ITEM_KINDS:
        return None
    return ItemInfo(
        kind=str(kind),
        description=description,
        classifications=CodeMap(codes),
        subject_to_ear=subject,
        origin=origin,
        us_content_percent=share,
        made_with_us_technology=technology,
        ear_justification=justification,
    )


def parse_tool(p: _Parser, raw: object, path: str) -> ToolInfo | None:
    t = p.obj(raw, path, TOOL_FIELDS)
    if t is None:
        return None
    model = p.string(t, "model", path)
    serial = p.string(t, "serial", path, required=False)
    ident = p.ident(t, path)
    codes = _classifications(p, t, path)
    # Without any input to derive it from, an absent determination means false, as it always
    # did; with inputs and no determination, the status is derived (ear.py).
    derive = t.get("subject_to_ear") is None and any(k in t for k in EAR_INPUT_FIELDS)
    subject = None if derive else p.boolean(t, "subject_to_ear", path)
    origin, share, technology = _ear_inputs(p, t, path)
    justification = p.string(t, "ear_justification", path, required=False)
    if model is None:
        return None
    return ToolInfo(
        model,
        CodeMap(codes),
        subject,
        serial,
        ident,
        origin=origin,
        us_content_percent=share,
        made_with_us_technology=technology,
        ear_justification=justification,
    )


def parse_party(p: _Parser, raw: object, path: str) -> PartyInfo | None:
    """A purchaser, consignee, end user or operator: its role, name and (optional) country."""
    o = p.obj(raw, path, PARTY_FIELDS)
    if o is None:
        return None
    role = o.get("role")
    if role not in PARTY_ROLES:
        p.errors.add(f"{path}.role", f"must be one of {', '.join(PARTY_ROLES)}")
    name = p.string(o, "name", path)
    country = p.country(o.get("country"), f"{path}.country", required=False)
    if name is None or role not in PARTY_ROLES:
        return None
    return PartyInfo(role=str(role), name=name, country=country)
