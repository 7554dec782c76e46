"""Screening an engineer when they arrive (created, imported or changed on a page): the same
name search, with the same facts, as the check of a visit they are put on (their citizenships and
date of birth), so a manager learns of a possible list match before filing anything."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from compliance.checks.inputs import screen_name
from compliance.checks.lists import lists_in_force
from dispatch.models import Engineer


@dataclass(frozen=True)
class ArrivalHit:
    list_code: str
    entry_name: str
    matched_name: str
    score: float


@dataclass(frozen=True)
class ArrivalScreening:
    """``screened`` is False when no list is loaded: nothing can be said, and the checks of the
    engineer's visits fail closed until one is."""

    screened: bool
    hits: tuple[ArrivalHit, ...] = ()


def screen_engineer(engineer: Engineer) -> ArrivalScreening:
    in_force = lists_in_force(timezone.now())
    if in_force.index is None:
        return ArrivalScreening(screened=False)
    countries = sorted({c.country for c in engineer.citizenships.all()})
    found = screen_name(
        in_force.index,
        engineer.name,
        None,
        countries=countries,
        date_of_birth=engineer.date_of_birth,
    )
    best: dict[tuple[str, str], ArrivalHit] = {}
    for m in found:
        key = (m.list_code, m.entry_id)
        hit = ArrivalHit(m.list_code, m.entry_name, m.matched_name, round(float(m.score), 2))
        if key not in best or hit.score > best[key].score:
            best[key] = hit
    return ArrivalScreening(
        screened=True, hits=tuple(sorted(best.values(), key=lambda h: -h.score))
    )


def screening_message(engineer: Engineer, screening: ArrivalScreening) -> str:
    """One sentence for the page after a save."""
    if not screening.screened:
        return (
            f"{engineer.name} could not be screened: no screening list is loaded (the check of "
            "any visit with this engineer fails closed until one is)."
        )
    if not screening.hits:
        return f"{engineer.name} was screened: no list match."
    first = screening.hits[0]
    more = len(screening.hits) - 1
    return (
        f"{engineer.name} was screened: possible match on {first.list_code} "
        f"({first.entry_name}, score {first.score:.2f})"
        + (f" and {more} more" if more else "")
        + ". The check of any visit with this engineer will flag it for review."
    )
