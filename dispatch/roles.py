"""Roles (Django groups) and what each may do. Checked in services and selectors, so admin, API and
pages give the same answer.

- ``service_manager``: files and sees the visits, engineers and tools of their own vendor.
- ``approver``: sees everything; approves or rejects holds, never their own request.
- ``auditor``: reads everything, writes nothing; receives the weekly report.
- superusers: everything a role may do (the four-eyes rule still applies to them).
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission
from django.db import models

User = AbstractBaseUser | AnonymousUser


class Role(models.TextChoices):
    SERVICE_MANAGER = "service_manager", "Service manager"
    APPROVER = "approver", "Approver"
    AUDITOR = "auditor", "Auditor"


# Model permissions per role, used by the Django admin. Object-level scoping (own vendor, four
# eyes) lives in the services and selectors.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.SERVICE_MANAGER: [
        "dispatch.view_vendor",
        "dispatch.view_customer",
        "dispatch.view_facility",
        "dispatch.view_tool",
        "dispatch.add_tool",
        "dispatch.view_engineer",
        "dispatch.add_engineer",
        "dispatch.change_engineer",
        "dispatch.view_visit",
        "dispatch.add_visit",
        "dispatch.change_visit",
        "compliance.view_decision",
        "compliance.view_finding",
    ],
    Role.APPROVER: [
        "dispatch.view_vendor",
        "dispatch.view_customer",
        "dispatch.view_facility",
        "dispatch.view_tool",
        "dispatch.view_engineer",
        "dispatch.view_visit",
        "dispatch.change_visit",
        "compliance.view_decision",
        "compliance.view_finding",
        "compliance.view_approval",
        "compliance.add_approval",
        "compliance.view_licence",
        "compliance.add_licence",
        "compliance.change_licence",
        "compliance.view_matchreview",
        "compliance.add_matchreview",
        "compliance.view_ruleset",
        "compliance.change_ruleset",
        "compliance.view_rule",
        "compliance.view_listsnapshot",
        "compliance.view_listentry",
        "compliance.view_auditevent",
        "compliance.view_hold",
        "compliance.approve_hold",
        "compliance.view_auditreport",
        "compliance.view_countrygroupmembership",
    ],
    Role.AUDITOR: [
        "dispatch.view_vendor",
        "dispatch.view_customer",
        "dispatch.view_facility",
        "dispatch.view_tool",
        "dispatch.view_engineer",
        "dispatch.view_visit",
        "compliance.view_decision",
        "compliance.view_finding",
        "compliance.view_approval",
        "compliance.view_licence",
        "compliance.view_matchreview",
        "compliance.view_ruleset",
        "compliance.view_rule",
        "compliance.view_listsnapshot",
        "compliance.view_listentry",
        "compliance.view_auditevent",
        "compliance.view_hold",
        "compliance.view_countrygroupmembership",
        "compliance.view_auditreport",
    ],
}


def roles_ensure() -> None:
    """Create the role groups with their permissions (idempotent; run after every migrate)."""
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            found = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if found is not None:
                wanted.append(found)
        group.permissions.set(wanted)


def user_roles(user: User) -> frozenset[str]:
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_role_cache", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))  # type: ignore[union-attr]
        user._role_cache = cached  # type: ignore[union-attr]
    return cached


def holds_any_role(user: User) -> bool:
    """A superuser, or a holder of at least one role: what every page and endpoint requires."""
    return is_superuser(user) or bool(user_roles(user) & set(Role.values))


def is_superuser(user: User) -> bool:
    return bool(user.is_authenticated and getattr(user, "is_superuser", False))


def has_role(user: User, role: str) -> bool:
    return role in user_roles(user)


def user_vendor_id(user: User) -> int | None:
    if not user.is_authenticated:
        return None
    profile = getattr(user, "profile", None)
    try:
        return profile.vendor_id if profile is not None else None
    except Exception:
        return None


def sees_all_vendors(user: User) -> bool:
    return is_superuser(user) or has_role(user, Role.APPROVER) or has_role(user, Role.AUDITOR)


def can_file_visits(user: User) -> bool:
    return is_superuser(user) or has_role(user, Role.SERVICE_MANAGER)


def can_approve(user: User) -> bool:
    return is_superuser(user) or has_role(user, Role.APPROVER)


def can_manage_compliance(user: User) -> bool:
    """Rules, licences, list imports, false-positive marks."""
    return is_superuser(user) or has_role(user, Role.APPROVER)


def is_read_only(user: User) -> bool:
    """Auditors read everything and write nothing (unless they also hold a writing role)."""
    return not (can_file_visits(user) or can_approve(user) or can_manage_compliance(user))
