"""Engineers, with their citizenships and permanent residencies (the facts the person rules read),
each change audited and followed by a re-check of their open visits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from compliance.audit import audit_record
from compliance.models import AuditEventType
from config.errors import NotFound
from dispatch import roles
from dispatch.models import (
    Citizenship,
    Engineer,
    Residency,
    Vendor,
)
from dispatch.roles import User
from dispatch.selectors import open_visits_referencing
from dispatch.services.validation import (
    EARLIEST_PERSONAL_DATE,
    Errors,
    PeriodInput,
    copy_fields,
    country_value,
    date_value,
    full_clean,
    pk_of,
    reference_changed,
    require_reference_writer,
    require_vendor_access,
    unknown_fields,
)


def _citizenships(value: object, errors: Errors) -> list[tuple[str, dt.date | None]]:
    out = []
    for i, item in enumerate(value or []):
        if isinstance(item, str):
            item = {"country": item}
        if not isinstance(item, dict):
            errors.add(f"citizenships[{i}]", "Expected a country code or {country, since}.")
            continue
        country_value(item.get("country"), f"citizenships[{i}].country", errors)
        since = (
            date_value(
                item["since"], f"citizenships[{i}].since", errors, earliest=EARLIEST_PERSONAL_DATE
            )
            if item.get("since")
            else None
        )
        out.append((item.get("country"), since))
    if len({c for c, _ in out}) != len(out):
        errors.add("citizenships", "A citizenship is listed twice.")
    return out


def _residencies(value: object, errors: Errors) -> list[tuple[str, dt.date | None, dt.date | None]]:
    out = []
    for i, item in enumerate(value or []):
        if isinstance(item, str):
            item = {"country": item}
        if not isinstance(item, dict):
            errors.add(
                f"permanent_residencies[{i}]", "Expected a country code or {country, since, until}."
            )
            continue
        country_value(item.get("country"), f"permanent_residencies[{i}].country", errors)
        since = (
            date_value(
                item["since"],
                f"permanent_residencies[{i}].since",
                errors,
                earliest=EARLIEST_PERSONAL_DATE,
            )
            if item.get("since")
            else None
        )
        until = (
            date_value(
                item["until"],
                f"permanent_residencies[{i}].until",
                errors,
                earliest=EARLIEST_PERSONAL_DATE,
            )
            if item.get("until")
            else None
        )
        if since and until and until < since:
            errors.add(
                f"permanent_residencies[{i}].until", "The residency cannot end before it starts."
            )
        out.append((item.get("country"), since, until))
    return out


ENGINEER_FIELDS = (
    "name",
    "employee_id",
    "home_country",
    "date_of_birth",
    "us_protected_individual",
    "is_active",
)


def _birth_date(value: object, errors: Errors) -> dt.date | None:
    """An optional date of birth: a date from 1900 up to today."""
    if value is None or value == "":
        return None
    born = date_value(value, "date_of_birth", errors, earliest=EARLIEST_PERSONAL_DATE)
    if born is not None and born > timezone.localdate():
        errors.add("date_of_birth", "A date of birth cannot be in the future.")
        return None
    return born


def _citizenship_facts(rows: Iterable[tuple[str, dt.date | None]]) -> list[dict[str, Any]]:
    return [{"country": c, "since": s} for c, s in sorted(rows, key=lambda r: r[0])]


def _residency_facts(
    rows: Iterable[tuple[str, dt.date | None, dt.date | None]],
) -> list[dict[str, Any]]:
    return [
        {"country": c, "since": s, "until": u}
        for c, s, u in sorted(rows, key=lambda r: (r[0], str(r[1]), str(r[2])))
    ]


def _engineer_facts(engineer: Engineer) -> dict[str, Any]:
    """The engineer as audit events record them: who they are and every fact a check reads."""
    return {
        **{k: getattr(engineer, k) for k in ENGINEER_FIELDS},
        "citizenships": _citizenship_facts(
            engineer.citizenships.values_list("country", "since").order_by()
        ),
        "permanent_residencies": _residency_facts(
            engineer.residencies.values_list("country", "since", "until").order_by()
        ),
    }


def _duplicate_employee_id(
    *, vendor: Vendor | int, employee_id: object, exclude_pk: int | None = None
) -> bool:
    return (
        Engineer.objects.filter(vendor=vendor, employee_id=employee_id)
        .exclude(pk=exclude_pk)
        .exists()
    )


def engineer_create(
    *,
    user: User | None = None,
    vendor: Vendor | int,
    name: str,
    employee_id: str,
    home_country: str,
    date_of_birth: dt.date | str | None = None,
    citizenships: Sequence[PeriodInput] = (),
    permanent_residencies: Sequence[PeriodInput] = (),
    us_protected_individual: bool = False,
    is_active: bool = True,
) -> Engineer:
    vendor_obj = Vendor.objects.filter(pk=pk_of(vendor)).first()
    if user is not None and not roles.is_superuser(user):
        if roles.can_file_visits(user):
            if vendor_obj is None or roles.user_vendor_id(user) != vendor_obj.pk:
                raise NotFound("No such vendor.", errors={"vendor": ["No such vendor."]})
        else:
            require_reference_writer(user)
    errors = Errors()
    if vendor_obj is None:
        errors.add("vendor", "No such vendor.")
    country_value(home_country, "home_country", errors)
    born = _birth_date(date_of_birth, errors)
    cits = _citizenships(citizenships, errors)
    ress = _residencies(permanent_residencies, errors)
    engineer = Engineer(
        vendor=vendor_obj,
        name=name,
        employee_id=employee_id,
        home_country=home_country,
        date_of_birth=born,
        us_protected_individual=us_protected_individual,
        is_active=is_active,
    )
    full_clean(engineer, errors, exclude=["vendor", "home_country"])
    if vendor_obj is not None and _duplicate_employee_id(
        vendor=vendor_obj, employee_id=employee_id
    ):
        errors.add(
            "employee_id", "An engineer with this employee id already exists at this vendor."
        )
    errors.raise_if_any("The engineer was not saved.")
    with transaction.atomic():
        engineer.save()
        Citizenship.objects.bulk_create(
            Citizenship(engineer=engineer, country=c, since=s) for c, s in cits
        )
        Residency.objects.bulk_create(
            Residency(engineer=engineer, country=c, since=s, until=u) for c, s, u in ress
        )
        audit_record(
            event_type=AuditEventType.REFERENCE_CHANGED,
            obj=engineer,
            actor=user,
            new={
                **{k: getattr(engineer, k) for k in ENGINEER_FIELDS},
                "citizenships": _citizenship_facts(cits),
                "permanent_residencies": _residency_facts(ress),
            },
        )
    return engineer


def engineer_update(
    *,
    engineer: Engineer,
    user: User | None = None,
    citizenships: Sequence[PeriodInput] | None = None,
    permanent_residencies: Sequence[PeriodInput] | None = None,
    **fields: object,
) -> Engineer:
    """Change an engineer; every open visit they are on is re-checked.

    ``citizenships`` and ``permanent_residencies``, when given, replace the engineer's list (every
    citizenship ever held, as for ``engineer_create``); ``None`` leaves it as it is."""

    with transaction.atomic():
        # Permission is decided on the stored row, not on the caller's (possibly edited) copy.
        locked = Engineer.objects.select_for_update().get(pk=engineer.pk)
        if user is not None and not roles.is_superuser(user):
            if roles.can_file_visits(user):
                require_vendor_access(user, locked.vendor_id)
            else:
                require_reference_writer(user)
        errors = Errors()
        unknown_fields(fields, ENGINEER_FIELDS, errors)
        if "home_country" in fields:
            country_value(fields["home_country"], "home_country", errors)
        if "date_of_birth" in fields:
            fields["date_of_birth"] = _birth_date(fields["date_of_birth"], errors)
        cits = _citizenships(citizenships, errors) if citizenships is not None else None
        ress = (
            _residencies(permanent_residencies, errors)
            if permanent_residencies is not None
            else None
        )
        errors.raise_if_any("The engineer was not saved.")
        old = _engineer_facts(locked)
        for k, v in fields.items():
            setattr(locked, k, v)
        full_clean(locked, errors, exclude=["vendor", "home_country"])
        if "employee_id" in fields and _duplicate_employee_id(
            vendor=locked.vendor_id, employee_id=locked.employee_id, exclude_pk=locked.pk
        ):
            errors.add(
                "employee_id", "An engineer with this employee id already exists at this vendor."
            )
        errors.raise_if_any("The engineer was not saved.")
        new = {
            **{k: getattr(locked, k) for k in ENGINEER_FIELDS},
            "citizenships": _citizenship_facts(cits) if cits is not None else old["citizenships"],
            "permanent_residencies": _residency_facts(ress)
            if ress is not None
            else old["permanent_residencies"],
        }
        if new != old:
            locked.save()
            if new["citizenships"] != old["citizenships"]:
                locked.citizenships.all().delete()
                Citizenship.objects.bulk_create(
                    Citizenship(engineer=locked, country=c, since=s) for c, s in cits or ()
                )
            if new["permanent_residencies"] != old["permanent_residencies"]:
                locked.residencies.all().delete()
                Residency.objects.bulk_create(
                    Residency(engineer=locked, country=c, since=s, until=u)
                    for c, s, u in ress or ()
                )
            reference_changed(
                obj=locked,
                user=user,
                old=old,
                new=new,
                visits=open_visits_referencing(engineer_ids=[locked.pk]),
            )
    copy_fields(source=locked, target=engineer, fields=ENGINEER_FIELDS)
    return locked
