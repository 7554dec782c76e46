"""The base of every dispatch and compliance admin: vendor scoping and writes through services.

``VendorScopedAdmin`` shows a service manager only their own vendor's rows and pickers, and answers
another vendor's id with 404 exactly like an unknown one; ``ServiceModelAdmin`` saves through
``dispatch.services`` so the admin keeps the invariants and audit events of the API and pages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from config.errors import ApplicationError
from dispatch import selectors
from dispatch.models import (
    Engineer,
    Tool,
    Vendor,
    Visit,
)


def apply_service_errors(form: forms.Form, exc: ApplicationError) -> None:
    """Show a service's field errors beside the admin form's fields (the others above the form)."""
    unplaced = []
    for field, messages in exc.errors.items():
        name = field.split("[")[0].split(".")[0]
        for message in messages:
            if name in form.fields:
                # "owners[0].share": beside the owners field, saying which owner and what.
                form.add_error(name, message if field == name else f"{field}: {message}")
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
                apply_service_errors(self, refusal)
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


def inline_rows(formset: Any, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """The rows of an inline as the user left them: kept, edited and added ones, not deleted."""
    deleted = formset.deleted_forms
    return [
        {name: form.cleaned_data.get(name) for name in fields}
        for form in formset.forms
        if form not in deleted and (form.instance.pk is not None or form.has_changed())
    ]
