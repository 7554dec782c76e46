"""Admin for the dispatch domain. Visits and reference data are written through
``dispatch.services``, so the admin enforces the same invariants and permissions as the API and
pages, and records the same audit events."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import HttpRequest

from config.errors import ApplicationError
from dispatch import roles, selectors, services
from dispatch.admin_scoping import (
    ServiceModelAdmin,
    VendorScopedAdmin,
    apply_service_errors,
    inline_rows,
    limit_choices,
)
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
from dispatch.validators import validate_plain_text

admin.site.site_header = "Fab dispatch compliance"
admin.site.site_title = "Dispatch compliance"
admin.site.index_title = "Administration"


@admin.register(Vendor)
class VendorAdmin(ServiceModelAdmin):
    list_display = ("name", "country", "is_us_branch", "created_at")
    list_filter = ("country", "is_us_branch")
    search_fields = ("name",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Vendor]:
        return selectors.vendors_visible_to(request.user)

    def service_create(self, request: HttpRequest, data: dict[str, Any], formsets: Any) -> Vendor:
        return services.vendor_create(user=request.user, **data)

    def service_update(
        self, request: HttpRequest, obj: Vendor, changes: dict[str, Any], formsets: Any
    ) -> None:
        services.vendor_update(vendor=obj, user=request.user, **changes)


class EngineerFactsInline(admin.TabularInline):
    """An engineer's citizenships or residencies: part of the engineer, so whoever may view,
    add or change the engineer (a service manager, for their own vendor's) may do the same here;
    the rows are written by ``engineer_create``/``engineer_update`` with the engineer."""

    def _engineer_permission(self, request: HttpRequest, action: str) -> bool:
        return request.user.has_perm(f"dispatch.{action}_engineer")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._engineer_permission(request, "view") or self._engineer_permission(
            request, "change"
        )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        action = "change" if obj is not None else "add"
        return self._engineer_permission(request, action)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        action = "change" if obj is not None else "add"
        return self._engineer_permission(request, action)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._engineer_permission(request, "change")


class CitizenshipInline(EngineerFactsInline):
    model = Citizenship
    extra = 1


class ResidencyInline(EngineerFactsInline):
    model = Residency
    extra = 0


@admin.register(Engineer)
class EngineerAdmin(ServiceModelAdmin):
    list_display = (
        "name",
        "employee_id",
        "vendor",
        "nationalities",
        "home_country",
        "us_protected_individual",
        "is_active",
    )
    list_filter = (
        ("vendor", admin.RelatedOnlyFieldListFilter),
        "home_country",
        "is_active",
        "us_protected_individual",
    )
    search_fields = ("name", "employee_id")
    inlines = [CitizenshipInline, ResidencyInline]
    list_select_related = ("vendor",)
    read_only_on_change = ("vendor",)  # engineer_update keeps an engineer at their vendor

    def get_queryset(self, request: HttpRequest) -> QuerySet[Engineer]:
        return selectors.engineers_visible_to(request.user).prefetch_related("citizenships")

    @admin.display(description="Citizenships")
    def nationalities(self, obj: Engineer) -> str:
        return ", ".join(c.country for c in obj.citizenships.all()) or "—"

    @staticmethod
    def _inline_data(formsets: Any, *, changed_only: bool) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for formset in formsets:
            if changed_only and not formset.has_changed():
                continue
            if formset.model is Citizenship:
                data["citizenships"] = inline_rows(formset, ("country", "since"))
            elif formset.model is Residency:
                data["permanent_residencies"] = inline_rows(formset, ("country", "since", "until"))
        return data

    def service_create(self, request: HttpRequest, data: dict[str, Any], formsets: Any) -> Engineer:
        return services.engineer_create(
            user=request.user, **data, **self._inline_data(formsets, changed_only=False)
        )

    def service_update(
        self, request: HttpRequest, obj: Engineer, changes: dict[str, Any], formsets: Any
    ) -> None:
        services.engineer_update(
            engineer=obj,
            user=request.user,
            **changes,
            **self._inline_data(formsets, changed_only=True),
        )


@admin.register(Customer)
class CustomerAdmin(ServiceModelAdmin):
    list_display = ("name", "country", "alias_list")
    list_filter = ("country",)
    search_fields = ("name", "aliases")

    @admin.display(description="Aliases")
    def alias_list(self, obj: Customer) -> str:
        return ", ".join(obj.aliases or []) or "—"

    def service_create(self, request: HttpRequest, data: dict[str, Any], formsets: Any) -> Customer:
        return services.customer_create(user=request.user, **data)

    def service_update(
        self, request: HttpRequest, obj: Customer, changes: dict[str, Any], formsets: Any
    ) -> None:
        services.customer_update(customer=obj, user=request.user, **changes)


@admin.register(Facility)
class FacilityAdmin(ServiceModelAdmin):
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

    def service_create(self, request: HttpRequest, data: dict[str, Any], formsets: Any) -> Facility:
        return services.facility_create(user=request.user, **data)

    def service_update(
        self, request: HttpRequest, obj: Facility, changes: dict[str, Any], formsets: Any
    ) -> None:
        services.facility_update(facility=obj, user=request.user, **changes)


class DeterminationSelect(forms.NullBooleanSelect):
    """The recorded determination, saying what "none" means: the status is derived."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.choices = [
            ("unknown", "None recorded: derive it"),
            ("true", "Recorded: subject to the EAR"),
            ("false", "Recorded: not subject to the EAR"),
        ]


@admin.register(Tool)
class ToolAdmin(ServiceModelAdmin):
    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "subject_to_ear":
            kwargs["widget"] = DeterminationSelect()
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    list_display = (
        "model",
        "serial_number",
        "oem",
        "facility",
        "classification_display",
        "subject_to_ear",
    )
    list_filter = (
        ("oem", admin.RelatedOnlyFieldListFilter),
        "subject_to_ear",
        "origin",
        "facility__country",
    )
    search_fields = ("model", "serial_number", "facility__name")
    list_select_related = ("oem", "facility")
    read_only_on_change = ("facility", "oem")  # the visits that list a tool were filed for them

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

    def service_create(self, request: HttpRequest, data: dict[str, Any], formsets: Any) -> Tool:
        return services.tool_create(user=request.user, **data)

    def service_update(
        self, request: HttpRequest, obj: Tool, changes: dict[str, Any], formsets: Any
    ) -> None:
        services.tool_update(tool=obj, user=request.user, **changes)


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
            "parties",
            "items",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.request = kwargs.pop("request", None)
        super().__init__(*args, **kwargs)
        # Offer and accept only the vendor, engineers and tools the user may see (the admin's
        # field callbacks already do; the form does too, wherever it is used). Without a request
        # nobody is signed in: nothing may be picked.
        user = self.request.user if self.request else AnonymousUser()
        for field in self.fields.values():
            limit_choices(field, user)

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
                    parties=data.get("parties") or [],
                    items=data.get("items"),
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
                    parties=data.get("parties") or [],
                    items=data.get("items"),
                )
        except ApplicationError as exc:
            apply_service_errors(self, exc)
        return data

    def _post_clean(self) -> None:
        # The service has validated and saved; skip the model's own instance construction.
        if getattr(self, "saved", None) is None:
            super()._post_clean()


@admin.register(Visit)
class VisitAdmin(VendorScopedAdmin):
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
    list_filter = (
        "status",
        "activity",
        "mode",
        ("vendor", admin.RelatedOnlyFieldListFilter),
        "facility__country",
    )
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


class AccessAuditedAdmin(admin.ModelAdmin):
    """Records every change of who may file, approve or audit (roles, vendor, superuser, staff,
    active) as one ``access_changed`` audit event, inside the admin's transaction."""

    def access_user(self, obj: Any) -> Any:
        return obj

    def access_before(self, obj: Any, change: bool) -> dict[str, Any] | None:
        return services.user_access_facts(self.access_user(obj)) if change else None

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        request._access_before = self.access_before(obj, change)  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        services.user_access_record(
            user=self.access_user(form.instance),
            actor=request.user,
            old=getattr(request, "_access_before", None),
        )


class AuditedUserAdmin(AccessAuditedAdmin, DjangoUserAdmin):
    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # A person's names go into notices: one line of plain text, like every other name.
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name in ("first_name", "last_name") and field is not None:
            field.validators.append(validate_plain_text)
        return field


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), AuditedUserAdmin)


@admin.register(UserProfile)
class UserProfileAdmin(AccessAuditedAdmin):
    def access_user(self, obj: Any) -> Any:
        return obj.user

    def access_before(self, obj: Any, change: bool) -> dict[str, Any] | None:
        # The user exists before their profile does: a new profile changes their vendor too.
        return services.user_access_facts(obj.user)

    list_display = ("user", "vendor")
    list_select_related = ("user", "vendor")
