"""Who may do what: user roles and vendor assignments, audited."""

from __future__ import annotations

from typing import Any

from compliance.audit import audit_record
from compliance.models import AuditEventType
from dispatch.models import UserProfile


def user_access_facts(user: Any) -> dict[str, Any]:
    """What decides what a user may see and do: roles, vendor, status (read from the database)."""

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
