"""Input and output serializers of the dispatch API (DESIGN sec. 9)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from compliance.api.serializers import (
    MultiLineField,
    SingleLineField,
    VisitDecisionOut,
    classification_code_field,
)
from config.api_base import StrictSerializer, id_field
from dispatch import roles
from dispatch.countries import validate_country_code
from dispatch.models import (
    Activity,
    Customer,
    Engineer,
    Facility,
    Mode,
    Tool,
    Vendor,
    Visit,
    VisitStatus,
)
from dispatch.validators import MAX_VISIT_ITEMS, MAX_VISIT_PARTIES, validate_alias_texts


# --- Output ----------------------------------------------------------------------------------
class VendorOut(serializers.ModelSerializer):
    class Meta:
        model = Vendor
        fields = ("id", "name", "country", "is_us_branch")


class CitizenshipOut(serializers.Serializer):
    country = serializers.CharField()
    since = serializers.DateField(allow_null=True)


class ResidencyOut(serializers.Serializer):
    country = serializers.CharField()
    since = serializers.DateField(allow_null=True)
    until = serializers.DateField(allow_null=True)


class EngineerOut(serializers.ModelSerializer):
    citizenships = CitizenshipOut(many=True, read_only=True)
    permanent_residencies = ResidencyOut(many=True, read_only=True, source="residencies")

    class Meta:
        model = Engineer
        fields = (
            "id",
            "vendor",
            "name",
            "employee_id",
            "home_country",
            "date_of_birth",
            "citizenships",
            "permanent_residencies",
            "us_protected_individual",
            "is_active",
        )


class OwnerStakeSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=300)
    share = serializers.FloatField(allow_null=True, required=False, default=None)
    source = serializers.CharField(max_length=300, allow_null=True, required=False, default=None)
    as_of = serializers.DateField(allow_null=True, required=False, default=None)


class CustomerOut(serializers.ModelSerializer):
    aliases = serializers.ListField(child=serializers.CharField())
    owners = OwnerStakeSerializer(many=True, help_text="Who owns the customer, screened like it.")

    class Meta:
        model = Customer
        fields = ("id", "name", "aliases", "owners", "country")

    def to_representation(self, instance: Customer) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        # Who owns a customer, and how much, is for the compliance side (approvers, auditors):
        # a vendor's manager sees the shared customer without it.
        if request is None or not roles.sees_all_vendors(request.user):
            data.pop("owners", None)
        return data


class FacilityOut(serializers.ModelSerializer):
    products = serializers.ListField(child=serializers.CharField())
    dram_half_pitch_nm = serializers.FloatField(allow_null=True)
    dram_cell_area_um2 = serializers.FloatField(allow_null=True)

    class Meta:
        model = Facility
        fields = (
            "id",
            "customer",
            "name",
            "building",
            "address",
            "city",
            "country",
            "region",
            "products",
            "logic_node_nm",
            "non_planar",
            "nand_layers",
            "dram_half_pitch_nm",
            "dram_cell_area_um2",
            "capability_assessed_on",
            "capability_evidence",
        )


class ToolOut(serializers.ModelSerializer):
    classifications = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField())
    )

    class Meta:
        model = Tool
        fields = (
            "id",
            "facility",
            "oem",
            "model",
            "serial_number",
            "classifications",
            "origin",
            "us_content_percent",
            "made_with_us_technology",
            "subject_to_ear",
            "ear_justification",
        )


class VisitOut(serializers.ModelSerializer):
    engineers = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    tools = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    requested_by = serializers.CharField(source="requested_by.username")
    decision = serializers.SerializerMethodField()

    class Meta:
        model = Visit
        fields = (
            "id",
            "vendor",
            "facility",
            "tools",
            "engineers",
            "activity",
            "mode",
            "start_date",
            "end_date",
            "purpose",
            "parties",
            "items",
            "status",
            "requested_by",
            "created_at",
            "updated_at",
            "decision",
        )

    @extend_schema_field(VisitDecisionOut(allow_null=True))
    def get_decision(self, obj: Visit) -> dict | None:
        d = obj.current_decision
        if d is None:
            return None
        return {
            "id": d.pk,
            **d.result,
            "change_reason": d.change_reason or None,
            "trigger": d.trigger,
        }


class VisitSummaryOut(VisitOut):
    """Lists carry the outcome, not the whole decision."""

    outcome = serializers.CharField(
        source="current_decision.outcome",
        default=None,
        allow_null=True,
        help_text="The current decision's outcome; null until the first check has run.",
    )

    class Meta(VisitOut.Meta):
        fields = tuple(f for f in VisitOut.Meta.fields if f != "decision") + ("outcome",)


# The visit API answers from rows (``dispatch.selectors.visit_list_rows`` / ``visit_row``) instead
# of model instances through the serializers above, which stay the documented schema (and serve
# other callers): the output is the same JSON, a test compares the two.
def _datetime_out(value: dt.datetime, tz: dt.tzinfo) -> str:
    """As DRF's DateTimeField: in the current time zone ``tz``, ISO 8601, UTC as ``Z``."""
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _visit_fields_out(
    row: dict[str, Any], engineer_ids: list[int], tool_ids: list[int], tz: dt.tzinfo
) -> dict[str, Any]:
    return {
        "id": row["id"],
        "vendor": row["vendor_id"],
        "facility": row["facility_id"],
        "tools": tool_ids,
        "engineers": engineer_ids,
        "activity": row["activity"],
        "mode": row["mode"],
        "start_date": row["start_date"].isoformat(),
        "end_date": row["end_date"].isoformat(),
        "purpose": row["purpose"],
        "parties": row["parties"],
        "items": row["items"],
        "status": row["status"],
        "requested_by": row["requested_by__username"],
        "created_at": _datetime_out(row["created_at"], tz),
        "updated_at": _datetime_out(row["updated_at"], tz),
    }


def visit_list_out(
    rows: list[dict[str, Any]],
    *,
    engineer_ids: dict[int, list[int]],
    tool_ids: dict[int, list[int]],
) -> list[dict[str, Any]]:
    """``VisitSummaryOut(many=True).data`` from rows of ``visit_list_rows``."""
    tz = timezone.get_current_timezone()
    out = []
    for row in rows:
        item = _visit_fields_out(row, engineer_ids[row["id"]], tool_ids[row["id"]], tz)
        item["outcome"] = row["current_decision__outcome"]
        out.append(item)
    return out


def visit_out(
    row: dict[str, Any], *, engineer_ids: list[int], tool_ids: list[int]
) -> dict[str, Any]:
    """``VisitOut(visit).data`` from a row of ``visit_row``."""
    item = _visit_fields_out(row, engineer_ids, tool_ids, timezone.get_current_timezone())
    decision_id = row["current_decision_id"]
    item["decision"] = (
        None
        if decision_id is None
        else {
            "id": decision_id,
            **row["current_decision__result"],
            "change_reason": row["current_decision__change_reason"] or None,
            "trigger": row["current_decision__trigger"],
        }
    )
    return item


# --- Input -----------------------------------------------------------------------------------
COUNTRY = {"max_length": 2, "min_length": 2}


class VendorIn(StrictSerializer):
    name = SingleLineField(max_length=200)
    country = serializers.CharField(**COUNTRY)
    is_us_branch = serializers.BooleanField(default=False)


class CitizenshipIn(StrictSerializer):
    country = serializers.CharField(**COUNTRY)
    since = serializers.DateField(required=False, allow_null=True)


class ResidencyIn(StrictSerializer):
    country = serializers.CharField(**COUNTRY)
    since = serializers.DateField(required=False, allow_null=True)
    until = serializers.DateField(required=False, allow_null=True)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "description": "ISO 3166-1 alpha-2 country code"},
            {
                "type": "object",
                "properties": {
                    "country": {"type": "string"},
                    "since": {"type": "string", "format": "date", "nullable": True},
                    "until": {"type": "string", "format": "date", "nullable": True},
                },
                "required": ["country"],
            },
        ]
    }
)
class CountryOrObject(serializers.Field):
    """A country code as shorthand for {"country": code}, as in the visit document."""

    def __init__(self, inner: type[StrictSerializer], **kwargs):  # type: ignore[no-untyped-def]
        self.inner = inner
        super().__init__(**kwargs)

    def to_internal_value(self, data):  # type: ignore[no-untyped-def]
        if isinstance(data, str):
            data = {"country": data}
        s = self.inner(data=data)
        s.is_valid(raise_exception=True)
        return dict(s.validated_data)

    def to_representation(self, value):  # type: ignore[no-untyped-def]
        return value


class EngineerIn(StrictSerializer):
    vendor = id_field()
    name = SingleLineField(max_length=200)
    employee_id = SingleLineField(max_length=50)
    home_country = serializers.CharField(**COUNTRY)
    date_of_birth = serializers.DateField(required=False, allow_null=True, default=None)
    citizenships = serializers.ListField(
        child=CountryOrObject(CitizenshipIn), max_length=20, default=list
    )
    permanent_residencies = serializers.ListField(
        child=CountryOrObject(ResidencyIn), max_length=20, default=list
    )
    us_protected_individual = serializers.BooleanField(default=False)
    is_active = serializers.BooleanField(default=True)


class AliasListField(serializers.ListField):
    """A list's other names: each one line of plain text, also at either end (where a plain
    ``CharField`` would trim a line break silently); the error names the alias ("Alias 2: …")."""

    def run_validation(self, data: Any = serializers.empty) -> Any:
        try:
            validate_alias_texts(data)  # before the child CharFields trim each alias
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return super().run_validation(data)


class CustomerIn(StrictSerializer):
    name = SingleLineField(max_length=300)
    country = serializers.CharField(**COUNTRY)
    aliases = AliasListField(
        child=serializers.CharField(max_length=300), max_length=50, default=list
    )
    owners = serializers.ListField(
        child=serializers.DictField(),
        max_length=50,
        default=list,
        help_text='[{"name": "...", "share": 60, "source": "...", "as_of": "2026-06-30"}]; '
        "validated by the service, each error naming owners[i].field.",
    )


class FacilityIn(StrictSerializer):
    customer = id_field()
    name = SingleLineField(max_length=200)
    building = SingleLineField(max_length=100, required=False, allow_blank=True, default="")
    address = SingleLineField(max_length=300, required=False, allow_blank=True, default="")
    city = SingleLineField(max_length=100)
    country = serializers.CharField(**COUNTRY)
    region = serializers.CharField(max_length=6, required=False, allow_blank=True, default="")
    products = serializers.ListField(
        child=serializers.CharField(max_length=10), max_length=4, default=list
    )
    logic_node_nm = serializers.IntegerField(
        min_value=1, max_value=1000, required=False, allow_null=True
    )
    non_planar = serializers.BooleanField(default=False)
    nand_layers = serializers.IntegerField(
        min_value=1, max_value=10000, required=False, allow_null=True
    )
    dram_half_pitch_nm = serializers.DecimalField(
        max_digits=6, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    dram_cell_area_um2 = serializers.DecimalField(
        max_digits=10, decimal_places=6, min_value=0, required=False, allow_null=True
    )
    capability_assessed_on = serializers.DateField(required=False, allow_null=True)
    capability_evidence = MultiLineField(
        max_length=5000, required=False, allow_blank=True, default=""
    )


class ToolIn(StrictSerializer):
    facility = id_field()
    oem = id_field()
    model = SingleLineField(max_length=200)
    serial_number = SingleLineField(max_length=100)
    classifications = serializers.DictField(
        child=serializers.ListField(child=classification_code_field(), max_length=20),
        default=dict,
        help_text='Codes per jurisdiction, e.g. {"US": ["3B001.f"], "NL": ["3B001.f.4"], '
        '"JP": ["METI-23:lithography"]}.',
    )
    origin = serializers.CharField(
        max_length=2, allow_blank=True, default="", validators=[validate_country_code]
    )
    us_content_percent = serializers.FloatField(
        allow_null=True, default=None, min_value=0, max_value=100
    )
    made_with_us_technology = serializers.BooleanField(allow_null=True, default=None)
    # A recorded determination overrides the derived one and needs ear_justification.
    subject_to_ear = serializers.BooleanField(allow_null=True, default=None)
    ear_justification = MultiLineField(allow_blank=True, default="", max_length=500)


class VisitIn(StrictSerializer):
    vendor = id_field()
    facility = id_field()
    tools = serializers.ListField(child=id_field(), max_length=50, default=list)
    engineers = serializers.ListField(child=id_field(), max_length=50)
    activity = serializers.ChoiceField(choices=Activity.choices)
    mode = serializers.ChoiceField(choices=Mode.choices, default=Mode.ON_SITE)
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    purpose = MultiLineField(max_length=5000, required=False, allow_blank=True, default="")
    # Purchaser, consignee, end user or operator where they differ from the owner; the service
    # checks each entry and names the field ("parties[0].role").
    parties = serializers.ListField(
        child=serializers.DictField(), max_length=MAX_VISIT_PARTIES, default=list
    )
    # What the visit ships, hands over or transfers; null (the default) when not listed.
    items = serializers.ListField(
        child=serializers.DictField(), max_length=MAX_VISIT_ITEMS, allow_null=True, default=None
    )


class ToolFilterIn(StrictSerializer):
    """The tool list's own filter (the page parameters are the paginator's)."""

    facility = id_field(required=False)


class StatusListField(serializers.CharField):
    """Visit statuses, comma-separated (``held,blocked``); each must be one of ``VisitStatus``."""

    def to_internal_value(self, data: Any) -> str:
        text = super().to_internal_value(data)
        allowed = [value for value, _ in VisitStatus.choices]
        wanted = [part.strip() for part in text.split(",")]
        bad = [part for part in wanted if part not in allowed]
        if bad:
            raise serializers.ValidationError(
                f"Unknown status {bad[0]!r}; allowed: {', '.join(allowed)} "
                "(several separated by commas)."
            )
        return ",".join(wanted)


class VisitFilterIn(StrictSerializer):
    status = StatusListField(required=False, max_length=200)
    facility = id_field(required=False)
    vendor = id_field(required=False)
    start_from = serializers.DateField(required=False)
    start_to = serializers.DateField(required=False)
    page = serializers.IntegerField(required=False, min_value=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=200)
    search = SingleLineField(required=False, max_length=200)


class ReasonIn(StrictSerializer):
    reason = MultiLineField(max_length=5000, required=False, allow_blank=True, default="")
