"""Admin for the dispatch domain. Visits and engineers are written through ``dispatch.services``,
so the admin enforces the same invariants and permissions as the API and pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from config.errors import ApplicationError
from dispatch import roles, selectors, services
from dispatch.models import (
    Citizenship,
    Customer,
    Engineer,
    Facility,
    Residency,
    Tool,
    UserProfile,
    Vendor,
    Visit,
)

admin.site.site_header = "Fab dispatch compliance"
admin.site.site_title = "Dispatch compliance"
admin.site.index_title = "Administration"


def _apply_service_errors(form: forms.Form, exc: ApplicationError) -> None:
    """Show a service's field errors beside the admin form's fields."""
    placed = False
    for field, messages in exc.errors.items():
        name = field.split("[")[0].split(".")[0]
        for message in messages:
            if name in form.fields:
                form.add_error(name, message)
                placed = True
    if not placed:
        form.add_error(None, exc.message)


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ("name", "country", "is_us_branch", "created_at")
    list_filter = ("country", "is_us_branch")
    search_fields = ("name",)


class CitizenshipInline(admin.TabularInline):
    model = Citizenship
    extra = 1


class ResidencyInline(admin.TabularInline):
    model = Residency
    extra = 0


@admin.register(Engineer)
class EngineerAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "employee_id",
        "vendor",
        "nationalities",
        "home_country",
        "us_protected_individual",
        "is_active",
    )
    list_filter = ("vendor", "home_country", "is_active", "us_protected_individual")
    search_fields = ("name", "employee_id")
    inlines = [CitizenshipInline, ResidencyInline]
    list_select_related = ("vendor",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Engineer]:
        return selectors.engineers_visible_to(request.user).prefetch_related("citizenships")

    @admin.display(description="Citizenships")
    def nationalities(self, obj: Engineer) -> str:
        return ", ".join(c.country for c in obj.citizenships.all()) or "—"

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if change:
            from compliance.models import Trigger
            from compliance.services import visits_request_check

            visits_request_check(
                visits=Visit.objects.filter(engineers=form.instance), trigger=Trigger.EDIT
            )


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "country", "alias_list")
    list_filter = ("country",)
    search_fields = ("name", "aliases")

    @admin.display(description="Aliases")
    def alias_list(self, obj: Customer) -> str:
        return ", ".join(obj.aliases or []) or "—"


@admin.register(Facility)
class FacilityAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "customer",
        "city",
        "country",
        "products_display",
        "logic_node_nm",
        "non_planar",
        "nand_layers",
        "dram_half_pitch_nm",
    )
    list_filter = ("country", "non_planar")
    search_fields = ("name", "customer__name", "city")
    list_select_related = ("customer",)

    @admin.display(description="Products")
    def products_display(self, obj: Facility) -> str:
        return ", ".join(obj.products or []) or "unknown"

    def save_model(self, request: HttpRequest, obj: Facility, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change:
            from compliance.models import Trigger
            from compliance.services import visits_request_check

            visits_request_check(visits=Visit.objects.filter(facility=obj), trigger=Trigger.EDIT)


@admin.register(Tool)
class ToolAdmin(admin.ModelAdmin):
    list_display = (
        "model",
        "serial_number",
        "oem",
        "facility",
        "classification_display",
        "subject_to_ear",
    )
    list_filter = ("oem", "subject_to_ear", "facility__country")
    search_fields = ("model", "serial_number", "facility__name")
    list_select_related = ("oem", "facility")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tool]:
        return selectors.tools_visible_to(request.user)

    @admin.display(description="Classifications")
    def classification_display(self, obj: Tool) -> str:
        return (
            "; ".join(
                f"{k}: {', '.join(v)}" for k, v in sorted((obj.classifications or {}).items()) if v
            )
            or "—"
        )


class VisitAdminForm(forms.ModelForm):
    class Meta:
        model = Visit
        fields = (
            "vendor",
            "facility",
            "engineers",
            "tools",
            "activity",
            "mode",
            "start_date",
            "end_date",
            "purpose",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.request = kwargs.pop("request", None)
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        user = self.request.user if self.request else None
        try:
            if self.instance.pk:
                self.saved = services.visit_update(
                    visit=self.instance,
                    user=user,
                    facility=data["facility"].pk,
                    engineers=[e.pk for e in data["engineers"]],
                    tools=[t.pk for t in data["tools"]],
                    activity=data["activity"],
                    mode=data["mode"],
                    start_date=data["start_date"],
                    end_date=data["end_date"],
                    purpose=data.get("purpose") or "",
                )
            else:
                self.saved = services.visit_create(
                    requested_by=user,
                    vendor=data["vendor"].pk,
                    facility=data["facility"].pk,
                    engineers=[e.pk for e in data["engineers"]],
                    tools=[t.pk for t in data["tools"]],
                    activity=data["activity"],
                    mode=data["mode"],
                    start_date=data["start_date"],
                    end_date=data["end_date"],
                    purpose=data.get("purpose") or "",
                )
        except ApplicationError as exc:
            _apply_service_errors(self, exc)
        return data

    def _post_clean(self) -> None:
        # The service has validated and saved; skip the model's own instance construction.
        if getattr(self, "saved", None) is None:
            super()._post_clean()


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    form = VisitAdminForm
    list_display = (
        "id",
        "status",
        "vendor",
        "facility",
        "activity",
        "start_date",
        "end_date",
        "requested_by",
        "created_at",
    )
    list_filter = ("status", "activity", "mode", "vendor", "facility__country")
    search_fields = (
        "id",
        "facility__name",
        "facility__customer__name",
        "engineers__name",
        "purpose",
    )
    date_hierarchy = "start_date"
    list_select_related = ("vendor", "facility", "requested_by")
    filter_horizontal = ("engineers", "tools")
    readonly_fields = ("status", "current_decision", "requested_by", "created_at", "updated_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Visit]:
        return selectors.visits_visible_to(request.user)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form_class = super().get_form(request, obj, change=change, **kwargs)

        class RequestForm(form_class):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **kw: Any) -> None:
                kw["request"] = request
                super().__init__(*args, **kw)

        return RequestForm

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Visit:
        # The service saved the visit while validating the form; hand the admin that object.
        return form.saved

    def save_model(self, request: HttpRequest, obj: Visit, form: Any, change: bool) -> None:
        pass  # saved by the service

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # visits are cancelled, never deleted

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not obj.is_open:
            return False
        return super().has_change_permission(request, obj) and not roles.is_read_only(request.user)


@admin.register(UserProfile)
class UserProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "vendor")
    list_select_related = ("user", "vendor")
