"""Visits: filing (idempotent), editing and cancelling. Every status change goes through the
lifecycle (compliance.lifecycle); filing and editing ask compliance for a check.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from compliance import lifecycle
from compliance.audit import audit_record
from compliance.checks.requests import visit_request_check
from compliance.models import AuditEventType, Trigger
from config.errors import ApplicationError, Conflict, PermissionDenied
from dispatch import roles, selectors
from dispatch.models import (
    Activity,
    Engineer,
    Facility,
    Mode,
    Tool,
    Vendor,
    Visit,
    VisitStatus,
)
from dispatch.roles import User
from dispatch.services.validation import (
    DateInput,
    Errors,
    clean_items,
    clean_parties,
    date_value,
    id_list,
    pk_of,
    require_vendor_access,
)
from dispatch.services.visit_refs import (
    VisitReferences,
    parties_insert,
    references_for,
    valid_ids,
)
from dispatch.validators import (
    multiline_text_problem,
    visit_items_problems,
    visit_parties_problems,
)


def site_today() -> dt.date:
    """Today in the site's zone: the date rules never follow a zone the client names."""
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(settings.TIME_ZONE))


def _visit_validate(
    *,
    user: User,
    vendor: object,
    facility: object,
    tools: object,
    engineers: object,
    activity: object,
    mode: object,
    start_date: object,
    end_date: object,
    purpose: object,
    parties: object = (),
    items: object = None,
    earliest_start: dt.date | None = None,
    refs: VisitReferences | None = None,
) -> dict[str, Any]:
    errors = Errors()
    engineer_ids = id_list(engineers, "engineers", errors)
    tool_ids = id_list(tools, "tools", errors)
    if refs is None:
        refs = references_for(user, vendor, facility, engineer_ids, tool_ids)
    vendor_obj = refs.vendor
    if vendor_obj is None:
        errors.add("vendor", "No such vendor." if vendor is not None else "This field is required.")
    elif not roles.is_superuser(user):
        if not roles.can_file_visits(user):
            raise PermissionDenied("Your role may not file or change visits.")
        if roles.user_vendor_id(user) != vendor_obj.pk:
            # Another vendor's id is answered as an unknown one: it reveals nothing.
            errors.add("vendor", "No such vendor.")
            vendor_obj = None
    facility_obj = refs.facility
    if facility_obj is None:
        errors.add(
            "facility", "No such facility." if facility is not None else "This field is required."
        )

    if not engineer_ids and "engineers" not in errors.errors:
        errors.add("engineers", "At least one engineer is required.")
    # Ordered as the API lists a visit's engineers and tools (selectors.visit_party_ids), ties by id.
    # Only the visit's vendor's engineers exist here; another vendor's id is an unknown id.
    engineer_objs = refs.engineers if vendor_obj is not None else []
    found = {e.pk for e in engineer_objs}
    for pk in engineer_ids:
        if pk not in found and vendor_obj is not None:
            errors.add("engineers", f"No such engineer of {vendor_obj.name}: {pk}.")
    for e in engineer_objs:
        if not e.is_active:
            errors.add("engineers", f"{e.name} is not active.")

    # The tools the user may see (a manager: their vendor's); any other id is an unknown id.
    tool_objs = refs.tools
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
    start = date_value(start_date, "start_date", errors)
    end = date_value(end_date, "end_date", errors)
    if start and end and end < start:
        errors.add("end_date", "The end date cannot be before the start date.")
    if start and earliest_start and start < earliest_start:
        errors.add(
            "start_date",
            f"The start date {start.isoformat()} is in the past (today is "
            f"{earliest_start.isoformat()}): a visit is filed before it starts.",
        )
    if purpose is not None and not isinstance(purpose, str):
        errors.add("purpose", "Expected text.")
    elif purpose and len(purpose) > 5000:
        errors.add("purpose", "At most 5000 characters.")
    elif message := multiline_text_problem(purpose):
        errors.add("purpose", message)
    parties = list(parties) if isinstance(parties, list | tuple) else parties
    for field, message in visit_parties_problems(parties).items():
        errors.add(field, message)
    items = list(items) if isinstance(items, list | tuple) else items
    for field, message in visit_items_problems(items).items():
        errors.add(field, message)
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
        "parties": clean_parties(parties),
        "items": clean_items(items),
    }


def _visit_snapshot(
    visit: Visit,
    *,
    tools: Sequence[Tool] | None = None,
    engineers: Sequence[Engineer] | None = None,
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
        # Only when there are any, so events of visits without parties keep their form.
        **({"parties": visit.parties} if visit.parties else {}),
        **({"items": visit.items} if visit.items is not None else {}),
        "status": visit.status,
    }


def visit_create(
    *,
    requested_by: User,
    vendor: Vendor | int,
    facility: Facility | int,
    engineers: Sequence[Engineer | int],
    tools: Sequence[Tool | int] = (),
    activity: str,
    mode: str = Mode.ON_SITE,
    start_date: DateInput,
    end_date: DateInput,
    purpose: str = "",
    parties: Sequence[dict[str, Any]] = (),
    items: Sequence[dict[str, Any]] | None = None,
) -> Visit:
    """File a visit: stored as ``pending`` and queued for a compliance check on commit."""
    return visit_create_once(
        parties=parties,
        items=items,
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
    requested_by: User,
    idempotency_key: str | None,
    vendor: Vendor | int,
    facility: Facility | int,
    engineers: Sequence[Engineer | int],
    tools: Sequence[Tool | int] = (),
    activity: str,
    mode: str = Mode.ON_SITE,
    start_date: DateInput,
    end_date: DateInput,
    purpose: str = "",
    parties: Sequence[dict[str, Any]] = (),
    items: Sequence[dict[str, Any]] | None = None,
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
        # Only when given, so the fingerprints of requests without parties stay as they were.
        **({"parties": list(parties)} if parties else {}),
        **({"items": list(items)} if items is not None else {}),
    }
    # The references and the key's earlier visit, in one statement.
    refs = references_for(
        requested_by,
        vendor,
        facility,
        valid_ids(fields["engineers"]),
        valid_ids(fields["tools"]),
        idempotency_key,
    )
    if idempotency_key is None:
        return _visit_insert(
            requested_by=requested_by, idempotency_key=None, fields=fields, refs=refs
        )
    existing = (
        Visit.objects.filter(pk=refs.existing[0]).first() if refs.existing is not None else None
    )
    if existing is None:
        try:
            return _visit_insert(
                requested_by=requested_by,
                idempotency_key=idempotency_key,
                fields=fields,
                refs=refs,
            )
        except IntegrityError:
            # A concurrent request with the same key committed first: answer with its visit.
            existing = selectors.visit_by_idempotency_key(user=requested_by, key=idempotency_key)
            if existing is None:
                raise
    require_vendor_access(requested_by, existing.vendor_id)
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
        value = pk_of(value)
        return value.isoformat() if isinstance(value, dt.date) else value

    doc = {
        k: sorted(str(pk_of(v)) for v in fields[k])
        if k in ("tools", "engineers")
        else canonical(fields[k])
        for k in sorted(fields)
    }
    doc["purpose"] = doc["purpose"] or ""
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


def _visit_insert(
    *,
    requested_by: Any,
    idempotency_key: str | None,
    fields: dict[str, Any],
    refs: VisitReferences | None = None,
) -> VisitFiled:

    data = _visit_validate(user=requested_by, earliest_start=site_today(), refs=refs, **fields)
    with transaction.atomic():
        visit = Visit(
            vendor=data["vendor"],
            facility=data["facility"],
            activity=data["activity"],
            mode=data["mode"],
            start_date=data["start_date"],
            end_date=data["end_date"],
            purpose=data["purpose"],
            parties=data["parties"],
            items=data["items"],
            requested_by=requested_by,
            status=VisitStatus.PENDING,
            idempotency_key=idempotency_key or "",
            idempotency_fingerprint=_visit_fingerprint(fields) if idempotency_key else "",
            # The check request goes in with the row (one statement fewer on the filing path).
            check_requested_at=timezone.now(),
            check_trigger=Trigger.SUBMISSION,
        )
        visit.save()
        parties_insert(visit, data["engineers"], data["tools"])
        audit_record(
            event_type=AuditEventType.VISIT_SUBMITTED,
            obj=visit,
            actor=requested_by,
            new=_visit_snapshot(visit, tools=data["tools"], engineers=data["engineers"]),
        )
        visit_request_check(
            visit=visit, trigger=Trigger.SUBMISSION, actor=requested_by, stored=True
        )
    # _visit_validate fetched them in their models' ordering, the order the API lists them in.
    return VisitFiled(
        visit=visit,
        engineer_ids=[e.pk for e in data["engineers"]],
        tool_ids=[t.pk for t in data["tools"]],
        created=True,
    )


def visit_update(*, visit: Visit, user: User, **changes: object) -> Visit:
    """Change a visit's parties, activity or dates; the visit goes back to ``pending`` and is re-checked."""

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
        merged["parties"] = current.get("parties", [])
        merged["items"] = current.get("items")
        unknown = set(changes) - set(merged)
        if unknown:
            raise ApplicationError(
                "Unknown fields.",
                errors={f: ["This field cannot be changed."] for f in sorted(unknown)},
            )
        merged.update(changes)
        if pk_of(merged["vendor"]) != locked.vendor_id:
            raise ApplicationError(
                "The vendor of a visit cannot be changed.",
                errors={"vendor": ["The vendor of a visit cannot be changed."]},
            )
        # A trip under way keeps its start date; a new start date must not be in the past.
        moved = "start_date" in changes and str(changes["start_date"]) != str(current["start_date"])
        data = _visit_validate(user=user, earliest_start=site_today() if moved else None, **merged)
        fields: dict[str, Any] = {
            field: data[field]
            for field in (
                "facility",
                "activity",
                "mode",
                "start_date",
                "end_date",
                "purpose",
                "parties",
                "items",
            )
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


def visit_cancel(*, visit: Visit, user: User, reason: str = "") -> Visit:
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
