"""The content of the weekly audit report: one ISO week of records as a plain, sorted dict.

``report_content_build`` only reads, in a fixed number of queries whatever the week's volume
(aggregates are grouped in the database; medians are taken in Python over one fetched column).
Everything is read as it stood at the end of the week — holds "still open" are those open at
Sunday 24:00 in the report time zone, from the audit log's status history — so a later run for the
same week finds the same content. Times are ISO 8601 in the report time zone, durations whole
seconds; there is no float and no generation time in it, so ``content_hash`` changes only when the
records of the week (or the audit chain's verdict) change.

Definitions (also printed in the report):
- a decision, approval, false-positive mark or audit event belongs to the week by its own timestamp
  (``decided_at``, ``created_at``, ``marked_at``); a visit by ``created_at`` (filed);
- decisions by jurisdiction / rule count the week's findings and the distinct decisions they are
  in; a finding covered by a licence is counted and shown as covered;
- filing to decision: from a visit's filing to its first decision, for first decisions of the week;
- hold to approval: from the decision that was approved to the approval, for approvals of the week;
- re-checks that changed an outcome: decisions of the week with a ``change_reason``;
- re-confirmations: re-checks of the week that gave a visit's current decision again, stored as
  "same as decision #N under versions X" (by how they were made, trigger, outcome and versions),
  with a replay sample of their own; they are not counted among the full decisions;
- the replay sample: up to N decisions of the week that are not system (fail-closed) decisions,
  evenly spaced by id, re-evaluated by ``decision_replay`` from their stored document, hits,
  licences, rule set and list version.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings

from compliance.audit import ChainVerification, audit_chain_verify
from compliance.models import (
    Approval,
    Decision,
    Finding,
)
from compliance.reports import sections
from compliance.reports.reconfirmations import reconfirmations_section
from compliance.reports.weeks import ReportWeek

SCHEMA_VERSION = 2  # 2: re-confirmations
NOTICE = "Decision support, not legal advice."

DEFAULTS: dict[str, Any] = {
    "TIME_ZONE": "Europe/Amsterdam",
    "REPLAY_SAMPLE_SIZE": 20,
    "TOP_RULES": 10,
    "RECIPIENT_GROUP": "auditor",
}


def report_settings() -> dict[str, Any]:
    """``settings.AUDIT_REPORT`` over the defaults (a test may override one key)."""
    return {**DEFAULTS, **getattr(settings, "AUDIT_REPORT", {})}


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(content: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of the content (generation time is not part of it)."""
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()


def report_content_build(
    *,
    week: ReportWeek,
    replay_sample_size: int | None = None,
    chain: ChainVerification | None = None,
) -> dict[str, Any]:
    """The report of ``week`` as a plain dict (sorted, JSON-safe, deterministic).

    ``chain`` is the audit chain's verification (``audit_chain_verify()`` when not given): the
    caller keeps its ``events_checked``, which grows with every later event and so stays out of the
    content.
    """
    sample_size = (
        replay_sample_size
        if replay_sample_size is not None
        else int(report_settings()["REPLAY_SAMPLE_SIZE"])
    )
    start, end = week.starts_at, week.ends_at
    decisions = Decision.objects.filter(decided_at__gte=start, decided_at__lt=end)
    findings = Finding.objects.filter(decision__decided_at__gte=start, decision__decided_at__lt=end)
    approvals = list(
        Approval.objects.filter(created_at__gte=start, created_at__lt=end)
        .select_related("actor", "licence", "decision", "visit__vendor", "visit__facility")
        .order_by("created_at", "id")
    )
    return {
        "schema": SCHEMA_VERSION,
        "notice": NOTICE,
        "week": week.label,
        "period": {
            "time_zone": week.time_zone,
            "first_day": week.first_day.isoformat(),
            "last_day": week.last_day.isoformat(),
            "from": sections.iso_in_week(start, week),
            "to": sections.iso_in_week(end, week),
        },
        "visits_filed": sections.visits_filed(week),
        "decisions": sections.decisions_section(week, decisions, findings),
        "reconfirmations": reconfirmations_section(week, sample_size),
        "holds": sections.holds_section(week, decisions, approvals),
        "approvals": [sections.approval_row(a, week) for a in approvals],
        "false_positives": sections.false_positives(week),
        "licences_used": sections.licences_used(findings, approvals),
        "outcome_changes": sections.outcome_changes(week, decisions),
        "versions": sections.versions_section(week, decisions),
        "audit_chain": sections.audit_chain_section(week, chain or audit_chain_verify()),
        "replay": sections.replay_section(week, decisions, sample_size),
    }
