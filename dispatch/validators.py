"""Validation of the JSON-shaped fields of dispatch's models (aliases, owners, a visit's
parties and items): each problem named by its field path ("items[0].kind"), so the services,
the API and the admin report it beside the field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from config.codes import (
    MAX_CODE_LENGTH,
    classification_code_problem,
    list_code_problem,
)
from config.text import unsafe_message
from dispatch.countries import is_country_code


def validate_plain_text(value: object) -> None:
    """Refuse direction controls, invisible and control characters (``config.text``), line
    breaks and tabs included: a single-line name, address or identifier."""
    if isinstance(value, str) and (message := unsafe_message(value)):
        raise ValidationError(message, code="unsafe_character")


class SingleLineFormField(forms.CharField):
    """The form field of a single-line name (``dispatch.models.NameField``): a line break, tab or
    other refused character is reported also at either end, where ``forms.CharField`` would strip
    it silently before the model's validators see the value."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and (message := unsafe_message(value)):
            raise ValidationError(message, code="unsafe_character")
        return super().to_python(value)


# Line breaks and tabs: the only control characters a multi-line text may carry.
_TEXT_LAYOUT = {ord("\n"): " ", ord("\r"): " ", ord("\t"): " "}


def multiline_text_problem(value: object) -> str | None:
    """Why ``value`` is not plain multi-line text (line breaks and tabs allowed, no other control,
    direction or invisible character); None when it is."""
    if not isinstance(value, str):
        return None
    return unsafe_message(value.translate(_TEXT_LAYOUT))


def validate_multiline_text(value: object) -> None:
    """A justification, purpose, condition or evidence: it may span lines (line breaks and tabs),
    but carries no other control character, nor a direction control or invisible character."""
    if message := multiline_text_problem(value):
        raise ValidationError(message, code="unsafe_character")


def validate_classification_code(value: object) -> None:
    """An export classification code (``config.codes``): 3B001.f.4, EAR99, …"""
    if problem := classification_code_problem(value):
        raise ValidationError(problem, code="invalid_code")


def validate_classification_prefix(value: object) -> None:
    """A classification code or a licence's prefix of one (which may end in '.' or ':')."""
    if problem := classification_code_problem(value, prefix=True):
        raise ValidationError(problem, code="invalid_code")


def validate_classification_prefixes(value: object) -> None:
    """A licence's classifications: a list of codes or prefixes (empty: any)."""
    if not isinstance(value, list):
        raise ValidationError("Expected a list of classification codes.", code="invalid")
    for i, code in enumerate(value):
        if problem := classification_code_problem(code, prefix=True):
            raise ValidationError(f"Classification {i + 1}: {problem}", code="invalid_code")


def validate_list_code(value: object) -> None:
    """A screening list code (``config.codes``): EL, SDN, NS-MBS, …"""
    if problem := list_code_problem(value):
        raise ValidationError(problem, code="invalid_code")


def validate_alias_texts(value: object) -> None:
    """Every alias of a list is plain text (as :func:`validate_plain_text`)."""
    if isinstance(value, list):
        for i, alias in enumerate(value):
            if isinstance(alias, str) and (message := unsafe_message(alias)):
                raise ValidationError(f"Alias {i + 1}: {message}", code="unsafe_character")


def validate_owner_stakes(value: object) -> None:
    """Owners of a customer, however written: a list of objects, each with a plain-text name
    (the service layer checks the rest and names each field)."""
    if not isinstance(value, list) or not all(
        isinstance(o, dict) and isinstance(o.get("name"), str) and o["name"].strip() for o in value
    ):
        raise ValidationError("Owners are a list of objects, each with a name.", code="invalid")
    for i, owner in enumerate(value):
        if message := unsafe_message(owner["name"]):
            raise ValidationError(f"Owner {i + 1}: {message}", code="unsafe_character")


CLASSIFICATION_JURISDICTIONS = ("US", "NL", "JP", "KR", "EU")

# Who else the law names on a visit (DOMAIN sec. 6): listed when they differ from the owner.
PARTY_ROLES = ("purchaser", "consignee", "end_user", "operator")
MAX_VISIT_PARTIES = 10


def _text_problem(value: object, what: str) -> str:
    """Why ``value`` is not a one-line name of at most 300 characters; "" when it is."""
    if not isinstance(value, str) or not value.strip():
        return f"{what} is required."
    if len(value) > 300:
        return "At most 300 characters."
    return unsafe_message(value) or ""


def _country_problem(value: object) -> str:
    if value in (None, "") or is_country_code(value):
        return ""
    return f"{value!r} is not an ISO 3166-1 alpha-2 country code."


def _list_problems(
    value: object, field: str, limit: int, entry: Callable[[str, dict[str, Any]], dict[str, str]]
) -> dict[str, str]:
    """Problems of a list of objects by field path ("parties[1].role"); empty when none."""
    if not isinstance(value, list):
        return {field: f"Expected a list of {field}."}
    if len(value) > limit:
        return {field: f"At most {limit} {field}."}
    problems: dict[str, str] = {}
    for i, obj in enumerate(value):
        if isinstance(obj, dict):
            problems.update(entry(f"{field}[{i}]", obj))
        else:
            problems[f"{field}[{i}]"] = "Expected an object."
    return problems


def _raise(problems: dict[str, str]) -> None:
    if problems:
        raise ValidationError("; ".join(f"{k}: {v}" for k, v in problems.items()), code="invalid")


def _party_problems(at: str, party: dict[str, Any]) -> dict[str, str]:
    problems = {
        f"{at}.{k}": "Unknown field." for k in sorted(set(party) - {"role", "name", "country"})
    }
    if party.get("role") not in PARTY_ROLES:
        problems[f"{at}.role"] = f"Choose one of: {', '.join(PARTY_ROLES)}."
    if problem := _text_problem(party.get("name"), "A name"):
        problems[f"{at}.name"] = problem
    if problem := _country_problem(party.get("country")):
        problems[f"{at}.country"] = problem
    return problems


def visit_parties_problems(value: object) -> dict[str, str]:
    """What is wrong with a visit's parties, by field ("parties[1].role"); empty when nothing."""
    return _list_problems(value, "parties", MAX_VISIT_PARTIES, _party_problems)


def validate_visit_parties(value: object) -> None:
    _raise(visit_parties_problems(value))


MAX_CODES = 20  # per jurisdiction


def classifications_problem(value: object) -> str:
    """Why ``value`` is not a map of jurisdiction to a list of classification codes; "" when it
    is. A code of the wrong shape is named with the shape expected."""
    ok = isinstance(value, dict) and all(
        isinstance(k, str)
        and k in CLASSIFICATION_JURISDICTIONS
        and isinstance(v, list)
        and len(v) <= MAX_CODES
        for k, v in value.items()
    )
    if not ok:
        return (
            "Expected a map of jurisdiction ("
            + ", ".join(CLASSIFICATION_JURISDICTIONS)
            + f") to a list of at most {MAX_CODES} codes of at most {MAX_CODE_LENGTH} "
            "characters."
        )
    for jurisdiction, codes in value.items():  # type: ignore[union-attr]
        for i, code in enumerate(codes):
            if problem := classification_code_problem(code):
                return f"{jurisdiction}[{i}]: {problem}"
    return ""


# What a visit ships, hands over or transfers (the engine's visit.items).
ITEM_KINDS = ("tool", "part", "software", "technology")
MAX_VISIT_ITEMS = 50
_ITEM_KEYS = frozenset(
    {
        "kind",
        "description",
        "classifications",
        "origin",
        "us_content_percent",
        "made_with_us_technology",
        "subject_to_ear",
        "ear_justification",
    }
)


def _item_problems(at: str, item: dict[str, Any]) -> dict[str, str]:
    problems = {f"{at}.{k}": "Unknown field." for k in sorted(set(item) - _ITEM_KEYS)}
    if item.get("kind") not in ITEM_KINDS:
        problems[f"{at}.kind"] = f"Choose one of: {', '.join(ITEM_KINDS)}."
    if problem := _text_problem(item.get("description"), "A description"):
        problems[f"{at}.description"] = problem
    if problem := classifications_problem(item.get("classifications") or {}):
        problems[f"{at}.classifications"] = problem
    if problem := _country_problem(item.get("origin")):
        problems[f"{at}.origin"] = problem
    share = item.get("us_content_percent")
    if share is not None and (
        isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 100
    ):
        problems[f"{at}.us_content_percent"] = "A percentage from 0 to 100, or null."
    for key in ("made_with_us_technology", "subject_to_ear"):
        if item.get(key) is not None and not isinstance(item.get(key), bool):
            problems[f"{at}.{key}"] = "true, false or null."
    justification = item.get("ear_justification")
    if justification is not None and (
        not isinstance(justification, str) or len(justification) > 500
    ):
        problems[f"{at}.ear_justification"] = "Text of at most 500 characters."
    elif item.get("subject_to_ear") is not None and not (justification or "").strip():
        problems[f"{at}.ear_justification"] = (
            "A recorded determination overrides the one derived from origin, US content and US "
            "technology: say why it holds."
        )
    elif justification and (message := multiline_text_problem(justification)):
        problems[f"{at}.ear_justification"] = message
    if item.get("subject_to_ear") is False and not item.get("origin"):
        problems[f"{at}.origin"] = (
            'A recorded "not subject to the EAR" rests on where the item was made: give the origin.'
        )
    return problems


def visit_items_problems(value: object) -> dict[str, str]:
    """What is wrong with a visit's items, by field; empty when nothing (None: not listed)."""
    return {} if value is None else _list_problems(value, "items", MAX_VISIT_ITEMS, _item_problems)


def validate_visit_items(value: object) -> None:
    _raise(visit_items_problems(value))


def id_param(value: object) -> int | None:
    """A database id from a query or form value: ASCII digits up to the largest id, else None
    (``str.isdigit`` accepts "²", which ``int`` refuses, and a huge number overflows a lookup)."""
    text = str(value or "")
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= 2**63 - 1 else None
