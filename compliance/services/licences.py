"""Licences on file: recording, changing and revoking them, each audited with old and new values
and followed by a re-check of the open visits they could cover. Revocation is final.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from compliance import separation
from compliance.audit import audit_canonical, audit_record
from compliance.checks.requests import visits_request_check
from compliance.models import (
    AuditEvent,
    AuditEventType,
    Licence,
    LicenceAuthority,
    Trigger,
)
from compliance.models.licences import bulk_problems
from config.errors import ApplicationError, Conflict, PermissionDenied
from dispatch import roles
from dispatch.models import OPEN_STATUSES, Activity, Customer, Engineer, Facility, Vendor, Visit
from dispatch.roles import User
from dispatch.selectors import open_visits_referencing

logger = logging.getLogger(__name__)


def _licence_facts(licence: Licence) -> dict[str, Any]:
    return audit_canonical(
        {
            "authority": licence.authority,
            "kind": licence.kind,
            "number": licence.number,
            "holder": licence.holder_id,
            "valid_from": licence.valid_from,
            "valid_until": licence.valid_until,
            "revoked_at": licence.revoked_at,
            "revocation_reason": licence.revocation_reason,
            "facilities": sorted(licence.facilities.values_list("pk", flat=True)),
            "owners": sorted(licence.owners.values_list("pk", flat=True)),
            "engineers": sorted(licence.engineers.values_list("pk", flat=True)),
            "activities": licence.activities,
            "classifications": licence.classifications,
            "countries": licence.countries,
            "conditions": licence.conditions,
        }
    )


def _licence_last_audited(licence: Licence) -> dict[str, Any] | None:
    event = (
        AuditEvent.objects.filter(
            event_type=AuditEventType.LICENCE_CHANGED,
            object_type=Licence._meta.label,
            object_id=str(licence.pk),
        )
        .order_by("-pk")
        .values_list("new", flat=True)
        .first()
    )
    if not event:
        return None
    return {k: v for k, v in event.items() if k != "created"}


def licence_changed(*, licence: Licence, actor: User | None = None, created: bool = False) -> int:
    """Record a licence creation, change or revocation (old and new values) and re-check the open
    visits it could affect.

    Revocation is final: a change that would make a revoked licence valid again is refused (a new
    licence is the way back). The old values are the licence as last audited, so a change made
    behind the services' back shows in the event too. Whoever records or changes a licence joins
    its ``recorded_by``: it does not count for visits they requested or edited.
    """

    with transaction.atomic():
        old = None if created else _licence_last_audited(licence)
        if old and old.get("revoked_at") and licence.revoked_at is None:
            raise Conflict(
                f"Licence {licence} was revoked on {str(old['revoked_at'])[:10]}; revocation is "
                "final. Record a new licence instead.",
                errors={"revoked_at": ["A revoked licence cannot be made valid again."]},
            )
        if actor is not None and getattr(actor, "pk", None) is not None:
            suppliers = separation.recorded_by(licence.recorded_by)
            if actor.pk not in {user_id for user_id, _ in suppliers}:
                licence.recorded_by = [
                    *(licence.recorded_by or []),
                    {"id": actor.pk, "username": actor.get_username()},
                ]
                Licence.objects.filter(pk=licence.pk).update(recorded_by=licence.recorded_by)
        visits = open_visits_referencing(
            facility_ids=list(licence.facilities.values_list("pk", flat=True)),
            customer_ids=list(licence.owners.values_list("pk", flat=True)),
        )
        # A bulk licence reaches every open visit to a country it covers, and covered before.
        countries = set(licence.countries or []) | set((old or {}).get("countries") or [])
        if countries:
            visits = visits | Visit.objects.filter(
                status__in=OPEN_STATUSES, facility__country__in=countries
            )
        if licence.holder_id:
            visits = visits.filter(vendor_id=licence.holder_id)
        # Visits before the audit chain head, the order every transaction takes them in.
        count = visits_request_check(
            visits=Visit.objects.filter(pk__in=visits.values("pk")), trigger=Trigger.LICENCE_CHANGE
        )
        new = _licence_facts(licence)
        if old is not None and {k: old.get(k) for k in new} == new:
            return count  # saved unchanged: nothing to audit
        audit_record(
            event_type=AuditEventType.LICENCE_CHANGED,
            obj=licence,
            actor=actor,
            old=old,
            new={"created": created, **new, "recorded_by": licence.recorded_by},
        )
        return count


def licence_create(
    *,
    user: User,
    authority: str,
    number: str,
    valid_from: dt.date,
    valid_until: dt.date,
    holder: int | None = None,
    kind: str = "licence",
    facilities: Sequence[int] = (),
    owners: Sequence[int] = (),
    activities: Sequence[str] = (),
    classifications: Sequence[str] = (),
    engineers: Sequence[int] = (),
    countries: Sequence[str] = (),
    conditions: str = "",
) -> Licence:

    if not roles.can_manage_compliance(user):
        raise PermissionDenied("Only an approver may record licences.")
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if authority not in LicenceAuthority.values:
        add("authority", f"Choose one of: {', '.join(LicenceAuthority.values)}.")
    if kind not in Licence.Kind.values:
        add("kind", f"Choose one of: {', '.join(Licence.Kind.values)}.")
    if valid_until < valid_from:
        add("valid_until", "A licence cannot end before it starts.")
    if Licence.objects.filter(authority=authority, number=number).exists():
        add("number", "A licence with this authority and number is already on file.")
    holder_obj = Vendor.objects.filter(pk=holder).first() if holder is not None else None
    if holder is not None and holder_obj is None:
        add("holder", "No such vendor.")
    facility_objs = list(Facility.objects.filter(pk__in=facilities))
    if len(facility_objs) != len(set(facilities)):
        add("facilities", "No such facility among the ids given.")
    owner_objs = list(Customer.objects.filter(pk__in=owners))
    if len(owner_objs) != len(set(owners)):
        add("owners", "No such customer among the ids given.")
    for field, problem in bulk_problems(kind, authority, list(countries), holder).items():
        add(field, problem)
    if not facility_objs and not owner_objs and kind != Licence.Kind.BULK:
        add("facilities", "A licence must name the facilities or owners it covers.")
    engineer_objs = list(Engineer.objects.filter(pk__in=engineers))
    if len(engineer_objs) != len(set(engineers)):
        add("engineers", "No such engineer among the ids given.")
    bad = [a for a in activities if a not in Activity.values]
    if bad:
        add("activities", f"Unknown activities: {', '.join(bad)}.")
    if errors:
        field, messages = next(iter(errors.items()))
        raise ApplicationError(f"The licence was not saved. {field}: {messages[0]}", errors=errors)
    with transaction.atomic():
        licence = Licence.objects.create(
            recorded_by=[{"id": user.pk, "username": user.get_username()}],
            authority=authority,
            kind=kind,
            number=number,
            holder=holder_obj,
            valid_from=valid_from,
            valid_until=valid_until,
            activities=list(activities),
            classifications=list(classifications),
            countries=sorted(set(countries)),
            conditions=conditions,
        )
        licence.facilities.set(facility_objs)
        licence.owners.set(owner_objs)
        licence.engineers.set(engineer_objs)
        licence_changed(licence=licence, actor=user, created=True)
    return licence


def licence_revoke(*, licence: Licence, user: User, reason: str) -> Licence:

    if not roles.can_manage_compliance(user):
        raise PermissionDenied("Only an approver may revoke licences.")
    if not reason or not reason.strip():
        raise ApplicationError(
            "A reason is required.", errors={"reason": ["Say why the licence is revoked."]}
        )
    with transaction.atomic():
        locked = Licence.objects.select_for_update().get(pk=licence.pk)
        if locked.revoked_at is not None:
            raise Conflict("The licence is already revoked.")
        locked.revoked_at = timezone.now()
        locked.revocation_reason = reason.strip()
        locked.save(update_fields=["revoked_at", "revocation_reason", "updated_at"])
        licence_changed(licence=locked, actor=user)
    return locked


# Approvers are told of a licence's end when it comes within each of these many days, once each.
EXPIRY_THRESHOLDS = (30, 7, 1)


def licences_expiry_notify(*, today: dt.date | None = None) -> int:
    """Email the approvers about each licence ending within 30 days, once per licence, end date
    and threshold (30, 7 and 1 days); each notice is an audit event, so none is sent twice.
    Returns how many licences were notified."""
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from compliance.mail import email_send

    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=EXPIRY_THRESHOLDS[0])
    emails = list(
        get_user_model()
        .objects.filter(groups__name=roles.Role.APPROVER, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    notified = 0
    for pk in Licence.objects.filter(
        revoked_at__isnull=True, valid_until__gte=today, valid_until__lte=horizon
    ).values_list("pk", flat=True):
        with transaction.atomic():
            licence = (
                Licence.objects.select_for_update(of=("self",)).select_related("holder").get(pk=pk)
            )
            days = (licence.valid_until - today).days
            threshold = min(t for t in EXPIRY_THRESHOLDS if days <= t)
            sent = AuditEvent.objects.filter(
                event_type=AuditEventType.LICENCE_EXPIRY_NOTIFIED,
                object_type=Licence._meta.label,
                object_id=str(licence.pk),
                new__valid_until=licence.valid_until.isoformat(),
            ).values_list("new__threshold_days", flat=True)
            if any(int(t) <= threshold for t in sent):
                continue
            audit_record(
                event_type=AuditEventType.LICENCE_EXPIRY_NOTIFIED,
                obj=licence,
                new={
                    "valid_until": licence.valid_until.isoformat(),
                    "threshold_days": threshold,
                    "days_left": days,
                    "recipients": len(emails),
                },
            )
            notified += 1
            if not emails:
                continue
            left = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
            url = f"{settings.SITE_URL.rstrip('/')}/admin/compliance/licence/{licence.pk}/change/"
            subject = f"Licence {licence} expires {left} ({licence.valid_until:%d %b %Y})"
            body = (
                f"Licence {licence} ({licence.get_kind_display()}"
                f"{', held by ' + licence.holder.name if licence.holder_id else ''}) expires {left}: "
                f"its last day of validity is {licence.valid_until:%d %b %Y}.\n\n"
                "Visits after that day need another licence; record its renewal before then.\n\n"
                f"{url}\n"
            )

            def send(subject: str = subject, body: str = body, number: str = str(licence)) -> None:
                # Queued and retried (compliance.mail); a failure is logged, never dropped.
                email_send(
                    subject=subject,
                    body=body,
                    recipients=emails,
                    what=f"the expiry notice of licence {number}",
                )

            transaction.on_commit(send)
    return notified
