"""ISO 3166-1 alpha-2 country codes, validated against pycountry."""

from __future__ import annotations

from functools import cache

import pycountry
from django.core.exceptions import ValidationError


@cache
def country_choices() -> list[tuple[str, str]]:
    return sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda c: c[1])


@cache
def _codes() -> frozenset[str]:
    return frozenset(code for code, _ in country_choices())


def is_country_code(value: object) -> bool:
    return isinstance(value, str) and value in _codes()


def validate_country_code(value: str) -> None:
    if not is_country_code(value):
        raise ValidationError(
            "%(value)s is not an ISO 3166-1 alpha-2 country code (two upper-case letters, e.g. CN).",
            params={"value": value},
            code="invalid_country",
        )


@cache
def _subdivisions() -> frozenset[str]:
    return frozenset(s.code for s in pycountry.subdivisions)


def region_error(region: str, country: str) -> str:
    """Why ``region`` is not an ISO 3166-2 subdivision of ``country``; "" when it is."""
    if region not in _subdivisions():
        return f"{region} is not an ISO 3166-2 subdivision code (e.g. UA-43)."
    if not region.startswith(f"{country}-"):
        return f"{region} is not a subdivision of {country}."
    return ""


def validate_country_list(value: object) -> None:
    if not isinstance(value, list):
        raise ValidationError("Expected a list of country codes.", code="invalid")
    for item in value:
        validate_country_code(item)


def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    return country.name if country else code
