"""How the pages name an engineer: nationalities and, when there is one, the U.S.-person basis.

These are labels for people choosing engineers; the check decides from its own facts.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from dispatch.models import Engineer


def us_person_basis(engineer: Engineer, today: dt.date) -> list[str]:
    """Why the engineer is a U.S. person, in words (the check's own facts decide; this labels)."""
    basis = []
    if any(c.country == "US" for c in engineer.citizenships.all()):
        basis.append("US citizen")
    if any(
        r.country == "US"
        and (r.since is None or r.since <= today)
        and (r.until is None or r.until >= today)
        for r in engineer.residencies.all()
    ):
        basis.append("US permanent resident")
    if engineer.us_protected_individual:
        basis.append("US protected individual")
    return basis


def engineer_label(engineer: Engineer, today: dt.date | None = None) -> str:
    """ "Jan de Vries — NL; US permanent resident (US person)" (prefetch citizenships, residencies)."""
    nationalities = ", ".join(c.country for c in engineer.citizenships.all()) or "no citizenship"
    basis = us_person_basis(engineer, today or timezone.localdate())
    person = f"; {', '.join(basis)} (US person)" if basis else "; not a US person"
    return f"{engineer.name} — {nationalities}{person}"
