"""Manager page forms. They only collect input; the services validate and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from dispatch import roles, selectors
from dispatch.labels import engineer_label
from dispatch.models import Activity, Facility, Mode, VisitStatus
from dispatch.validators import id_param


class VisitFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status"), *VisitStatus.choices], required=False)
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"placeholder": "Visit number, engineer, facility, owner or purpose"}
        ),
    )


class VisitForm(forms.Form):
    facility = forms.ModelChoiceField(
        queryset=Facility.objects.select_related("customer").order_by("name")
    )
    engineers = forms.ModelMultipleChoiceField(queryset=None, widget=forms.CheckboxSelectMultiple)
    tools = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tools at the chosen facility.",
    )
    activity = forms.ChoiceField(choices=Activity.choices)
    mode = forms.ChoiceField(choices=Mode.choices, initial=Mode.ON_SITE)
    start_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    purpose = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        engineers = (
            selectors.engineers_visible_to(user)
            .filter(is_active=True)
            .prefetch_related("citizenships", "residencies")
        )
        self.fields["engineers"].queryset = engineers
        self.fields["engineers"].label_from_instance = engineer_label
        tools = selectors.tools_visible_to(user)
        facility_id = id_param(self.data.get("facility") or self.initial.get("facility"))
        if facility_id:
            tools = tools.filter(facility_id=facility_id)
        self.fields["tools"].queryset = tools.order_by("model")
        self.fields["facility"].label_from_instance = lambda f: (
            f"{f.name} — {f.customer.name} ({f.city}, {f.country})"
        )

    def visit_fields(self) -> dict[str, Any]:
        """The cleaned fields as the visit services take them (ids, not objects)."""
        data = self.cleaned_data
        return {
            "facility": data["facility"].pk,
            "engineers": [e.pk for e in data["engineers"]],
            "tools": [t.pk for t in data["tools"]],
            "activity": data["activity"],
            "mode": data["mode"],
            "start_date": data["start_date"],
            "end_date": data["end_date"],
            "purpose": data["purpose"],
        }


class RoleLoginForm(AuthenticationForm):
    """The login page: a right password is not enough for an account that holds no role."""

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if not roles.holds_any_role(user):
            raise ValidationError(
                "This account holds no role; ask an administrator for one.", code="no_role"
            )
