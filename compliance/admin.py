"""Compliance admin: rule sets, lists, licences, and read-only decisions and audit events."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

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


class ReadOnlyAdmin(admin.ModelAdmin):
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
    list_display = ("source_name", "imported_at", "entry_count", "is_active", "source_hash")
    list_filter = ("is_active",)


@admin.register(ListEntry)
class ListEntryAdmin(ReadOnlyAdmin):
    list_display = ("name", "list_code", "entry_id", "snapshot")
    list_filter = ("snapshot__is_active", "list_code")
    search_fields = ("name", "entry_id")


@admin.register(MatchReview)
class MatchReviewAdmin(ReadOnlyAdmin):
    list_display = ("party_name", "entry_name", "list_code", "marked_by", "marked_at")
    search_fields = ("party_name", "entry_name")


@admin.register(Licence)
class LicenceAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "authority",
        "kind",
        "holder",
        "valid_from",
        "valid_until",
        "revoked_at",
    )
    list_filter = ("authority", "kind", "holder")
    search_fields = ("number", "conditions")
    filter_horizontal = ("facilities", "owners", "engineers")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        from compliance.services import licence_changed

        licence_changed(licence=form.instance, actor=request.user, created=not change)


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


@admin.register(Approval)
class ApprovalAdmin(ReadOnlyAdmin):
    list_display = ("visit", "action", "actor", "licence", "created_at")
    list_filter = ("action",)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "event_type", "actor_name", "object_type", "object_id")
    list_filter = ("event_type", "object_type")
    search_fields = ("object_id", "actor_name")


from compliance import admin_holds  # noqa: E402,F401  (registers the hold queue)
