"""Writes of the dispatch domain. Every create/change of a visit and what it references goes
through here, so the admin, the API and the pages enforce the same invariants and permissions.

Each function validates everything first and raises ``ApplicationError`` naming every field at
fault; nothing is written unless all checks pass.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from compliance import lifecycle
from compliance.audit import audit_record
from compliance.models import AuditEventType, Trigger
from config.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from dispatch import roles, selectors
from dispatch.countries import is_country_code
from dispatch.models import (
    Activity,
    Citizenship,
    Customer,
    Engineer,
    Facility,
    Mode,
    Residency,
    Tool,
    Vendor,
    Visit,
    VisitStatus,
)

MIN_DATE = dt.date(2000, 1, 1)
MAX_DATE = dt.date(2100, 12, 31)
MAX_PARTIES = 50
EARLIEST_PERSONAL_DATE = dt.date(1900, 1, 1)


class _Errors:
    """Collects field errors so one response names every field at fault."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def raise_if_any(self, message: str = "The request has invalid fields.") -> None:
        if self.errors:
            first_field, first = next(iter(self.errors.items()))
            raise ApplicationError(f"{message} {first_field}: {first[0]}", errors=self.errors)


def _full_clean(instance: Any, errors: _Errors, exclude: Iterable[str] = ()) -> None:
    try:
        instance.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            for m in messages:
                errors.add(field if field != "__all__" else "non_field_errors", m)


def _ids(value: Any, field: str, errors: _Errors) -> list[int]:
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


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def _date(
    value: Any, field: str, errors: _Errors, *, earliest: dt.date = MIN_DATE
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


def _require_vendor_access(user: Any, vendor_id: int) -> None:
    if roles.is_superuser(user):
        return
    if not roles.can_file_visits(user):
        raise PermissionDenied("Your role may not file or change visits.")
    if roles.user_vendor_id(user) != vendor_id:
        # Another vendor's objects do not exist for a service manager.
        raise NotFound("No such vendor.", errors={"vendor": ["No such vendor."]})


# --- Visits ----------------------------------------------------------------------------------
def _visit_validate(
    *,
    user: Any,
    vendor: Any,
    facility: Any,
    tools: Sequence[Any],
    engineers: Sequence[Any],
    activity: Any,
    mode: Any,
    start_date: Any,
    end_date: Any,
    purpose: Any,
) -> dict[str, Any]:
    errors = _Errors()
    vendor_obj = Vendor.objects.filter(pk=_pk(vendor)).first() if vendor is not None else None
    if vendor_obj is None:
        errors.add("vendor", "No such vendor." if vendor is not None else "This field is required.")
    elif not roles.is_superuser(user):
        if not roles.can_file_visits(user):
            raise PermissionDenied("Your role may not file or change visits.")
        if roles.user_vendor_id(user) != vendor_obj.pk:
            # Another vendor's id is answered as an unknown one: it reveals nothing.
            errors.add("vendor", "No such vendor.")
            vendor_obj = None
    facility_obj = (
        Facility.objects.filter(pk=_pk(facility)).first() if facility is not None else None
    )
    if facility_obj is None:
        errors.add(
            "facility", "No such facility." if facility is not None else "This field is required."
        )

    engineer_ids = _ids(engineers, "engineers", errors)
    if not engineer_ids and "engineers" not in errors.errors:
        errors.add("engineers", "At least one engineer is required.")
    # Ordered as the API lists a visit's engineers and tools (selectors.visit_party_ids), ties by id.
    # Only the visit's vendor's engineers exist here; another vendor's id is an unknown id.
    engineer_objs = (
        list(Engineer.objects.filter(pk__in=engineer_ids, vendor=vendor_obj).order_by("name", "pk"))
        if vendor_obj is not None
        else []
    )
    found = {e.pk for e in engineer_objs}
    for pk in engineer_ids:
        if pk not in found and vendor_obj is not None:
            errors.add("engineers", f"No such engineer of {vendor_obj.name}: {pk}.")
    for e in engineer_objs:
        if not e.is_active:
            errors.add("engineers", f"{e.name} is not active.")

    tool_ids = _ids(tools, "tools", errors)
    # The tools the user may see (a manager: their vendor's); any other id is an unknown id.
    tool_objs = list(
        selectors.tools_visible_to(user)
        .filter(pk__in=tool_ids)
        .order_by("model", "serial_number", "pk")
    )
    found = {t.pk for t in tool_objs}
    for pk in tool_ids:
        if pk not in found:
            errors.add("tools", f"No such tool: {pk}.")
    for t in tool_objs:
        if facility_obj is not None and t.facility_id != facility_obj.pk:
            errors.add("tools", f"{t} is not installed at {facility_obj.name}.")

    if activity not in Activity.values:
        errors.add(
            "activity",
            f"{activity!r} is not a valid activity; choose one of: {', '.join(Activity.values)}.",
        )
    if mode not in Mode.values:
        errors.add(
            "mode", f"{mode!r} is not a valid mode; choose one of: {', '.join(Mode.values)}."
        )
    start = _date(start_date, "start_date", errors)
    end = _date(end_date, "end_date", errors)
    if start and end and end < start:
        errors.add("end_date", "The end date cannot be before the start date.")
    if purpose is not None and not isinstance(purpose, str):
        errors.add("purpose", "Expected text.")
    elif purpose and len(purpose) > 5000:
        errors.add("purpose", "At most 5000 characters.")
    errors.raise_if_any("The visit was not saved.")
    return {
        "vendor": vendor_obj,
        "facility": facility_obj,
        "tools": tool_objs,
        "engineers": engineer_objs,
        "activity": activity,
        "mode": mode,
        "start_date": start,
        "end_date": end,
        "purpose": purpose or "",
    }


def _visit_snapshot(
    visit: Visit, *, tools: Sequence[Any] | None = None, engineers: Sequence[Any] | None = None
) -> dict[str, Any]:
    """The visit as recorded in audit events (pass the parties when known: saves two queries)."""
    return {
        "vendor": visit.vendor_id,
        "facility": visit.facility_id,
        "tools": sorted(t.pk for t in tools)
        if tools is not None
        else sorted(visit.tools.values_list("pk", flat=True)),
        "engineers": sorted(e.pk for e in engineers)
        if engineers is not None
        else sorted(visit.engineers.values_list("pk", flat=True)),
        "activity": visit.activity,
        "mode": visit.mode,
        "start_date": visit.start_date,
        "end_date": visit.end_date,
        "purpose": visit.purpose,
        "status": visit.status,
    }


def visit_create(
    *,
    requested_by: Any,
    vendor: Any,
    facility: Any,
    engineers: Sequence[Any],
    tools: Sequence[Any] = (),
    activity: str,
    mode: str = Mode.ON_SITE,
    start_date: Any,
    end_date: Any,
    purpose: str = "",
) -> Visit:
    """File a visit: stored as ``pending`` and queued for a compliance check on commit."""
    return visit_create_once(
        requested_by=requested_by,
        idempotency_key=None,
        vendor=vendor,
        facility=facility,
        engineers=engineers,
        tools=tools,
        activity=activity,
        mode=mode,
        start_date=start_date,
        end_date=end_date,
        purpose=purpose,
    ).visit


@dataclass(frozen=True)
class VisitFiled:
    """What ``visit_create_once`` did: the visit, its engineers' and tools' ids in the order the
    API lists them, and whether this request created it (False: an earlier request with the same
    idempotency key did, and nothing was written)."""

    visit: Visit
    engineer_ids: list[int]
    tool_ids: list[int]
    created: bool


def visit_create_once(
    *,
    requested_by: Any,
    idempotency_key: str | None,
    vendor: Any,
    facility: Any,
    engineers: Sequence[Any],
    tools: Sequence[Any] = (),
    activity: str,
    mode: str = Mode.ON_SITE,
    start_date: Any,
    end_date: Any,
    purpose: str = "",
) -> VisitFiled:
    """``visit_create`` at most once per (user, idempotency key).

    A repeat of the same request (same fields; the order of ids does not matter) returns the
    visit the first one filed; the same key with different fields is a ``Conflict``. Without a
    key every call files a visit.
    """
    fields = {
        "vendor": vendor,
        "facility": facility,
        "tools": list(tools),
        "engineers": list(engineers),
        "activity": activity,
        "mode": mode,
        "start_date": start_date,
        "end_date": end_date,
        "purpose": purpose,
    }
    if idempotency_key is None:
        return _visit_insert(requested_by=requested_by, idempotency_key=None, fields=fields)
    existing = selectors.visit_by_idempotency_key(user=requested_by, key=idempotency_key)
    if existing is None:
        try:
            return _visit_insert(
                requested_by=requested_by, idempotency_key=idempotency_key, fields=fields
            )
        except IntegrityError:
            # A concurrent request with the same key committed first: answer with its visit.
            existing = selectors.visit_by_idempotency_key(user=requested_by, key=idempotency_key)
            if existing is None:
                raise
    _require_vendor_access(requested_by, existing.vendor_id)
    if existing.idempotency_fingerprint != _visit_fingerprint(fields):
        message = (
            "This Idempotency-Key was already used for a different request; "
            "send a new key to file another visit."
        )
        raise Conflict(message, errors={"Idempotency-Key": [message]})
    engineer_ids, tool_ids = selectors.visit_party_ids(visit_ids=[existing.pk])
    return VisitFiled(
        visit=existing,
        engineer_ids=engineer_ids[existing.pk],
        tool_ids=tool_ids[existing.pk],
        created=False,
    )


def _visit_fingerprint(fields: dict[str, Any]) -> str:
    """SHA-256 of a visit request's fields, canonical: ids as sorted sets, dates in ISO 8601."""

    def canonical(value: Any) -> Any:
        value = _pk(value)
        return value.isoformat() if isinstance(value, dt.date) else value

    doc = {
        k: sorted(str(_pk(v)) for v in fields[k])
        if k in ("tools", "engineers")
        else canonical(fields[k])
        for k in sorted(fields)
    }
    doc["purpose"] = doc["purpose"] or ""
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


def _visit_insert(
    *, requested_by: Any, idempotency_key: str | None, fields: dict[str, Any]
) -> VisitFiled:
    from compliance.checks.requests import visit_request_check

    data = _visit_validate(user=requested_by, **fields)
    with transaction.atomic():
        visit = Visit(
            vendor=data["vendor"],
            facility=data["facility"],
            activity=data["activity"],
            mode=data["mode"],
            start_date=data["start_date"],
            end_date=data["end_date"],
            purpose=data["purpose"],
            requested_by=requested_by,
            status=VisitStatus.PENDING,
            idempotency_key=idempotency_key or "",
            idempotency_fingerprint=_visit_fingerprint(fields) if idempotency_key else "",
        )
        visit.save()
        # add(), not set(): a new visit has no parties to compare with (one INSERT each).
        visit.engineers.add(*data["engineers"])
        visit.tools.add(*data["tools"])
        audit_record(
            event_type=AuditEventType.VISIT_SUBMITTED,
            obj=visit,
            actor=requested_by,
            new=_visit_snapshot(visit, tools=data["tools"], engineers=data["engineers"]),
        )
        visit_request_check(visit=visit, trigger=Trigger.SUBMISSION, actor=requested_by)
    # _visit_validate fetched them in their models' ordering, the order the API lists them in.
    return VisitFiled(
        visit=visit,
        engineer_ids=[e.pk for e in data["engineers"]],
        tool_ids=[t.pk for t in data["tools"]],
        created=True,
    )


def visit_update(*, visit: Visit, user: Any, **changes: Any) -> Visit:
    """Change a visit's parties, activity or dates; the visit goes back to ``pending`` and is re-checked."""
    from compliance.checks.requests import visit_request_check

    with transaction.atomic():
        locked = lifecycle.visit_lock(visit)
        # Before validating the changes: a final visit is refused whatever they are.
        lifecycle.require_move(locked.status, VisitStatus.PENDING, action="changed")
        current = _visit_snapshot(locked)
        merged = {
            k: current[k]
            for k in (
                "vendor",
                "facility",
                "tools",
                "engineers",
                "activity",
                "mode",
                "start_date",
                "end_date",
                "purpose",
            )
        }
        unknown = set(changes) - set(merged)
        if unknown:
            raise ApplicationError(
                "Unknown fields.",
                errors={f: ["This field cannot be changed."] for f in sorted(unknown)},
            )
        merged.update(changes)
        if _pk(merged["vendor"]) != locked.vendor_id:
            raise ApplicationError(
                "The vendor of a visit cannot be changed.",
                errors={"vendor": ["The vendor of a visit cannot be changed."]},
            )
        data = _visit_validate(user=user, **merged)
        fields: dict[str, Any] = {
            field: data[field]
            for field in ("facility", "activity", "mode", "start_date", "end_date", "purpose")
        }
        fields["approval"] = None  # an approval covers the visit as it was, not as it is now
        # The editor may no longer release this visit (separation of duties).
        if user.pk != locked.requested_by_id and user.pk not in locked.editor_ids:
            fields["editor_ids"] = [*locked.editor_ids, user.pk]
        locked.engineers.set(data["engineers"])
        locked.tools.set(data["tools"])
        lifecycle.visit_transition(
            visit=locked,
            to=VisitStatus.PENDING,
            action="edited",
            event_type=AuditEventType.VISIT_EDITED,
            actor=user,
            fields=fields,
            audit_old={k: v for k, v in current.items() if k != "status"},
            audit_new={
                k: v
                for k, v in _visit_snapshot(
                    locked, tools=data["tools"], engineers=data["engineers"]
                ).items()
                if k != "status"
            },
        )
        visit_request_check(visit=locked, trigger=Trigger.EDIT, actor=user)
    return locked


def visit_cancel(*, visit: Visit, user: Any, reason: str = "") -> Visit:
    with transaction.atomic():
        locked = lifecycle.visit_lock(visit)
        if not roles.is_superuser(user) and (
            not roles.can_file_visits(user) or roles.user_vendor_id(user) != locked.vendor_id
        ):
            raise PermissionDenied("Only a service manager of the visit's vendor may cancel it.")
        lifecycle.visit_transition(
            visit=locked,
            to=VisitStatus.CANCELLED,
            action="cancelled",
            event_type=AuditEventType.VISIT_CANCELLED,
            actor=user,
            fields={"check_requested_at": None},
            audit_new={"reason": reason},
        )
    return locked


# --- Reference data --------------------------------------------------------------------------
# Creates and updates record one ``reference_changed`` event; an update records only the facts
# that changed (old and new) and re-checks the open visits that read them. An update that
# changes nothing writes nothing.
def _country(value: Any, field: str, errors: _Errors) -> None:
    if not is_country_code(value):
        errors.add(field, f"{value!r} is not an ISO 3166-1 alpha-2 country code (e.g. CN, US, NL).")


def _require_reference_writer(user: Any) -> None:
    if user is not None and not (roles.is_superuser(user) or roles.can_manage_compliance(user)):
        raise PermissionDenied("Your role may not change reference data.")


def _unknown_fields(fields: Iterable[str], allowed: Iterable[str], errors: _Errors) -> None:
    for f in sorted(set(fields) - set(allowed)):
        errors.add(f, "This field cannot be changed.")


def _reference_changed(
    *, obj: Any, user: Any, old: dict[str, Any], new: dict[str, Any], visits: Any
) -> bool:
    """Record what changed and re-check the open visits that read it; False if nothing changed."""
    from compliance.checks.requests import visits_request_check

    changed = [k for k in new if new[k] != old.get(k)]
    if not changed:
        return False
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


def _apply_reference_change(
    *,
    locked: Any,
    fields: dict[str, Any],
    facts: Any,
    user: Any,
    errors: _Errors,
    refused: str,
    visits: Any,
    exclude: Sequence[str] = (),
) -> None:
    """Set ``fields`` on a locked row, validate, and save it with its audit event and re-checks
    when the facts the checks read changed (``visits()`` gives the open visits that read them)."""
    old = facts(locked)
    for k, v in fields.items():
        setattr(locked, k, v)
    _full_clean(locked, errors, exclude=list(exclude))
    errors.raise_if_any(refused)
    new = facts(locked)
    if new != old:
        locked.save()
        _reference_changed(obj=locked, user=user, old=old, new=new, visits=visits())


# --- User access ------------------------------------------------------------------------------
def user_access_facts(user: Any) -> dict[str, Any]:
    """What decides what a user may see and do: roles, vendor, status (read from the database)."""
    from dispatch.models import UserProfile

    fresh = type(user).objects.get(pk=user.pk)
    return {
        "roles": sorted(fresh.groups.values_list("name", flat=True)),
        "vendor": UserProfile.objects.filter(user_id=user.pk)
        .values_list("vendor_id", flat=True)
        .first(),
        "is_superuser": fresh.is_superuser,
        "is_staff": fresh.is_staff,
        "is_active": fresh.is_active,
    }


def user_access_record(*, user: Any, actor: Any, old: dict[str, Any] | None) -> bool:
    """Record a change of who may file, approve or audit (``old`` is None for a new user), in the
    caller's transaction; False if nothing that decides access changed."""
    new = user_access_facts(user)
    before = old or {}
    changed = [k for k in new if old is None or new[k] != before.get(k)]
    if not changed:
        return False
    audit_record(
        event_type=AuditEventType.ACCESS_CHANGED,
        obj=user,
        actor=actor,
        old=None if old is None else {k: before.get(k) for k in changed},
        new={k: new[k] for k in changed},
    )
    return True


def _copy_fields(*, source: Any, target: Any, fields: Iterable[str]) -> None:
    """Keep the caller's instance in step with the row the service saved."""
    if target is not source:
        for f in (*fields, "updated_at"):
            if hasattr(source, f):
                setattr(target, f, getattr(source, f))


VENDOR_FIELDS = ("name", "country", "is_us_branch")


def _vendor_facts(vendor: Vendor) -> dict[str, Any]:
    return {k: getattr(vendor, k) for k in VENDOR_FIELDS}


def vendor_create(
    *, user: Any = None, name: str, country: str, is_us_branch: bool = False
) -> Vendor:
    _require_reference_writer(user)
    errors = _Errors()
    _country(country, "country", errors)
    vendor = Vendor(name=name, country=country, is_us_branch=is_us_branch)
    _full_clean(vendor, errors, exclude=["country"])
    errors.raise_if_any("The vendor was not saved.")
    with transaction.atomic():
        vendor.save()
        audit_record(
            event_type=AuditEventType.REFERENCE_CHANGED,
            obj=vendor,
            actor=user,
            new=_vendor_facts(vendor),
        )
    return vendor


def vendor_update(*, vendor: Vendor, user: Any = None, **fields: Any) -> Vendor:
    """Change a vendor's name, country or US-branch status; re-checks its open visits."""
    from compliance.selectors import open_visits_referencing

    _require_reference_writer(user)
    errors = _Errors()
    _unknown_fields(fields, VENDOR_FIELDS, errors)
    if "country" in fields:
        _country(fields["country"], "country", errors)
    errors.raise_if_any("The vendor was not saved.")
    with transaction.atomic():
        locked = Vendor.objects.select_for_update().get(pk=vendor.pk)
        _apply_reference_change(
            locked=locked,
            fields=fields,
            facts=_vendor_facts,
            user=user,
            errors=errors,
            refused="The vendor was not saved.",
            visits=lambda: open_visits_referencing(vendor_ids=[locked.pk]),
            exclude=["country"],
        )
    _copy_fields(source=locked, target=vendor, fields=VENDOR_FIELDS)
    return locked


CUSTOMER_FIELDS = ("name", "country", "aliases")


def _aliases(value: Any, errors: _Errors) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple) or any(
        not isinstance(a, str) or not a.strip() or len(a) > 300 for a in value
    ):
        errors.add("aliases", "Each alias must be non-empty text of at most 300 characters.")
        return []
    return list(value)


def _customer_facts(customer: Customer) -> dict[str, Any]:
    return {k: getattr(customer, k) for k in CUSTOMER_FIELDS}


def customer_create(
    *, user: Any = None, name: str, country: str, aliases: Sequence[str] | None = ()
) -> Customer:
    _require_reference_writer(user)
    errors = _Errors()
    _country(country, "country", errors)
    alias_list = _aliases(aliases, errors)
    customer = Customer(name=name, country=country, aliases=alias_list)
    _full_clean(customer, errors, exclude=["country", "aliases"])
    errors.raise_if_any("The customer was not saved.")
    with transaction.atomic():
        customer.save()
        audit_record(
            event_type=AuditEventType.REFERENCE_CHANGED,
            obj=customer,
            actor=user,
            new=_customer_facts(customer),
        )
    return customer


def customer_update(*, customer: Customer, user: Any = None, **fields: Any) -> Customer:
    """Change a fab owner's name, aliases or country; re-checks the open visits to its buildings
    (the owner and its aliases are screened)."""
    from compliance.selectors import open_visits_referencing

    _require_reference_writer(user)
    errors = _Errors()
    _unknown_fields(fields, CUSTOMER_FIELDS, errors)
    if "country" in fields:
        _country(fields["country"], "country", errors)
    if "aliases" in fields:
        fields["aliases"] = _aliases(fields["aliases"], errors)
    errors.raise_if_any("The customer was not saved.")
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        _apply_reference_change(
            locked=locked,
            fields=fields,
            facts=_customer_facts,
            user=user,
            errors=errors,
            refused="The customer was not saved.",
            visits=lambda: open_visits_referencing(customer_ids=[locked.pk]),
            exclude=["country", "aliases"],
        )
    _copy_fields(source=locked, target=customer, fields=CUSTOMER_FIELDS)
    return locked


FACILITY_FIELDS = (
    "name",
    "building",
    "address",
    "city",
    "country",
    "products",
    "logic_node_nm",
    "non_planar",
    "nand_layers",
    "dram_half_pitch_nm",
    "dram_cell_area_um2",
    "capability_assessed_on",
    "capability_evidence",
)


def _facility_facts(facility: Facility) -> dict[str, Any]:
    return {"customer": facility.customer_id, **{k: getattr(facility, k) for k in FACILITY_FIELDS}}


def facility_create(*, user: Any = None, customer: Any, **fields: Any) -> Facility:
    _require_reference_writer(user)
    errors = _Errors()
    customer_obj = Customer.objects.filter(pk=_pk(customer)).first()
    if customer_obj is None:
        errors.add("customer", "No such customer.")
    unknown = set(fields) - set(FACILITY_FIELDS)
    for f in sorted(unknown):
        errors.add(f, "Unknown field.")
    _country(fields.get("country"), "country", errors)
    facility = Facility(
        customer=customer_obj, **{k: v for k, v in fields.items() if k in FACILITY_FIELDS}
    )
    _full_clean(facility, errors, exclude=["customer", "country"])
    if (
        customer_obj is not None
        and Facility.objects.filter(customer=customer_obj, name=fields.get("name")).exists()
    ):
        errors.add("name", "This customer already has a facility with this name.")
    errors.raise_if_any("The facility was not saved.")
    with transaction.atomic():
        facility.save()
        audit_record(
            event_type=AuditEventType.REFERENCE_CHANGED,
            obj=facility,
            actor=user,
            new=_facility_facts(facility),
        )
    return facility


def facility_update(*, facility: Facility, user: Any = None, **fields: Any) -> Facility:
    """Change a building's owner, capability or address; re-checks its open visits."""
    from compliance.selectors import open_visits_referencing

    _require_reference_writer(user)
    errors = _Errors()
    _unknown_fields(fields, ("customer", *FACILITY_FIELDS), errors)
    if "customer" in fields:
        fields["customer"] = Customer.objects.filter(pk=_pk(fields["customer"])).first()
        if fields["customer"] is None:
            errors.add("customer", "No such customer.")
    if "country" in fields:
        _country(fields["country"], "country", errors)
    errors.raise_if_any("The facility was not saved.")
    with transaction.atomic():
        locked = Facility.objects.select_for_update().get(pk=facility.pk)
        _apply_reference_change(
            locked=locked,
            fields=fields,
            facts=_facility_facts,
            user=user,
            errors=errors,
            refused="The facility was not saved.",
            visits=lambda: open_visits_referencing(facility_ids=[locked.pk]),
            exclude=["country"],
        )
    _copy_fields(source=locked, target=facility, fields=("customer", *FACILITY_FIELDS))
    return locked


def _require_tool_writer(user: Any, oem_id: Any) -> None:
    """A service manager adds and changes their own vendor's tools; approvers any tool."""
    if user is None or roles.is_superuser(user):
        return
    if roles.can_file_visits(user):
        if roles.user_vendor_id(user) != oem_id:
            raise NotFound(
                "No such vendor.", errors={"oem": ["You may only add tools of your own vendor."]}
            )
    else:
        _require_reference_writer(user)


TOOL_FIELDS = ("model", "serial_number", "classifications", "subject_to_ear")


def _tool_facts(tool: Tool) -> dict[str, Any]:
    return {k: getattr(tool, k) for k in TOOL_FIELDS}


def tool_create(
    *,
    user: Any = None,
    facility: Any,
    oem: Any,
    model: str,
    serial_number: str,
    classifications: dict[str, list[str]] | None = None,
    subject_to_ear: bool = False,
) -> Tool:
    _require_tool_writer(user, _pk(oem))
    errors = _Errors()
    facility_obj = Facility.objects.filter(pk=_pk(facility)).first()
    if facility_obj is None:
        errors.add("facility", "No such facility.")
    oem_obj = Vendor.objects.filter(pk=_pk(oem)).first()
    if oem_obj is None:
        errors.add("oem", "No such vendor.")
    tool = Tool(
        facility=facility_obj,
        oem=oem_obj,
        model=model,
        serial_number=serial_number,
        classifications=classifications or {},
        subject_to_ear=subject_to_ear,
    )
    _full_clean(tool, errors, exclude=["facility", "oem"])
    if (
        oem_obj is not None
        and Tool.objects.filter(oem=oem_obj, serial_number=serial_number).exists()
    ):
        errors.add(
            "serial_number", "A tool of this OEM with this serial number is already recorded."
        )
    errors.raise_if_any("The tool was not saved.")
    with transaction.atomic():
        tool.save()
        audit_record(
            event_type=AuditEventType.REFERENCE_CHANGED,
            obj=tool,
            actor=user,
            new={
                "model": model,
                "serial_number": serial_number,
                "classifications": tool.classifications,
            },
        )
    return tool


def tool_update(*, tool: Tool, user: Any = None, **fields: Any) -> Tool:
    """Change a tool's model, serial number or classifications; re-checks the open visits to it.

    Its facility and OEM are fixed: the visits that list it were filed for that facility."""
    with transaction.atomic():
        locked = Tool.objects.select_for_update().get(pk=tool.pk)
        _require_tool_writer(user, locked.oem_id)
        errors = _Errors()
        _unknown_fields(fields, TOOL_FIELDS, errors)
        if "classifications" in fields and fields["classifications"] is None:
            fields["classifications"] = {}
        errors.raise_if_any("The tool was not saved.")
        _apply_reference_change(
            locked=locked,
            fields=fields,
            facts=_tool_facts,
            user=user,
            errors=errors,
            refused="The tool was not saved.",
            visits=lambda: Visit.objects.filter(tools=locked),
        )
    _copy_fields(source=locked, target=tool, fields=TOOL_FIELDS)
    return locked


def _citizenships(value: Any, errors: _Errors) -> list[tuple[str, dt.date | None]]:
    out = []
    for i, item in enumerate(value or []):
        if isinstance(item, str):
            item = {"country": item}
        if not isinstance(item, dict):
            errors.add(f"citizenships[{i}]", "Expected a country code or {country, since}.")
            continue
        _country(item.get("country"), f"citizenships[{i}].country", errors)
        since = (
            _date(
                item["since"], f"citizenships[{i}].since", errors, earliest=EARLIEST_PERSONAL_DATE
            )
            if item.get("since")
            else None
        )
        out.append((item.get("country"), since))
    if len({c for c, _ in out}) != len(out):
        errors.add("citizenships", "A citizenship is listed twice.")
    return out


def _residencies(value: Any, errors: _Errors) -> list[tuple[str, dt.date | None, dt.date | None]]:
    out = []
    for i, item in enumerate(value or []):
        if isinstance(item, str):
            item = {"country": item}
        if not isinstance(item, dict):
            errors.add(
                f"permanent_residencies[{i}]", "Expected a country code or {country, since, until}."
            )
            continue
        _country(item.get("country"), f"permanent_residencies[{i}].country", errors)
        since = (
            _date(
                item["since"],
                f"permanent_residencies[{i}].since",
                errors,
                earliest=EARLIEST_PERSONAL_DATE,
            )
            if item.get("since")
            else None
        )
        until = (
            _date(
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


ENGINEER_FIELDS = ("name", "employee_id", "home_country", "us_protected_individual", "is_active")


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


def _duplicate_employee_id(*, vendor: Any, employee_id: Any, exclude_pk: Any = None) -> bool:
    return (
        Engineer.objects.filter(vendor=vendor, employee_id=employee_id)
        .exclude(pk=exclude_pk)
        .exists()
    )


def engineer_create(
    *,
    user: Any = None,
    vendor: Any,
    name: str,
    employee_id: str,
    home_country: str,
    citizenships: Sequence[Any] = (),
    permanent_residencies: Sequence[Any] = (),
    us_protected_individual: bool = False,
    is_active: bool = True,
) -> Engineer:
    vendor_obj = Vendor.objects.filter(pk=_pk(vendor)).first()
    if user is not None and not roles.is_superuser(user):
        if roles.can_file_visits(user):
            if vendor_obj is None or roles.user_vendor_id(user) != vendor_obj.pk:
                raise NotFound("No such vendor.", errors={"vendor": ["No such vendor."]})
        else:
            _require_reference_writer(user)
    errors = _Errors()
    if vendor_obj is None:
        errors.add("vendor", "No such vendor.")
    _country(home_country, "home_country", errors)
    cits = _citizenships(citizenships, errors)
    ress = _residencies(permanent_residencies, errors)
    engineer = Engineer(
        vendor=vendor_obj,
        name=name,
        employee_id=employee_id,
        home_country=home_country,
        us_protected_individual=us_protected_individual,
        is_active=is_active,
    )
    _full_clean(engineer, errors, exclude=["vendor", "home_country"])
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
    user: Any = None,
    citizenships: Sequence[Any] | None = None,
    permanent_residencies: Sequence[Any] | None = None,
    **fields: Any,
) -> Engineer:
    """Change an engineer; every open visit they are on is re-checked.

    ``citizenships`` and ``permanent_residencies``, when given, replace the engineer's list (every
    citizenship ever held, as for ``engineer_create``); ``None`` leaves it as it is."""
    from compliance.selectors import open_visits_referencing

    with transaction.atomic():
        # Permission is decided on the stored row, not on the caller's (possibly edited) copy.
        locked = Engineer.objects.select_for_update().get(pk=engineer.pk)
        if user is not None and not roles.is_superuser(user):
            if roles.can_file_visits(user):
                _require_vendor_access(user, locked.vendor_id)
            else:
                _require_reference_writer(user)
        errors = _Errors()
        _unknown_fields(fields, ENGINEER_FIELDS, errors)
        if "home_country" in fields:
            _country(fields["home_country"], "home_country", errors)
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
        _full_clean(locked, errors, exclude=["vendor", "home_country"])
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
            _reference_changed(
                obj=locked,
                user=user,
                old=old,
                new=new,
                visits=open_visits_referencing(engineer_ids=[locked.pk]),
            )
    _copy_fields(source=locked, target=engineer, fields=ENGINEER_FIELDS)
    return locked
