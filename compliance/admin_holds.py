"""The approver's hold queue in the admin: oldest first, filterable, each hold explained, with
approve and reject going through an intermediate page that requires a justification.

Approve and reject call the same services as the API (``visit_approve`` / ``visit_reject``), so
four eyes, licence coverage and the prohibited rule hold identically everywhere.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from compliance import services
from compliance.models import Approval, AuditEvent, Finding, Hold, Licence
from config.errors import ApplicationError
from dispatch import roles, selectors
from dispatch.admin_scoping import VendorScopedAdmin
from dispatch.models import HOLD_STATUSES, VisitStatus


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


class ApproveForm(forms.Form):
    justification = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}), min_length=services.MIN_JUSTIFICATION
    )
    licence = forms.ModelChoiceField(
        queryset=Licence.objects.filter(revoked_at__isnull=True).order_by("authority", "number"),
        required=False,
        help_text="Required to release a licence-required hold: a valid licence that covers it.",
    )


class FalsePositiveForm(forms.Form):
    hit = forms.ChoiceField(label="Screening hit")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        min_length=services.MIN_JUSTIFICATION,
        help_text="Why this party is not the listed entry (e.g. registration number, address, date of birth).",
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["hit"].choices = choices


class RejectForm(forms.Form):
    justification = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}), min_length=services.MIN_JUSTIFICATION
    )


def decision_html(visit: Any) -> str:
    decision = visit.current_decision
    if decision is None:
        return format_html("<p>No decision yet: the check is under way.</p>")
    result = decision.result
    rows = format_html_join(
        "",
        "<tr><td><strong>{}</strong><br><small>{}</small></td><td>{}</td><td><a href='{}' target='_blank' rel='noopener noreferrer'>{}</a></td><td>{}<br><small>{}</small></td><td>{}</td></tr>",
        (
            (
                f["rule"],
                f.get("title", ""),
                f["effect"],
                f.get("source_url") or "#",
                f.get("citation", ""),
                f.get("message", ""),
                "; ".join(f"{k}: {v}" for k, v in (f.get("facts") or {}).items()),
                f.get("covered_by_licence") or "—",
            )
            for f in result.get("findings", [])
        ),
    )
    hits = format_html_join(
        "",
        "<li><strong>{}</strong> {} ≈ {} (score {}){}<br><small>{}</small></li>",
        (
            (
                h["list"],
                h["name"],
                h["entry"],
                h["score"],
                " — marked false positive" if h.get("false_positive") else "",
                h.get("explanation", ""),
            )
            for h in result.get("screening", [])
        ),
    )
    return format_html(
        "<p>Outcome <strong>{}</strong> (status {}), decided {} — rules {} · list {}.</p>{}"
        "<table><thead><tr><th>Rule</th><th>Effect</th><th>Citation</th><th>Why (facts)</th><th>Licence</th></tr></thead><tbody>{}</tbody></table>"
        "{}<p><small>Decision support, not legal advice. Screening hits must be confirmed against the official list.</small></p>",
        result.get("outcome"),
        visit.get_status_display(),
        decision.decided_at,
        (decision.rules_version or "")[:12],
        decision.lists_version or "none",
        format_html("<p><strong>Why it changed:</strong> {}</p>", decision.change_reason)
        if decision.change_reason
        else "",
        rows or format_html("<tr><td colspan=5>No findings.</td></tr>"),
        format_html("<h4>Screening hits</h4><ul>{}</ul>", hits) if hits else "",
    )


def history_html(visit: Any) -> str:
    decisions = format_html_join(
        "",
        "<li>{} — decision #{}: {} ({}){}</li>",
        (
            (
                d.decided_at,
                d.pk,
                d.outcome,
                d.get_trigger_display(),
                f" — {d.change_reason}" if d.change_reason else "",
            )
            for d in visit.decisions.order_by("-decided_at")[:50]
        ),
    )
    approvals = format_html_join(
        "",
        "<li>{} — {} by {}: {}{}</li>",
        (
            (
                a.created_at,
                a.get_action_display(),
                a.actor,
                a.justification,
                f" (licence {a.licence})" if a.licence_id else "",
            )
            for a in Approval.objects.filter(visit=visit).select_related("actor", "licence")
        ),
    )
    events = format_html_join(
        "",
        "<li>#{} {} — {} by {}</li>",
        (
            (e.pk, e.created_at, e.get_event_type_display(), e.actor_name)
            for e in AuditEvent.objects.filter(
                object_type="dispatch.Visit", object_id=str(visit.pk)
            ).order_by("-pk")[:50]
        ),
    )
    return format_html(
        "<h4>Decisions</h4><ul>{}</ul><h4>Approvals</h4><ul>{}</ul><h4>Audit events</h4><ul>{}</ul>",
        decisions,
        approvals or "—",
        events,
    )


@admin.register(Hold)
class HoldAdmin(VendorScopedAdmin):
    list_display = (
        "id",
        "status",
        "outcome",
        "rules",
        "vendor",
        "facility",
        "requested_by",
        "start_date",
        "created_at",
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
    ordering = ("created_at", "id")
    list_select_related = ("vendor", "facility", "requested_by", "current_decision")
    fields = ("summary", "decision", "history")
    readonly_fields = ("summary", "decision", "history")
    change_form_template = "admin/compliance/hold/change_form.html"
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

    @admin.display(description="Outcome")
    def outcome(self, obj: Any) -> str:
        return obj.current_decision.outcome if obj.current_decision else "—"

    @admin.display(description="Rules")
    def rules(self, obj: Any) -> str:
        d = obj.current_decision
        if d is None:
            return "—"
        return ", ".join(
            sorted(
                {f["rule"] for f in d.result.get("findings", []) if not f.get("covered_by_licence")}
            )
        )

    @admin.display(description="Age")
    def age(self, obj: Any) -> str:
        delta = timezone.now() - obj.created_at
        return f"{delta.days} d {delta.seconds // 3600} h"

    @admin.display(description="Visit")
    def summary(self, obj: Any) -> str:
        engineers = ", ".join(e.name for e in obj.engineers.all())
        tools = ", ".join(str(t) for t in obj.tools.all()) or "none"
        return format_html(
            "<p>{} ({}) at <strong>{}</strong>, {} ({}, {}), {} – {}, for {}. Requested by {}.</p><p>Engineers: {}. Tools: {}.</p><p>{}</p>",
            obj.get_activity_display(),
            obj.get_mode_display(),
            obj.facility.name,
            obj.facility.customer.name,
            obj.facility.city,
            obj.facility.country,
            obj.start_date,
            obj.end_date,
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
        if roles.can_approve(request.user) and str(object_id).isdigit():
            pk = int(object_id)
            extra["hold_actions"] = format_html(
                '<ul class="object-tools" style="position:static;margin:0 0 1em"><li><a href="{}">Approve…</a></li><li><a href="{}">Reject…</a></li><li><a href="{}">Mark a screening hit false positive…</a></li></ul>',
                reverse("admin:compliance_hold_approve", args=[pk]),
                reverse("admin:compliance_hold_reject", args=[pk]),
                reverse("admin:compliance_hold_false_positive", args=[pk]),
            )
        return super().change_view(request, object_id, form_url, extra)

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

    def _decide_view(self, request: HttpRequest, pk: int, *, approve: bool) -> HttpResponse:
        visit = self._hold_or_404(request, pk)
        form_class = ApproveForm if approve else RejectForm
        form = form_class(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                if approve:
                    services.visit_approve(
                        visit=visit,
                        user=request.user,
                        justification=form.cleaned_data["justification"],
                        licence=form.cleaned_data.get("licence"),
                    )
                else:
                    services.visit_reject(
                        visit=visit,
                        user=request.user,
                        justification=form.cleaned_data["justification"],
                    )
            except ApplicationError as exc:
                placed = False
                for field, errs in exc.errors.items():
                    if field in form.fields:
                        for e in errs:
                            form.add_error(field, e)
                        placed = True
                if not placed:
                    form.add_error(None, exc.message)
            else:
                self.message_user(
                    request,
                    f"Visit #{visit.pk} {'approved' if approve else 'rejected'}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:compliance_hold_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": f"{'Approve' if approve else 'Reject'} visit #{visit.pk}",
            "visit": visit,
            "form": form,
            "approve": approve,
            "decision": decision_html(visit),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/compliance/hold/decide.html", context)

    def false_positive_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Mark one screening hit of this hold as a false positive for that party, with a reason."""
        visit = self._hold_or_404(request, pk)
        hits = [
            h
            for h in (visit.current_decision.screening_input if visit.current_decision else [])
            if not h.get("false_positive")
        ]
        choices = [
            (
                f"{h['party']}|{h['entry_id']}",
                f"{h['name']} ≈ {h['entry_name']} ({h['list_code']}, score {h['score']})",
            )
            for h in hits
        ]
        form = FalsePositiveForm(request.POST or None, choices=choices)
        if request.method == "POST" and form.is_valid():
            party, entry_id = form.cleaned_data["hit"].split("|", 1)
            try:
                services.match_review_mark(
                    visit=visit,
                    party=party,
                    entry_id=entry_id,
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(
                    request,
                    "Hit marked as a false positive; the visit is being re-checked.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:compliance_hold_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Mark a screening hit of visit #{visit.pk} as a false positive",
            "visit": visit,
            "form": form,
            "approve": None,
            "decision": decision_html(visit),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/compliance/hold/decide.html", context)

    def approve_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._decide_view(request, pk, approve=True)

    def reject_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._decide_view(request, pk, approve=False)

    @admin.action(description="Approve the selected hold…", permissions=["approve"])
    def approve_selected(
        self, request: HttpRequest, queryset: QuerySet[Any]
    ) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(
                request,
                "Approve one hold at a time: each needs its own justification.",
                messages.WARNING,
            )
            return None
        return HttpResponseRedirect(
            reverse("admin:compliance_hold_approve", args=[queryset.get().pk])
        )

    @admin.action(description="Reject the selected hold…", permissions=["approve"])
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(
                request,
                "Reject one hold at a time: each needs its own justification.",
                messages.WARNING,
            )
            return None
        return HttpResponseRedirect(
            reverse("admin:compliance_hold_reject", args=[queryset.get().pk])
        )
