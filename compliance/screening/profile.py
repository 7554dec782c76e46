"""What else the screened party is known to be besides its name: countries and a date of birth.

A name score says how alike two names are; it cannot tell a namesake from the listed party. The
countries of a party (the facility's country for an owner, the citizenships of an engineer) and an
engineer's date of birth can, when the list gives them too. They adjust the score of a near miss
both ways:

- a country the entry also names adds COUNTRY_BOOST, a country set that shares none of the entry's
  countries takes COUNTRY_PENALTY;
- a date of birth the entry gives exactly adds BIRTH_BOOST; one outside every date or span the entry
  gives ("1967", "circa 1967", "1958 to 1960") takes BIRTH_PENALTY; a date inside a year or span
  changes nothing (it agrees, but so would many others).

Facts the entry does not give change nothing either way. The adjustments are hints, never filters: a
boost only lifts a name that already nearly matches, and a penalty never takes an exact name (every
list word present, nothing extra) below the threshold, because a listed person who gives another
date of birth or a second passport is still the listed person. Each adjustment is named in the
match's explanation.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

COUNTRY_BOOST = 0.02
COUNTRY_PENALTY = 0.04
BIRTH_BOOST = 0.03
BIRTH_PENALTY = 0.06
# "circa 1967" in the list: a span of this many years either side.
CIRCA_YEARS = 2
# The largest total boost, which the index's blocking must allow for.
MAX_BOOST = COUNTRY_BOOST + BIRTH_BOOST

_COUNTRY = re.compile(r"[A-Z]{2}")
_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_YEAR = re.compile(r"(\d{4})")
_CIRCA = re.compile(r"(?:circa|c\.|approx(?:imately)?\.?)\s*(\d{4})", re.IGNORECASE)
_SPAN = re.compile(r"(\d{4})\s*(?:to|-|–)\s*(\d{4})")


@dataclass(frozen=True)
class Profile:
    """The screened party's facts besides its name; empty means the name alone."""

    countries: frozenset[str] = frozenset()
    date_of_birth: dt.date | None = None

    def __bool__(self) -> bool:
        return bool(self.countries) or self.date_of_birth is not None

    @property
    def max_boost(self) -> float:
        return (COUNTRY_BOOST if self.countries else 0.0) + (
            BIRTH_BOOST if self.date_of_birth else 0.0
        )


def make_profile(
    countries: Iterable[str | None] = (), date_of_birth: dt.date | str | None = None
) -> Profile:
    """A Profile from ISO 3166-1 alpha-2 codes and a date (or ISO date text); ValueError names a
    malformed one."""
    codes: set[str] = set()
    for country in countries:
        if country is None or country == "":
            continue
        code = country.strip().upper()
        if not _COUNTRY.fullmatch(code):
            raise ValueError(f"country must be an ISO 3166-1 alpha-2 code, got {country!r}")
        codes.add(code)
    birth: dt.date | None
    if date_of_birth is None or date_of_birth == "":
        birth = None
    elif isinstance(date_of_birth, dt.date):
        birth = date_of_birth
    else:
        try:
            birth = dt.date.fromisoformat(date_of_birth)
        except ValueError:
            raise ValueError(
                f"date_of_birth must be a date (YYYY-MM-DD), got {date_of_birth!r}"
            ) from None
    return Profile(frozenset(codes), birth)


def search_profile(
    country: str | None,
    countries: Iterable[str],
    date_of_birth: dt.date | str | None,
    threshold: float,
    limit: int,
) -> Profile:
    """The arguments of a search, checked (ValueError names the one at fault)."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    return make_profile([country, *countries], date_of_birth)


# (first day, last day, exact): an exact date or the span a year, "circa" or a range stands for.
BirthSpan = tuple[dt.date, dt.date, bool]


def birth_spans(published: Iterable[str]) -> tuple[BirthSpan, ...]:
    """The dates of birth as the list prints them, read as spans; text it cannot read is left out
    (and so changes no score)."""
    spans: list[BirthSpan] = []
    for text in published:
        text = text.strip()
        try:
            if day := _DAY.fullmatch(text):
                date = dt.date(int(day[1]), int(day[2]), int(day[3]))
                spans.append((date, date, True))
            elif span := _SPAN.fullmatch(text):
                first, last = sorted((int(span[1]), int(span[2])))
                spans.append((dt.date(first, 1, 1), dt.date(last, 12, 31), False))
            elif circa := _CIRCA.fullmatch(text):
                year = int(circa[1])
                spans.append(
                    (dt.date(year - CIRCA_YEARS, 1, 1), dt.date(year + CIRCA_YEARS, 12, 31), False)
                )
            elif year_only := _YEAR.fullmatch(text):
                year = int(year_only[1])
                spans.append((dt.date(year, 1, 1), dt.date(year, 12, 31), False))
        except ValueError:
            continue  # "1973-02-30": not a date
    return tuple(spans)


@dataclass(frozen=True)
class Adjustment:
    delta: float
    reason: str

    def __str__(self) -> str:
        sign = "+" if self.delta > 0 else "−"
        return f"{self.reason} {sign}{abs(self.delta):.2f}"


def adjustments(
    profile: Profile, entry_countries: Iterable[str], spans: tuple[BirthSpan, ...]
) -> tuple[Adjustment, ...]:
    """How the party's facts adjust a score against one entry (module docstring)."""
    found: list[Adjustment] = []
    listed = set(entry_countries)
    if profile.countries and listed:
        shared = sorted(profile.countries & listed)
        if shared:
            found.append(Adjustment(COUNTRY_BOOST, f"country {', '.join(shared)} matches"))
        else:
            found.append(
                Adjustment(
                    -COUNTRY_PENALTY,
                    f"country {', '.join(sorted(profile.countries))} is not the list's "
                    f"{', '.join(sorted(listed))}",
                )
            )
    birth = profile.date_of_birth
    if birth is not None and spans:
        if any(exact and first == birth for first, _, exact in spans):
            found.append(Adjustment(BIRTH_BOOST, f"date of birth {birth.isoformat()} matches"))
        elif not any(first <= birth <= last for first, last, _ in spans):
            found.append(
                Adjustment(
                    -BIRTH_PENALTY,
                    f"date of birth {birth.isoformat()} is outside the list's "
                    + ", ".join(_span_text(s) for s in spans),
                )
            )
    return tuple(found)


def _span_text(span: BirthSpan) -> str:
    first, last, exact = span
    if exact:
        return first.isoformat()
    if first.year == last.year:
        return str(first.year)
    return f"{first.year} to {last.year}"


def adjusted_score(raw: float, found: tuple[Adjustment, ...], threshold: float) -> float:
    """The name score with the adjustments, at most 1.0; an exact name (raw score 1.0) is never
    taken below `threshold` by a penalty."""
    score = raw + sum(a.delta for a in found)
    if raw >= 1.0 - 1e-9:
        score = max(score, threshold)
    return min(1.0, score)
