"""What every dispatch write shares: collecting errors per field (nothing is written unless all
checks pass), id, date and country parsing, and the permission and audit steps of reference data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet

from compliance.audit import audit_record
from compliance.checks.requests import visits_request_check
from compliance.models import AuditEventType, Trigger
from config.errors import ApplicationError, NotFound, PermissionDenied
from config.text import nfc
from dispatch import roles
from dispatch.countries import is_country_code
from dispatch.models import Visit
from dispatch.roles import User

MIN_DATE = dt.date(2000, 1, 1)


MAX_DATE = dt.date(2100, 12, 31)


MAX_PARTIES = 50


EARLIEST_PERSONAL_DATE = dt.date(1900, 1, 1)

# A date from code, or an ISO 8601 string as forms and the API send it.
DateInput = dt.date | str
# A citizenship or residency: a country code, or {country, since[, until]}.
PeriodInput = str | dict[str, object]
M = TypeVar("M", bound=models.Model)


class Errors:
    """Collects field errors so one response names every field at fault."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def raise_if_any(self, message: str = "The request has invalid fields.") -> None:
        if self.errors:
            first_field, first = next(iter(self.errors.items()))
            raise ApplicationError(f"{message} {first_field}: {first[0]}", errors=self.errors)


def full_clean(instance: models.Model, errors: Errors, exclude: Iterable[str] = ()) -> None:
    try:
        instance.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            for m in messages:
                errors.add(field if field != "__all__" else "non_field_errors", m)


def id_list(value: object, field: str, errors: Errors) -> list[int]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        errors.add(field, "Expected a list of ids.")
        return []
    out: list[int] = []
    for item in value:
        pk = getattr(item, "pk", item)
        if isinstance(pk, bool) or not isinstance(pk, int):
            errors.add(field, f"{pk!r} is not a valid id.")
            continue
        out.append(pk)
    if len(out) != len(set(out)):
        errors.add(field, "The same id is listed twice.")
    if len(out) > MAX_PARTIES:
        errors.add(field, f"At most {MAX_PARTIES} per visit.")
    return out


def pk_of(value: object) -> object:
    return getattr(value, "pk", value)


def date_value(
    value: object, field: str, errors: Errors, *, earliest: dt.date = MIN_DATE
) -> dt.date | None:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            errors.add(field, f"{value!r} is not an ISO 8601 date (YYYY-MM-DD).")
            return None
    if not isinstance(value, dt.date):
        errors.add(field, "A date is required.")
        return None
    if not earliest <= value <= MAX_DATE:
        errors.add(field, f"The date must be between {earliest} and {MAX_DATE}.")
        return None
    return value


def require_vendor_access(user: User, vendor_id: int) -> None:
    if roles.is_superuser(user):
        return
    if not roles.can_file_visits(user):
        raise PermissionDenied("Your role may not file or change visits.")
    if roles.user_vendor_id(user) != vendor_id:
        # Another vendor's objects do not exist for a service manager.
        raise NotFound("No such vendor.", errors={"vendor": ["No such vendor."]})


# Creates and updates record one ``reference_changed`` event; an update records only the facts
# that changed (old and new) and re-checks the open visits that read them. An update that
# changes nothing writes nothing.
def country_value(value: object, field: str, errors: Errors) -> None:
    if not is_country_code(value):
        errors.add(field, f"{value!r} is not an ISO 3166-1 alpha-2 country code (e.g. CN, US, NL).")


def require_reference_writer(user: User | None) -> None:
    if user is not None and not (roles.is_superuser(user) or roles.can_manage_compliance(user)):
        raise PermissionDenied("Your role may not change reference data.")


def unknown_fields(fields: Iterable[str], allowed: Iterable[str], errors: Errors) -> None:
    for f in sorted(set(fields) - set(allowed)):
        errors.add(f, "This field cannot be changed.")


def reference_changed(
    *,
    obj: models.Model,
    user: User | None,
    old: dict[str, Any],
    new: dict[str, Any],
    visits: QuerySet[Visit],
) -> bool:
    """Record what changed and re-check the open visits that read it; False if nothing changed."""

    changed = [k for k in new if new[k] != old.get(k)]
    if not changed:
        return False
    # Who changed the facts a visit is decided on (a fab's capability, the owner's owners) has
    # edited that visit: they may not release it (separation of duties, DESIGN sec. 11).
    user_id = getattr(user, "pk", None)
    if user_id is not None:
        locked = Visit.objects.filter(pk__in=visits.values("pk")).select_for_update()
        joined = [
            v
            for v in locked.order_by("pk").only("pk", "requested_by_id", "editor_ids")
            if user_id != v.requested_by_id and user_id not in (v.editor_ids or [])
        ]
        for visit in joined:
            visit.editor_ids = [*(visit.editor_ids or []), user_id]
        Visit.objects.bulk_update(joined, ["editor_ids"])
    # Visits before the audit chain head, the order every transaction takes them in.
    visits_request_check(visits=visits, trigger=Trigger.EDIT)
    audit_record(
        event_type=AuditEventType.REFERENCE_CHANGED,
        obj=obj,
        actor=user,
        old={k: old.get(k) for k in changed},
        new={k: new[k] for k in changed},
    )
    return True


def apply_reference_change(
    *,
    locked: M,
    fields: dict[str, Any],
    facts: Callable[[M], dict[str, Any]],
    user: User | None,
    errors: Errors,
    refused: str,
    visits: Callable[[], QuerySet[Visit]],
    exclude: Sequence[str] = (),
) -> None:
    """Set ``fields`` on a locked row, validate, and save it with its audit event and re-checks
    when the facts the checks read changed (``visits()`` gives the open visits that read them)."""
    old = facts(locked)
    for k, v in fields.items():
        setattr(locked, k, v)
    full_clean(locked, errors, exclude=list(exclude))
    errors.raise_if_any(refused)
    new = facts(locked)
    if new != old:
        locked.save()
        reference_changed(obj=locked, user=user, old=old, new=new, visits=visits())


def copy_fields(*, source: models.Model, target: models.Model, fields: Iterable[str]) -> None:
    """Keep the caller's instance in step with the row the service saved."""
    if target is not source:
        for f in (*fields, "updated_at"):
            if hasattr(source, f):
                setattr(target, f, getattr(source, f))


def clean_items(items: Any) -> list[dict[str, Any]] | None:
    """Validated items in their stored form (None: the visit does not list them)."""
    if items is None:
        return None
    return [
        {
            "kind": i["kind"],
            "description": nfc(i["description"]).strip(),
            "classifications": {
                k: list(v) for k, v in sorted((i.get("classifications") or {}).items())
            },
            "origin": i.get("origin") or None,
            "us_content_percent": i.get("us_content_percent"),
            "made_with_us_technology": i.get("made_with_us_technology"),
            "subject_to_ear": i.get("subject_to_ear"),
            "ear_justification": (i.get("ear_justification") or "").strip(),
        }
        for i in items
    ]


def clean_parties(parties: Any) -> list[dict[str, Any]]:
    """Validated parties in their stored form: names in NFC and trimmed, no country as null."""
    return [
        {"role": p["role"], "name": nfc(p["name"]).strip(), "country": p.get("country") or None}
        for p in parties
    ]
