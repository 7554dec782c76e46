"""Reference data: vendors, customers, facilities and tools, each change audited with old and new
values and followed by a re-check of the open visits it touches.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from compliance.audit import audit_record
from compliance.models import AuditEventType
from config.errors import NotFound
from config.text import nfc, unsafe_message
from dispatch import roles
from dispatch.models import (
    Customer,
    Facility,
    Tool,
    Vendor,
    Visit,
)
from dispatch.roles import User
from dispatch.selectors import open_visits_referencing
from dispatch.services.validation import (
    Errors,
    apply_reference_change,
    copy_fields,
    country_value,
    full_clean,
    pk_of,
    require_reference_writer,
    unknown_fields,
)

VENDOR_FIELDS = ("name", "country", "is_us_branch")


def _vendor_facts(vendor: Vendor) -> dict[str, Any]:
    return {k: getattr(vendor, k) for k in VENDOR_FIELDS}


def vendor_create(
    *, user: User | None = None, name: str, country: str, is_us_branch: bool = False
) -> Vendor:
    require_reference_writer(user)
    errors = Errors()
    country_value(country, "country", errors)
    vendor = Vendor(name=name, country=country, is_us_branch=is_us_branch)
    full_clean(vendor, errors, exclude=["country"])
    errors.raise_if_any("The vendor was not saved.")
    with transaction.atomic():
        vendor.save()
        audit_record(
            event_type=AuditEventType.REFERENCE_CHANGED,
            obj=vendor,
            actor=user,
            new=_vendor_facts(vendor),
        )
    return vendor


def vendor_update(*, vendor: Vendor, user: User | None = None, **fields: object) -> Vendor:
    """Change a vendor's name, country or US-branch status; re-checks its open visits."""

    require_reference_writer(user)
    errors = Errors()
    unknown_fields(fields, VENDOR_FIELDS, errors)
    if "country" in fields:
        country_value(fields["country"], "country", errors)
    errors.raise_if_any("The vendor was not saved.")
    with transaction.atomic():
        locked = Vendor.objects.select_for_update().get(pk=vendor.pk)
        apply_reference_change(
            locked=locked,
            fields=fields,
            facts=_vendor_facts,
            user=user,
            errors=errors,
            refused="The vendor was not saved.",
            visits=lambda: open_visits_referencing(vendor_ids=[locked.pk]),
            exclude=["country"],
        )
    copy_fields(source=locked, target=vendor, fields=VENDOR_FIELDS)
    return locked


CUSTOMER_FIELDS = ("name", "country", "aliases", "owners")
_STAKE_KEYS = frozenset({"name", "share", "source", "as_of"})


def _owners(value: object, errors: Errors) -> list[dict[str, Any]]:
    """Who owns a customer, as stored: each a name (plain text), a share in percent (above 0 and
    at most 100, or null when not known), an optional source and an optional as-of date."""
    if value is None:
        return []
    if not isinstance(value, list | tuple) or len(value) > 50:
        errors.add("owners", "Owners must be a list of at most 50 objects.")
        return []
    stakes: list[dict[str, Any]] = []
    for i, raw in enumerate(value):
        where = f"owners[{i}]"
        if not isinstance(raw, dict) or set(raw) - _STAKE_KEYS:
            errors.add(where, f"An owner is an object with {', '.join(sorted(_STAKE_KEYS))}.")
            continue
        name, share, source, as_of = (raw.get(k) for k in ("name", "share", "source", "as_of"))
        if not isinstance(name, str) or not name.strip() or len(name) > 300:
            errors.add(f"{where}.name", "The owner's name is required (at most 300 characters).")
        elif message := unsafe_message(name):
            errors.add(f"{where}.name", message)
        if share is not None and (
            isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 100
        ):
            errors.add(
                f"{where}.share", "The share is a percentage above 0 and at most 100, or null."
            )
        if source is not None and (
            not isinstance(source, str) or unsafe_message(source) or len(source) > 300
        ):
            errors.add(f"{where}.source", "The source is plain text of at most 300 characters.")
        if as_of is not None:
            try:
                as_of = dt.date.fromisoformat(as_of).isoformat() if isinstance(as_of, str) else None
            except ValueError:
                as_of = None
            if as_of is None:
                errors.add(f"{where}.as_of", "The as-of date is a date (YYYY-MM-DD).")
        if isinstance(name, str):
            stakes.append(
                {"name": nfc(name.strip()), "share": share, "source": source, "as_of": as_of}
            )
    return stakes


def _aliases(value: object, errors: Errors) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple) or any(
        not isinstance(a, str) or not a.strip() or len(a) > 300 for a in value
    ):
        errors.add("aliases", "Each alias must be non-empty text of at most 300 characters.")
        return []
    for i, alias in enumerate(value):
        if message := unsafe_message(alias):
            errors.add("aliases", f"Alias {i + 1}: {message}")
    return [nfc(a) for a in value]


def _customer_facts(customer: Customer) -> dict[str, Any]:
    return {k: getattr(customer, k) for k in CUSTOMER_FIELDS}


def customer_create(
    *,
    user: User | None = None,
    name: str,
    country: str,
    aliases: Sequence[str] | None = (),
    owners: Sequence[dict[str, Any]] | None = (),
) -> Customer:
    require_reference_writer(user)
    errors = Errors()
    country_value(country, "country", errors)
    alias_list = _aliases(aliases, errors)
    stakes = _owners(owners, errors)
    customer = Customer(name=name, country=country, aliases=alias_list, owners=stakes)
    full_clean(customer, errors, exclude=["country", "aliases", "owners"])
    errors.raise_if_any("The customer was not saved.")
    with transaction.atomic():
        customer.save()
        audit_record(
            event_type=AuditEventType.REFERENCE_CHANGED,
            obj=customer,
            actor=user,
            new=_customer_facts(customer),
        )
    return customer


def customer_update(*, customer: Customer, user: User | None = None, **fields: object) -> Customer:
    """Change a fab owner's name, aliases, owners or country; re-checks the open visits to its
    buildings (the owner, its aliases and its owners are screened)."""

    require_reference_writer(user)
    errors = Errors()
    unknown_fields(fields, CUSTOMER_FIELDS, errors)
    if "country" in fields:
        country_value(fields["country"], "country", errors)
    if "aliases" in fields:
        fields["aliases"] = _aliases(fields["aliases"], errors)
    if "owners" in fields:
        fields["owners"] = _owners(fields["owners"], errors)
    errors.raise_if_any("The customer was not saved.")
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        apply_reference_change(
            locked=locked,
            fields=fields,
            facts=_customer_facts,
            user=user,
            errors=errors,
            refused="The customer was not saved.",
            visits=lambda: open_visits_referencing(customer_ids=[locked.pk]),
            exclude=["country", "aliases", "owners"],
        )
    copy_fields(source=locked, target=customer, fields=CUSTOMER_FIELDS)
    return locked


FACILITY_FIELDS = (
    "name",
    "building",
    "address",
    "region",
    "city",
    "country",
    "products",
    "logic_node_nm",
    "non_planar",
    "nand_layers",
    "dram_half_pitch_nm",
    "dram_cell_area_um2",
    "capability_assessed_on",
    "capability_evidence",
)


def _facility_facts(facility: Facility) -> dict[str, Any]:
    return {"customer": facility.customer_id, **{k: getattr(facility, k) for k in FACILITY_FIELDS}}


def facility_create(
    *, user: User | None = None, customer: Customer | int, **fields: object
) -> Facility:
    require_reference_writer(user)
    errors = Errors()
    customer_obj = Customer.objects.filter(pk=pk_of(customer)).first()
    if customer_obj is None:
        errors.add("customer", "No such customer.")
    unknown = set(fields) - set(FACILITY_FIELDS)
    for f in sorted(unknown):
        errors.add(f, "Unknown field.")
    country_value(fields.get("country"), "country", errors)
    facility = Facility(
        customer=customer_obj, **{k: v for k, v in fields.items() if k in FACILITY_FIELDS}
    )
    full_clean(facility, errors, exclude=["customer", "country"])
    if (
        customer_obj is not None
        and Facility.objects.filter(customer=customer_obj, name=fields.get("name")).exists()
    ):
        errors.add("name", "This customer already has a facility with this name.")
    errors.raise_if_any("The facility was not saved.")
    with transaction.atomic():
        facility.save()
        audit_record(
            event_type=AuditEventType.REFERENCE_CHANGED,
            obj=facility,
            actor=user,
            new=_facility_facts(facility),
        )
    return facility


def facility_update(*, facility: Facility, user: User | None = None, **fields: object) -> Facility:
    """Change a building's owner, capability or address; re-checks its open visits."""

    require_reference_writer(user)
    errors = Errors()
    unknown_fields(fields, ("customer", *FACILITY_FIELDS), errors)
    if "customer" in fields:
        fields["customer"] = Customer.objects.filter(pk=pk_of(fields["customer"])).first()
        if fields["customer"] is None:
            errors.add("customer", "No such customer.")
    if "country" in fields:
        country_value(fields["country"], "country", errors)
    errors.raise_if_any("The facility was not saved.")
    with transaction.atomic():
        locked = Facility.objects.select_for_update().get(pk=facility.pk)
        apply_reference_change(
            locked=locked,
            fields=fields,
            facts=_facility_facts,
            user=user,
            errors=errors,
            refused="The facility was not saved.",
            visits=lambda: open_visits_referencing(facility_ids=[locked.pk]),
            exclude=["country"],
        )
    copy_fields(source=locked, target=facility, fields=("customer", *FACILITY_FIELDS))
    return locked


def _require_tool_writer(user: User | None, oem_id: object) -> None:
    """A service manager adds and changes their own vendor's tools; approvers any tool."""
    if user is None or roles.is_superuser(user):
        return
    if roles.can_file_visits(user):
        if roles.user_vendor_id(user) != oem_id:
            raise NotFound(
                "No such vendor.", errors={"oem": ["You may only add tools of your own vendor."]}
            )
    else:
        require_reference_writer(user)


TOOL_FIELDS = (
    "model",
    "serial_number",
    "classifications",
    "origin",
    "us_content_percent",
    "made_with_us_technology",
    "subject_to_ear",
    "ear_justification",
)


def _tool_facts(tool: Tool) -> dict[str, Any]:
    return {k: getattr(tool, k) for k in TOOL_FIELDS}


def _unsupported_determination(subject: object, origin: object, errors: Errors) -> None:
    """A recorded "not subject to the EAR" must state the origin it rests on, so that the engine
    can check the inputs against it (and review it where they do not support it)."""
    if subject is False and not origin:
        errors.add(
            "origin",
            'A recorded "not subject to the EAR" rests on where the tool was made: give the '
            "origin, so that the inputs can be checked against it.",
        )


def tool_create(
    *,
    user: User | None = None,
    facility: Facility | int,
    oem: Vendor | int,
    model: str,
    serial_number: str,
    classifications: dict[str, list[str]] | None = None,
    origin: str = "",
    us_content_percent: float | None = None,
    made_with_us_technology: bool | None = None,
    subject_to_ear: bool | None = None,
    ear_justification: str = "",
) -> Tool:
    _require_tool_writer(user, pk_of(oem))
    errors = Errors()
    facility_obj = Facility.objects.filter(pk=pk_of(facility)).first()
    if facility_obj is None:
        errors.add("facility", "No such facility.")
    oem_obj = Vendor.objects.filter(pk=pk_of(oem)).first()
    if oem_obj is None:
        errors.add("oem", "No such vendor.")
    tool = Tool(
        facility=facility_obj,
        oem=oem_obj,
        model=model,
        serial_number=serial_number,
        classifications=classifications or {},
        origin=origin,
        us_content_percent=us_content_percent,
        made_with_us_technology=made_with_us_technology,
        subject_to_ear=subject_to_ear,
        ear_justification=ear_justification,
    )
    full_clean(tool, errors, exclude=["facility", "oem"])
    _unsupported_determination(subject_to_ear, origin, errors)
    if (
        oem_obj is not None
        and Tool.objects.filter(oem=oem_obj, serial_number=serial_number).exists()
    ):
        errors.add(
            "serial_number", "A tool of this OEM with this serial number is already recorded."
        )
    errors.raise_if_any("The tool was not saved.")
    with transaction.atomic():
        tool.save()
        audit_record(
            event_type=AuditEventType.REFERENCE_CHANGED,
            obj=tool,
            actor=user,
            new=_tool_facts(tool),
        )
    return tool


def tool_update(*, tool: Tool, user: User | None = None, **fields: object) -> Tool:
    """Change a tool's model, serial number or classifications; re-checks the open visits to it.

    Its facility and OEM are fixed: the visits that list it were filed for that facility."""
    with transaction.atomic():
        locked = Tool.objects.select_for_update().get(pk=tool.pk)
        _require_tool_writer(user, locked.oem_id)
        errors = Errors()
        unknown_fields(fields, TOOL_FIELDS, errors)
        if "classifications" in fields and fields["classifications"] is None:
            fields["classifications"] = {}
        if "subject_to_ear" in fields or "origin" in fields:
            _unsupported_determination(
                fields.get("subject_to_ear", locked.subject_to_ear),
                fields.get("origin", locked.origin),
                errors,
            )
        errors.raise_if_any("The tool was not saved.")
        apply_reference_change(
            locked=locked,
            fields=fields,
            facts=_tool_facts,
            user=user,
            errors=errors,
            refused="The tool was not saved.",
            visits=lambda: Visit.objects.filter(tools=locked),
        )
    copy_fields(source=locked, target=tool, fields=TOOL_FIELDS)
    return locked
