"""Writes of the dispatch domain, by aggregate: ``visits``, ``engineers``, ``reference`` (vendors,
customers, facilities, tools) and ``access``, on the shared ``validation``. Every create or change
of a visit and what it references goes through here, so the admin, the API and the pages enforce
the same invariants and permissions; nothing is written unless every check passes."""

from dispatch.services.access import user_access_facts, user_access_record
from dispatch.services.engineers import ENGINEER_FIELDS, engineer_create, engineer_update
from dispatch.services.reference import (
    CUSTOMER_FIELDS,
    FACILITY_FIELDS,
    TOOL_FIELDS,
    VENDOR_FIELDS,
    customer_create,
    customer_update,
    facility_create,
    facility_update,
    tool_create,
    tool_update,
    vendor_create,
    vendor_update,
)
from dispatch.services.validation import MAX_DATE, MAX_PARTIES, MIN_DATE
from dispatch.services.visits import (
    VisitFiled,
    visit_cancel,
    visit_create,
    visit_create_once,
    visit_update,
)

__all__ = [
    "CUSTOMER_FIELDS",
    "ENGINEER_FIELDS",
    "FACILITY_FIELDS",
    "MAX_DATE",
    "MAX_PARTIES",
    "MIN_DATE",
    "TOOL_FIELDS",
    "VENDOR_FIELDS",
    "VisitFiled",
    "customer_create",
    "customer_update",
    "engineer_create",
    "engineer_update",
    "facility_create",
    "facility_update",
    "tool_create",
    "tool_update",
    "user_access_facts",
    "user_access_record",
    "vendor_create",
    "vendor_update",
    "visit_cancel",
    "visit_create",
    "visit_create_once",
    "visit_update",
]
