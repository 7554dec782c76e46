"""Compliance admin: rule sets, lists, licences, and read-only decisions and audit events."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from compliance import (
    admin_holds,  # noqa: F401  (registers the hold queue)
    admin_lists,  # noqa: F401  (registers the list sources)
    services,
)
from compliance.models import (
    Approval,
    AuditEvent,
    CountryGroupMembership,
    Decision,
    Finding,
    Licence,
    ListEntry,
    ListSnapshot,
    MatchReview,
    Rule,
    RuleSet,
)
from compliance.reports import admin as reports_admin  # noqa: F401  (registers the weekly reports)
from config.errors import ApplicationError
from dispatch import roles, selectors
from dispatch.admin_scoping import VendorScopedAdmin
from dispatch.models import HOLD_STATUSES, Visit


def of_visible_visits(queryset: QuerySet[Any], user: Any) -> QuerySet[Any]:
    """The rows of ``queryset`` (records of a visit) whose visit ``user`` may see."""
    if roles.sees_all_vendors(user):
        return queryset
    return queryset.filter(visit__in=selectors.visits_visible_to(user).values("pk"))


def licences_visible_to(user: Any, queryset: QuerySet[Licence]) -> QuerySet[Licence]:
    """Every licence for approvers, auditors and superusers. A service manager sees those their
    vendor holds and the general authorisations (no holder, e.g. a VEU any exporter may use), but
    none that names an engineer of another vendor: the licence would show that engineer."""
    if roles.sees_all_vendors(user):
        return queryset
    vendor_id = roles.user_vendor_id(user)
    if vendor_id is None:
        return queryset.none()
    naming_others = Licence.engineers.through.objects.exclude(engineer__vendor_id=vendor_id).values(
        "licence_id"
    )
    return queryset.filter(Q(holder_id=vendor_id) | Q(holder__isnull=True)).exclude(
        pk__in=naming_others
    )


class AllVendorsOnlyAdmin(admin.ModelAdmin):
    """Records that span every vendor (the audit log, false-positive marks): only for those who
    see all vendors (approvers, auditors, superusers), whatever model permissions a user holds."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return roles.sees_all_vendors(request.user) and super().has_view_permission(request, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)
        return qs if roles.sees_all_vendors(request.user) else qs.none()


class ReadOnlyAdmin(VendorScopedAdmin):
    """Append-only records: viewable, never added, changed or deleted through the admin."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RuleInline(admin.TabularInline):
    model = Rule
    fields = (
        "code",
        "jurisdiction",
        "effect",
        "scope",
        "effective_from",
        "effective_to",
        "confidence",
        "is_policy",
        "is_enabled",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RuleSet)
class RuleSetAdmin(ReadOnlyAdmin):
    list_display = ("short_version", "is_active", "loaded_at", "loaded_by", "note")
    list_filter = ("is_active",)
    inlines = [RuleInline]
    exclude = ("packs",)
    change_list_template = "admin/compliance/ruleset/change_list.html"

    def get_urls(self) -> list[Any]:
        return [
            path(
                "policies/",
                self.admin_site.admin_view(self.policies_view),
                name="compliance_ruleset_policies",
            ),
            *super().get_urls(),
        ]

    def policies_view(self, request: HttpRequest) -> Any:
        """Company policies: preview which open visits a switch would change, then activate."""
        if not (
            roles.can_manage_compliance(request.user)
            or roles.has_role(request.user, roles.Role.AUDITOR)
        ):
            raise PermissionDenied
        current = services.active_ruleset()
        policies = list(current.rules.filter(is_policy=True).order_by("code"))
        wanted = set(current.enabled_policies)
        preview = None
        if request.method == "POST":
            if not roles.can_manage_compliance(request.user):
                raise PermissionDenied
            wanted = set(request.POST.getlist("enabled"))
            try:
                candidate = services.ruleset_with_policies(
                    enabled_policies=wanted, actor=request.user
                )
                if "activate" in request.POST:
                    queued = services.ruleset_activate(
                        ruleset=candidate, actor=request.user, note="policy switch"
                    )
                    messages.success(
                        request,
                        f"Rule set {candidate.version[:12]} in force; {queued} open visits queued for re-check.",
                    )
                    return redirect("admin:compliance_ruleset_policies")
                preview = {
                    "ruleset": candidate,
                    "changes": services.ruleset_impact(candidate=candidate),
                }
            except ApplicationError as exc:
                messages.error(request, exc.message)
        context = {
            **self.admin_site.each_context(request),
            "title": "Company policies: impact preview",
            "opts": self.model._meta,
            "policies": [(p, p.code in wanted) for p in policies],
            "current": current,
            "preview": preview,
            "can_change": roles.can_manage_compliance(request.user),
        }
        return TemplateResponse(request, "admin/compliance/ruleset/policies.html", context)

    @admin.display(description="Version")
    def short_version(self, obj: RuleSet) -> str:
        return obj.version[:16]


@admin.register(Rule)
class RuleAdmin(ReadOnlyAdmin):
    list_display = (
        "code",
        "jurisdiction",
        "effect",
        "scope",
        "citation",
        "effective_from",
        "effective_to",
        "confidence",
        "is_policy",
        "is_enabled",
        "ruleset",
    )
    list_filter = ("ruleset__is_active", "jurisdiction", "effect", "confidence", "is_policy")
    search_fields = ("code", "title", "citation")


@admin.register(CountryGroupMembership)
class CountryGroupMembershipAdmin(ReadOnlyAdmin):
    list_display = ("group", "country", "valid_from", "valid_to", "confidence", "ruleset")
    list_filter = ("ruleset__is_active", "group")


@admin.register(ListSnapshot)
class ListSnapshotAdmin(ReadOnlyAdmin):
    list_display = (
        "source",
        "source_name",
        "imported_at",
        "entry_count",
        "is_active",
        "diff_summary",
        "source_hash",
    )
    list_filter = ("source", "is_active")

    @admin.display(description="vs previous")
    def diff_summary(self, obj: ListSnapshot) -> str:
        d = obj.diff or {}
        return f"+{d.get('added', 0)} −{d.get('removed', 0)} ~{d.get('changed', 0)}"


@admin.register(ListEntry)
class ListEntryAdmin(ReadOnlyAdmin):
    list_display = ("name", "list_code", "entry_id", "snapshot")
    list_filter = ("snapshot__is_active", "list_code")
    search_fields = ("name", "entry_id")


@admin.register(MatchReview)
class MatchReviewAdmin(AllVendorsOnlyAdmin, ReadOnlyAdmin):
    list_display = ("party_name", "entry_name", "list_code", "marked_by", "marked_at")
    search_fields = ("party_name", "entry_name")


@admin.register(Licence)
class LicenceAdmin(VendorScopedAdmin):
    list_display = (
        "number",
        "authority",
        "kind",
        "holder",
        "valid_from",
        "valid_until",
        "revoked_at",
    )
    list_filter = ("authority", "kind", ("holder", admin.RelatedOnlyFieldListFilter))
    search_fields = ("number", "conditions")
    filter_horizontal = ("facilities", "owners", "engineers")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Licence]:
        return licences_visible_to(request.user, super().get_queryset(request))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Who recorded or changed a licence is the services' record, never typed in. Revocation
        # is final: a revoked licence cannot be edited at all (a new licence is the way back).
        if obj is not None and obj.revoked_at is not None:
            return [f.name for f in Licence._meta.get_fields() if f.concrete and not f.auto_created]
        return ("recorded_by",)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)

        services.licence_changed(licence=form.instance, actor=request.user, created=not change)


class FindingInline(admin.TabularInline):
    model = Finding
    fields = (
        "rule_code",
        "jurisdiction",
        "effect",
        "citation",
        "engineer",
        "tool",
        "message",
        "covered_by_licence",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "visit",
        "outcome",
        "status",
        "trigger",
        "decided_at",
        "rules_version",
        "lists_version",
    )
    list_filter = ("outcome", "trigger")
    inlines = [FindingInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Decision]:
        return of_visible_visits(super().get_queryset(request), request.user)


@admin.register(Approval)
class ApprovalAdmin(ReadOnlyAdmin):
    list_display = ("visit", "action", "actor", "licence", "created_at")
    list_filter = ("action",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Approval]:
        return of_visible_visits(super().get_queryset(request), request.user)


@admin.register(AuditEvent)
class AuditEventAdmin(AllVendorsOnlyAdmin, ReadOnlyAdmin):
    """The audit log, newest first, filterable by date and type, each event linked to its object
    (a held visit to its hold page, any other visit to its page, a licence to its admin page)."""

    list_display = (
        "id",
        "created_at",
        "event_type",
        "actor_name",
        "object_type",
        "object_id",
        "object_link",
    )
    list_filter = ("event_type", "created_at", "object_type")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")
    search_fields = ("object_id", "actor_name")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return (*super().get_readonly_fields(request, obj), "object_link")

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        changelist = super().get_changelist_instance(request)
        # One query for the statuses of the page's visits, not one per row.
        changelist.result_list = list(changelist.result_list)
        _attach_visit_statuses(changelist.result_list)
        return changelist

    @admin.display(description="Object")
    def object_link(self, obj: AuditEvent) -> str:
        return audit_object_link(obj)


VISIT_LABEL = Visit._meta.label
LICENCE_LABEL = Licence._meta.label


def _attach_visit_statuses(events: list[AuditEvent]) -> None:
    """Set ``visit_status`` on each visit event of ``events`` (None when the visit is gone)."""
    ids = {pk for pk in map(_visit_pk, events) if pk is not None}
    statuses = dict(Visit.objects.filter(pk__in=ids).values_list("pk", "status")) if ids else {}
    for event in events:
        pk = _visit_pk(event)
        if pk is not None:
            event.visit_status = statuses.get(pk)


def _visit_pk(event: AuditEvent) -> int | None:
    return _pk(event.object_id) if event.object_type == VISIT_LABEL else None


def _pk(object_id: str) -> int | None:
    """The primary key an event's ``object_id`` names, or None when it is not a plain number."""
    return int(object_id) if object_id.isascii() and object_id.isdigit() else None


def audit_object_link(event: AuditEvent) -> str:
    """A link to the object an event is about: a held visit opens its hold page, any other visit
    its visit page, a licence its admin page; other objects (and deleted ones) get no link."""
    if event.object_type == VISIT_LABEL:
        pk = _visit_pk(event)
        if pk is None:
            return "—"
        if not hasattr(event, "visit_status"):
            _attach_visit_statuses([event])
        status = event.visit_status
        if status is None:
            return "—"
        if status in HOLD_STATUSES:
            url = reverse("admin:compliance_hold_change", args=[pk])
            return format_html('<a href="{}">Hold #{}</a>', url, pk)
        return format_html('<a href="{}">Visit #{}</a>', reverse("visit-detail", args=[pk]), pk)
    licence_pk = _pk(event.object_id) if event.object_type == LICENCE_LABEL else None
    if licence_pk is not None:
        url = reverse("admin:compliance_licence_change", args=[licence_pk])
        return format_html('<a href="{}">Licence #{}</a>', url, licence_pk)
    return "—"
