"""The dispatch board's form: a facility, optionally a tool, an activity and a range of days."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from compliance.services.board import DEFAULT_DAYS, MAX_DAYS, MAX_LENGTH
from dispatch import selectors
from dispatch.models import Activity, Facility, Mode
from dispatch.validators import id_param


class BoardForm(forms.Form):
    facility = forms.ModelChoiceField(
        queryset=Facility.objects.select_related("customer").order_by("name")
    )
    tool = forms.ModelChoiceField(queryset=None, required=False, empty_label="No tool")
    activity = forms.ChoiceField(choices=Activity.choices, initial=Activity.MAINTENANCE)
    mode = forms.ChoiceField(choices=Mode.choices, initial=Mode.ON_SITE)
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    days = forms.IntegerField(label="Days", min_value=1, max_value=MAX_DAYS, initial=DEFAULT_DAYS)
    length = forms.IntegerField(
        label="Visit length (days)", min_value=1, max_value=MAX_LENGTH, initial=1
    )

    @staticmethod
    def defaults() -> dict[str, str]:
        """What a query that leaves a setting out gets: the next 30 days, a one-day visit."""
        return {
            "activity": Activity.MAINTENANCE,
            "mode": Mode.ON_SITE,
            "start": timezone.localdate().isoformat(),
            "days": str(DEFAULT_DAYS),
            "length": "1",
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["start"].initial = timezone.localdate()
        tools = selectors.tools_visible_to(user)
        facility_id = id_param(self.data.get("facility"))
        if facility_id:
            tools = tools.filter(facility_id=facility_id)
        self.fields["tool"].queryset = tools.order_by("model", "serial_number")
        self.fields["tool"].label_from_instance = lambda t: (
            f"{t.model} {t.serial_number} ({t.facility.name})"
        )
        self.fields["facility"].label_from_instance = lambda f: (
            f"{f.name} — {f.customer.name} ({f.city}, {f.country})"
        )

    def clean_start(self) -> dt.date:
        start = self.cleaned_data["start"]
        today = timezone.localdate()
        if start < today:
            raise forms.ValidationError(
                f"The first day {start.isoformat()} is in the past (today is "
                f"{today.isoformat()}): a visit is filed before it starts."
            )
        if start > today + dt.timedelta(days=730):
            raise forms.ValidationError("The first day must be within two years from today.")
        return start

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        tool, facility = data.get("tool"), data.get("facility")
        if tool is not None and facility is not None and tool.facility_id != facility.pk:
            self.add_error("tool", "This tool is not at the chosen facility.")
        return data
