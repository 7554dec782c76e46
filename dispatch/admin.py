"""Admin for the dispatch domain. Visits and reference data are written through
``dispatch.services``, so the admin enforces the same invariants and permissions as the API and
pages, and records the same audit events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse

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
    """Show a service's field errors beside the admin form's fields (the others above the form)."""
    unplaced = []
    for field, messages in exc.errors.items():
        name = field.split("[")[0].split(".")[0]
        for message in messages:
            if name in form.fields:
                form.add_error(name, message)
            elif name in ("non_field_errors", "__all__"):
                unplaced.append(message)
            else:
                unplaced.append(f"{field}: {message}")  # e.g. an inline row: name it
    if unplaced or not exc.errors:
        form.add_error(None, "; ".join(unplaced) if unplaced else exc.message)


# What each user may pick in a form, per related model (a service manager: only their own vendor,
# its engineers, tools and visits), and the error for any other id: the same as for an id that does
# not exist, naming nothing of another vendor. Facilities and customers are shared reference data.
_PICKABLE: dict[type[Model], tuple[Callable[[Any], QuerySet[Any]], str]] = {
    Vendor: (selectors.vendors_visible_to, "No such vendor: %(value)s."),
    Engineer: (selectors.engineers_visible_to, "No such engineer: %(value)s."),
    Tool: (selectors.tools_visible_to, "No such tool: %(value)s."),
    Visit: (selectors.visits_visible_to, "No such visit: %(value)s."),
}


def pickable(model: type[Model], user: Any) -> dict[str, Any]:
    """Form field arguments that limit a choice of ``model`` to the rows ``user`` may see (so an id
    outside them fails the field's own validation), or ``{}`` for shared reference data."""
    if model not in _PICKABLE:
        return {}
    visible_to, unknown = _PICKABLE[model]
    return {"queryset": visible_to(user), "error_messages": {"invalid_choice": unknown}}


def limit_choices(field: Any, user: Any) -> None:
    """Limit an existing model choice field of a form to what ``user`` may pick."""
    queryset = getattr(field, "queryset", None)
    limits = pickable(queryset.model, user) if queryset is not None else {}
    if limits:
        field.queryset = limits["queryset"]  # the admin's widget wrappers follow the field
        field.error_messages = {**field.error_messages, **limits["error_messages"]}


class VendorScopedAdmin(admin.ModelAdmin):
    """A model admin that keeps each vendor's data to the users who may see it.

    - Every foreign-key and many-to-many field offers, and accepts, only the vendors, engineers,
      tools and visits the user may see: an id outside them fails the form's own validation, like
      an unknown id, and nothing is written.
    - An object outside ``get_queryset`` (or one that does not exist) answers 404 on its change,
      view, history and delete pages, so an id neither reveals nor confirms another vendor's
      object. Subclasses scope ``get_queryset`` to the user.

    List filters on a vendor use ``RelatedOnlyFieldListFilter``: they offer the vendors of the rows
    listed, not every vendor.
    """

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if "queryset" not in kwargs:
            kwargs.update(pickable(db_field.related_model, request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if "queryset" not in kwargs:
            kwargs.update(pickable(db_field.related_model, request.user))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _get_obj_does_not_exist_redirect(
        self, request: HttpRequest, opts: Any, object_id: str
    ) -> HttpResponse:
        # Django's one hook for "no such object" in the change, history and delete views (it would
        # redirect to the index with a message): the same plain 404 for hidden and missing ids.
        raise Http404(f"No {opts.verbose_name} matches the given query.")


class ServiceModelAdmin(VendorScopedAdmin):
    """A model admin that writes through ``dispatch.services`` instead of ``obj.save()``.

    Django validates the form and its inlines as usual; ``save_related`` (the first hook that sees
    both) hands the changed fields and the inline rows to the service, which validates them again,
    saves, records the audit event and re-checks the open visits that read them, inside the
    admin's transaction. If the service refuses, that transaction rolls back and the form is shown
    again with the service's errors.
    """

    read_only_on_change: tuple[str, ...] = ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Reference data is never deleted here: deleting a tool or an engineer would silently
        take it off open visits (their many-to-many rows go with it) without an audit event or
        a re-check. Engineers are deactivated instead; records stay for the decisions that cite
        them."""
        return False

    def service_create(self, request: HttpRequest, data: dict[str, Any], formsets: Any) -> Any:
        raise NotImplementedError

    def service_update(
        self, request: HttpRequest, obj: Any, changes: dict[str, Any], formsets: Any
    ) -> None:
        raise NotImplementedError

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = tuple(super().get_readonly_fields(request, obj))
        return fields + self.read_only_on_change if obj is not None else fields

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form_class = super().get_form(request, obj, change=change, **kwargs)
        if not hasattr(request, "_service_refusal"):
            return form_class
        refusal: ApplicationError = request._service_refusal

        class RefusedForm(form_class):  # type: ignore[misc, valid-type]
            def clean(self) -> dict[str, Any]:
                data: dict[str, Any] = super().clean()
                _apply_service_errors(self, refusal)
                return data

        return RefusedForm

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as exc:
            # Nothing was written (the view's transaction rolled back): show the form again,
            # this time invalid with the service's errors, so nothing is saved either.
            request._service_refusal = exc  # type: ignore[attr-defined]
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        pass  # saved by the service in save_related, once the inline rows are known too

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        for formset in formsets:
            formset.save(commit=False)  # lists the added/changed/deleted rows for the admin log
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            self.service_update(request, form.instance, changes, formsets)
        else:
            created = self.service_create(request, dict(form.cleaned_data), formsets)
            # The admin's log entry and redirect use the object it built: give it the saved id.
            form.instance.pk = created.pk
            form.instance._state.adding = False


def _inline_rows(formset: Any, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """The rows of an inline as the user left them: kept, edited and added ones, not deleted."""
    deleted = formset.deleted_forms
    return [
        {name: form.cleaned_data.get(name) for name in fields}
        for form in formset.forms
        if form not in deleted and (form.instance.pk is not None or form.has_changed())
    ]


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


class CitizenshipInline(admin.TabularInline):
    model = Citizenship
    extra = 1


class ResidencyInline(admin.TabularInline):
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
                data["citizenships"] = _inline_rows(formset, ("country", "since"))
            elif formset.model is Residency:
                data["permanent_residencies"] = _inline_rows(formset, ("country", "since", "until"))
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


@admin.register(Tool)
class ToolAdmin(ServiceModelAdmin):
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
    pass


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
