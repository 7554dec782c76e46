"""The approver's hold queue in the admin: soonest travel first with the days left, finished trips
flagged, filterable (filters kept across the decide pages), each hold explained, with approve and
reject going through an intermediate page that requires a justification (compliance.admin_hold_views).

Approve and reject call the same services as the API (``visit_approve`` / ``visit_reject``), so
four eyes, licence coverage and the prohibited rule hold identically everywhere.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from compliance.admin_hold_views import (
    HoldDecideViews,
    card_context,
    decision_html,
    history_html,
    with_filters,
)
from compliance.models import Finding, Hold
from compliance.services.approvals import decide_refusals
from dispatch import roles, selectors
from dispatch.admin_scoping import VendorScopedAdmin
from dispatch.models import HOLD_STATUSES, VisitStatus
from dispatch.validators import id_param


class JurisdictionFilter(admin.SimpleListFilter):
    title = "jurisdiction"
    parameter_name = "jurisdiction"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        codes = (
            Finding.objects.exclude(jurisdiction="")
            .values_list("jurisdiction", flat=True)
            .distinct()
        )
        return [(c, c) for c in sorted(set(codes))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value():
            return queryset.filter(
                current_decision__findings__jurisdiction=self.value(),
                current_decision__findings__covered_by_licence="",
            ).distinct()
        return queryset


class RuleFilter(admin.SimpleListFilter):
    title = "rule"
    parameter_name = "rule"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        codes = (
            Finding.objects.filter(decision__visit__status__in=HOLD_STATUSES)
            .values_list("rule_code", flat=True)
            .distinct()
        )
        return [(c, c) for c in sorted(set(codes))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value():
            return queryset.filter(current_decision__findings__rule_code=self.value()).distinct()
        return queryset


class AgeFilter(admin.SimpleListFilter):
    title = "age"
    parameter_name = "age"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("1", "over 1 day"), ("3", "over 3 days"), ("7", "over a week")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value():
            return queryset.filter(
                created_at__lte=timezone.now() - dt.timedelta(days=int(self.value()))
            )
        return queryset


@admin.register(Hold)
class HoldAdmin(HoldDecideViews, VendorScopedAdmin):
    list_display = (
        "id",
        "travel",
        "start_date",
        "held",
        "rules",
        "vendor",
        "facility",
        "requested_by",
        "age",
    )
    list_filter = (
        "status",
        JurisdictionFilter,
        RuleFilter,
        "facility",
        ("vendor", admin.RelatedOnlyFieldListFilter),
        AgeFilter,
    )
    search_fields = ("id", "facility__name", "facility__customer__name", "engineers__name")
    # Soonest travel first: the hold that must be decided first leads the queue.
    ordering = ("start_date", "created_at", "id")
    list_select_related = ("vendor", "facility", "requested_by", "current_decision")
    fields = ("summary", "decision", "history")
    readonly_fields = ("summary", "decision", "history")
    change_form_template = "admin/compliance/hold/change_form.html"
    change_list_template = "admin/compliance/hold/change_list.html"
    actions = ("approve_selected", "reject_selected")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = (
            super()
            .get_queryset(request)
            .filter(status__in=[VisitStatus.ON_HOLD, VisitStatus.BLOCKED])
        )
        # The queue is for those who see every vendor; anyone else sees only the holds of the
        # visits they may see.
        if roles.sees_all_vendors(request.user):
            return qs
        return qs.filter(pk__in=selectors.visits_visible_to(request.user).values("pk"))

    def _hold_or_404(self, request: HttpRequest, pk: int) -> Any:
        """A hold for the approve, reject and false-positive pages: only for those who may view
        the queue, and only one they may see (any other id answers 404, like an unknown one)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(
            self.get_queryset(request).select_related(
                "current_decision", "facility__customer", "vendor"
            ),
            pk=pk,
        )

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The shared decision card, where the product has one, replaces the decision table.
        if obj is not None and card_context(obj, request.user) is not None:
            return ("summary", "history")
        return self.fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return roles.can_approve(request.user) or roles.has_role(request.user, roles.Role.AUDITOR)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_approve_permission(self, request: HttpRequest) -> bool:
        return roles.can_approve(request.user)

    @admin.display(description="Held", ordering="status")
    def held(self, obj: Any) -> str:
        outcome = obj.current_decision.outcome if obj.current_decision else ""
        return format_html(
            "{}<br><small>{}</small>",
            obj.get_status_display(),
            outcome.replace("_", " ") or "—",
        )

    @admin.display(description="Rules")
    def rules(self, obj: Any) -> str:
        d = obj.current_decision
        if d is None:
            return "—"
        codes = sorted(
            {f["rule"] for f in d.result.get("findings", []) if not f.get("covered_by_licence")}
        )
        return format_html(
            '<span class="hold-rules">{}</span>',
            format_html_join(mark_safe("<br>"), "{}", ((c,) for c in codes)),
        )

    @admin.display(description="Age")
    def age(self, obj: Any) -> str:
        delta = timezone.now() - obj.created_at
        return f"{delta.days} d {delta.seconds // 3600} h"

    @admin.display(description="Travel", ordering="start_date")
    def travel(self, obj: Any) -> str:
        return travel_urgency(obj.start_date, obj.end_date)

    @admin.display(description="Visit")
    def summary(self, obj: Any) -> str:
        engineers = ", ".join(e.name for e in obj.engineers.all())
        tools = ", ".join(str(t) for t in obj.tools.all()) or "none"
        return format_html(
            "<p>{} ({}) at <strong>{}</strong>, {} ({}, {}), {} – {} ({}), for {}. Requested by {}.</p><p>Engineers: {}. Tools: {}.</p><p>{}</p>",
            obj.get_activity_display(),
            obj.get_mode_display(),
            obj.facility.name,
            obj.facility.customer.name,
            obj.facility.city,
            obj.facility.country,
            date_format(obj.start_date, "j M Y"),
            date_format(obj.end_date, "j M Y"),
            travel_urgency(obj.start_date, obj.end_date),
            obj.vendor.name,
            obj.requested_by,
            engineers,
            tools,
            obj.purpose,
        )

    @admin.display(description="Decision")
    def decision(self, obj: Any) -> str:
        return decision_html(obj)

    @admin.display(description="History")
    def history(self, obj: Any) -> str:
        return history_html(obj)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra = dict(extra_context or {})
        pk = id_param(object_id)
        if self.has_view_permission(request) and pk:
            visit = self.get_queryset(request).filter(pk=pk).first()
            if visit is not None:
                extra["hold_actions"] = self.hold_actions(request, visit)
                extra["card"] = card_context(visit, request.user)
        return super().change_view(request, object_id, form_url, extra)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # The queue takes the page's width at 1366 px: no navigation sidebar beside it.
        return super().changelist_view(
            request, {"is_nav_sidebar_enabled": False, **(extra_context or {})}
        )

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:pk>/approve/",
                self.admin_site.admin_view(self.approve_view),
                name="compliance_hold_approve",
            ),
            path(
                "<int:pk>/reject/",
                self.admin_site.admin_view(self.reject_view),
                name="compliance_hold_reject",
            ),
            path(
                "<int:pk>/false-positive/",
                self.admin_site.admin_view(self.false_positive_view),
                name="compliance_hold_false_positive",
            ),
            *super().get_urls(),
        ]

    def _decide_selected(
        self, request: HttpRequest, queryset: QuerySet[Any], action: str
    ) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(
                request,
                f"{action.capitalize()} one hold at a time: each needs its own justification.",
                messages.WARNING,
            )
            return None
        visit = queryset.select_related("current_decision").get()
        refusal = decide_refusals(visit=visit, user=request.user).get(action)
        if refusal:
            self.message_user(request, f"Visit #{visit.pk}: {refusal}.", messages.WARNING)
            return None
        url = reverse(f"admin:compliance_hold_{action}", args=[visit.pk])
        return HttpResponseRedirect(
            with_filters(self.model._meta, self.get_preserved_filters(request), url)
        )

    @admin.action(description="Approve the selected hold…", permissions=["approve"])
    def approve_selected(
        self, request: HttpRequest, queryset: QuerySet[Any]
    ) -> HttpResponse | None:
        return self._decide_selected(request, queryset, "approve")

    @admin.action(description="Reject the selected hold…", permissions=["approve"])
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
        return self._decide_selected(request, queryset, "reject")


def travel_urgency(start: dt.date, end: dt.date, today: dt.date | None = None) -> str:
    """Days to travel as the queue shows them; a trip whose end has passed is flagged."""
    today = today or timezone.localdate()
    days = (start - today).days
    if end < today:
        return format_html(
            '<strong class="hold-ended" style="color:#ba2121">{}</strong>',
            "Trip ended — reject or cancel",
        )
    if days > 1:
        text = f"in {days} days"
    elif days == 1:
        text = "tomorrow"
    elif days == 0:
        text = "today"
    else:
        text = f"started {-days} day{'s' if days != -1 else ''} ago"
    style = "color:#ba2121;font-weight:bold" if days <= 2 else ""
    return format_html('<span class="hold-travel" style="{}">{}</span>', style, text)
