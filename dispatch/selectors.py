"""Reads of the dispatch domain, scoped to what the user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from dispatch import roles
from dispatch.models import Engineer, Tool, Vendor, Visit


def visits_visible_to(user: Any) -> QuerySet[Visit]:
    qs = Visit.objects.select_related(
        "vendor", "facility__customer", "requested_by", "current_decision"
    )
    if roles.sees_all_vendors(user):
        return qs
    vendor_id = roles.user_vendor_id(user)
    if vendor_id is None or not roles.can_file_visits(user):
        return qs.none()
    return qs.filter(vendor_id=vendor_id)


def engineers_visible_to(user: Any) -> QuerySet[Engineer]:
    qs = Engineer.objects.select_related("vendor")
    if roles.sees_all_vendors(user):
        return qs
    vendor_id = roles.user_vendor_id(user)
    return qs.filter(vendor_id=vendor_id) if vendor_id else qs.none()


def tools_visible_to(user: Any) -> QuerySet[Tool]:
    qs = Tool.objects.select_related("oem", "facility")
    if roles.sees_all_vendors(user):
        return qs
    vendor_id = roles.user_vendor_id(user)
    return qs.filter(oem_id=vendor_id) if vendor_id else qs.none()


def vendors_visible_to(user: Any) -> QuerySet[Vendor]:
    if roles.sees_all_vendors(user):
        return Vendor.objects.all()
    vendor_id = roles.user_vendor_id(user)
    return Vendor.objects.filter(pk=vendor_id) if vendor_id else Vendor.objects.none()


# The stored decision's document and inputs are large JSON; lists only need its outcome.
DECISION_HEAVY_FIELDS = (
    "current_decision__document",
    "current_decision__result",
    "current_decision__screening_input",
    "current_decision__licences_input",
)


def visits_for_list(user: Any) -> QuerySet[Visit]:
    return visits_visible_to(user).defer(*DECISION_HEAVY_FIELDS)
