"""Admin for the list sources: their freshness at a glance, and switching one on or off with a
reason (through the service, so the change is audited and open visits are re-checked)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils import timezone

from compliance.checks.lists import list_freshness
from compliance.models import ListSource
from compliance.screening.sources import sources
from compliance.services.list_sources import list_source_set_enabled, list_sources_ensure
from config.errors import ApplicationError
from dispatch import roles


class ListSourceForm(forms.ModelForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Why the source is switched on or off (recorded in the audit log).",
    )

    class Meta:
        model = ListSource
        fields = ("enabled",)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "enabled" in self.changed_data and not (data.get("reason") or "").strip():
            self.add_error("reason", "A reason is required to switch a source on or off.")
        return data


@admin.register(ListSource)
class ListSourceAdmin(admin.ModelAdmin):
    form = ListSourceForm
    list_display = (
        "key",
        "source_name",
        "enabled",
        "freshness",
        "snapshot_in_force",
        "last_success_at",
        "last_attempt_at",
        "last_outcome",
        "next_run_at",
    )
    readonly_fields = (
        "key",
        "source_name",
        "official_url",
        "meaning",
        "snapshot_in_force",
        "freshness",
        "last_success_at",
        "last_attempt_at",
        "last_outcome",
        "last_error",
        "next_run_at",
        "etag",
        "last_modified",
    )
    fields = ("enabled", "reason", *readonly_fields)

    def _row(self, obj: ListSource) -> dict[str, Any]:
        cache = getattr(self, "_fresh", None)
        if cache is None or cache[0] != timezone.now().replace(microsecond=0):
            cache = (
                timezone.now().replace(microsecond=0),
                {r["source"]: r for r in list_freshness()},
            )
            self._fresh = cache
        return cache[1].get(obj.key, {})

    @admin.display(description="source")
    def source_name(self, obj: ListSource) -> str:
        spec = sources().get(obj.key)
        return spec.name if spec else f"{obj.key} (not in sources.yaml)"

    @admin.display(description="official URL")
    def official_url(self, obj: ListSource) -> str:
        spec = sources().get(obj.key)
        return obj.url or (spec.url if spec else "")

    @admin.display(description="what a hit means")
    def meaning(self, obj: ListSource) -> str:
        spec = sources().get(obj.key)
        if spec is None:
            return ""
        if not spec.lists:
            return "Judged by the rule packs (rulepacks/us.yaml)."
        parts = []
        for m in spec.lists.values():
            when = "".join(f"; {e} where the measures include {w!r}" for w, e in m.effect_when)
            parts.append(f"{m.code}: {m.effect}{when} — {m.citation}")
        elsewhere = "" if spec.binds_all else "; elsewhere a hit is reviewed"
        return f"Binds {spec.binds_text}{elsewhere}. " + " | ".join(parts)

    @admin.display(description="snapshot in force")
    def snapshot_in_force(self, obj: ListSource) -> str:
        row = self._row(obj)
        if not row.get("snapshot"):
            return "none"
        return f"{row['snapshot']} ({row['entries']} entries)"

    @admin.display(description="freshness")
    def freshness(self, obj: ListSource) -> str:
        row = self._row(obj)
        age = row.get("age_hours")
        aged = f", {age:g} h old" if age is not None else ""
        return f"{row.get('state', '?')}{aged} (max {row.get('max_age_days', 0):g} days)"

    def get_queryset(self, request: HttpRequest) -> Any:
        list_sources_ensure()  # every source of sources.yaml has a row to show
        return super().get_queryset(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return roles.can_manage_compliance(request.user)

    def save_model(self, request: HttpRequest, obj: ListSource, form: Any, change: bool) -> None:
        if "enabled" not in form.changed_data:
            return
        try:
            list_source_set_enabled(
                key=obj.key,
                enabled=form.cleaned_data["enabled"],
                actor=request.user,  # type: ignore[arg-type]
                reason=form.cleaned_data.get("reason") or "",
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
