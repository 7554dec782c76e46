"""Compliance records: rule sets, screening lists, licences, decisions, approvals, the audit log.

Decisions, findings, approvals and audit events are append-only: the model refuses an update or a
delete, and so does its queryset (admin, API and code all go through these). One module per
aggregate; every model is importable from ``compliance.models``.
"""

from compliance.models.audit import AuditChainHead, AuditEvent, AuditEventType
from compliance.models.base import AppendOnlyError, AppendOnlyModel, AppendOnlyQuerySet, Effect
from compliance.models.decisions import (
    Approval,
    Decision,
    Finding,
    Hold,
    Reconfirmation,
    Trigger,
)
from compliance.models.licences import ACTIVITY_VALUES, Licence, LicenceAuthority
from compliance.models.reports import AuditReport
from compliance.models.rules import CountryGroupMembership, Rule, RuleSet
from compliance.models.screening import ListEntry, ListSnapshot, ListSource, MatchReview

__all__ = [
    "ACTIVITY_VALUES",
    "AppendOnlyError",
    "AppendOnlyModel",
    "AppendOnlyQuerySet",
    "Approval",
    "AuditChainHead",
    "AuditEvent",
    "AuditEventType",
    "AuditReport",
    "CountryGroupMembership",
    "Decision",
    "Effect",
    "Finding",
    "Hold",
    "Licence",
    "LicenceAuthority",
    "ListEntry",
    "ListSnapshot",
    "ListSource",
    "MatchReview",
    "Reconfirmation",
    "Rule",
    "RuleSet",
    "Trigger",
]
