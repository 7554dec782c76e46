"""The sections of the weekly audit report, each read as it stood at the end of the week.

See ``content.py`` for the definitions the report prints; each function here returns one
JSON-safe section of ``report_content_build``.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

from django.db.models import Count, Max, Min, Q, Subquery
from django.db.models.functions import TruncDate

from compliance.audit import ChainVerification
from compliance.checks.evaluate import decision_replay
from compliance.models import (
    Approval,
    AuditEvent,
    AuditEventType,
    Decision,
    Effect,
    Licence,
    ListSnapshot,
    MatchReview,
    Trigger,
)
from compliance.reports.weeks import ReportWeek
from dispatch.models import HOLD_STATUSES, Visit

VISIT_OBJECT = "dispatch.Visit"


def iso_in_week(moment: Any, week: ReportWeek) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(week.zone).isoformat(timespec="seconds")


def _seconds(delta: Any) -> int:
    return max(int(delta.total_seconds()), 0)


def _stats(values: list[int]) -> dict[str, int | None]:
    return {
        "count": len(values),
        "median_seconds": round(statistics.median(values)) if values else None,
        "max_seconds": max(values) if values else None,
    }


def _evenly_spaced(ids: list[int], n: int) -> list[int]:
    """``n`` ids spread evenly over the sorted list, first and last included (deterministic)."""
    if n <= 0:
        return []
    if len(ids) <= n:
        return list(ids)
    if n == 1:
        return [ids[0]]
    last = len(ids) - 1
    return [ids[(i * last) // (n - 1)] for i in range(n)]


def visits_filed(week: ReportWeek) -> dict[str, Any]:
    rows = (
        Visit.objects.filter(created_at__gte=week.starts_at, created_at__lt=week.ends_at)
        .values("vendor__name")
        .annotate(visits=Count("id"))
        .order_by("vendor__name")
    )
    by_vendor = [{"vendor": r["vendor__name"], "visits": r["visits"]} for r in rows]
    return {"total": sum(r["visits"] for r in by_vendor), "by_vendor": by_vendor}


def decisions_section(week: ReportWeek, decisions: Any, findings: Any) -> dict[str, Any]:
    grouped = (
        decisions.annotate(day=TruncDate("decided_at", tzinfo=week.zone))
        .values("day", "outcome", "trigger")
        .annotate(n=Count("id"), errors=Count("id", filter=~Q(error="")))
        .order_by()
    )
    by_day: dict[str, dict[str, int]] = {
        d.isoformat(): dict.fromkeys(Effect.values, 0) for d in week.days
    }
    by_outcome = dict.fromkeys(Effect.values, 0)
    by_trigger = dict.fromkeys(Trigger.values, 0)
    total = errors = 0
    for row in grouped:
        day = row["day"].isoformat()
        by_day.setdefault(day, dict.fromkeys(Effect.values, 0))
        by_day[day][row["outcome"]] = by_day[day].get(row["outcome"], 0) + row["n"]
        by_outcome[row["outcome"]] = by_outcome.get(row["outcome"], 0) + row["n"]
        by_trigger[row["trigger"]] = by_trigger.get(row["trigger"], 0) + row["n"]
        total += row["n"]
        errors += row["errors"]

    def finding_rows(*fields: str) -> list[dict[str, Any]]:
        return list(
            findings.values(*fields)
            .annotate(
                findings=Count("id"),
                decisions=Count("decision", distinct=True),
                covered=Count("id", filter=~Q(covered_by_licence="")),
                citation=Max("citation"),
            )
            .order_by()
        )

    by_jurisdiction = sorted(
        (
            {
                "jurisdiction": r["jurisdiction"],
                "decisions": r["decisions"],
                "findings": r["findings"],
                "covered_by_licence": r["covered"],
            }
            for r in finding_rows("jurisdiction")
        ),
        key=lambda r: (-r["decisions"], -r["findings"], r["jurisdiction"]),
    )
    by_rule = sorted(
        (
            {
                "rule": r["rule_code"],
                "jurisdiction": r["jurisdiction"],
                "citation": r["citation"] or "",
                "findings": r["findings"],
                "decisions": r["decisions"],
                "covered_by_licence": r["covered"],
            }
            for r in finding_rows("rule_code", "jurisdiction")
        ),
        key=lambda r: (-r["findings"], -r["decisions"], r["rule"], r["jurisdiction"]),
    )
    return {
        "total": total,
        "system_errors": errors,
        "by_outcome": by_outcome,
        "by_trigger": by_trigger,
        "by_day": [
            {"date": day, "total": sum(c.values()), **c} for day, c in sorted(by_day.items())
        ],
        "by_jurisdiction": by_jurisdiction,
        "by_rule": by_rule,
    }


def holds_section(week: ReportWeek, decisions: Any, approvals: list[Approval]) -> dict[str, Any]:
    start, end = week.starts_at, week.ends_at
    filed_to_decided = [
        _seconds(decided - filed)
        for decided, filed in decisions.filter(previous__isnull=True)
        .order_by("id")
        .values_list("decided_at", "visit__created_at")
    ]
    to_approval = [
        _seconds(a.created_at - a.decision.decided_at)
        for a in approvals
        if a.action == Approval.Action.APPROVE
    ]
    to_rejection = [
        _seconds(a.created_at - a.decision.decided_at)
        for a in approvals
        if a.action == Approval.Action.REJECT
    ]
    opened = (
        AuditEvent.objects.filter(
            event_type=AuditEventType.DECISION_RECORDED,
            object_type=VISIT_OBJECT,
            created_at__gte=start,
            created_at__lt=end,
            new__status__in=HOLD_STATUSES,
        )
        .exclude(old__status__in=HOLD_STATUSES)
        .count()
    )
    open_holds = _open_holds_at(week)
    return {
        "opened": opened,
        "approved": len(to_approval),
        "rejected": len(to_rejection),
        "open_at_end": len(open_holds),
        "filing_to_decision": _stats(filed_to_decided),
        "hold_to_approval": _stats(to_approval),
        "hold_to_rejection": _stats(to_rejection),
        "open_at_end_age": _stats([h["age_seconds"] for h in open_holds]),
        "open": open_holds,
    }


def _open_holds_at(week: ReportWeek) -> list[dict[str, Any]]:
    """Visits on hold or blocked at the end of the week, from the audit log's status history
    (every event that moves a visit records ``new.status``), with how long they had been held."""
    end = week.ends_at
    status_events = AuditEvent.objects.filter(
        object_type=VISIT_OBJECT, created_at__lt=end, new__has_key="status"
    )
    latest = status_events.values("object_id").annotate(last=Max("id")).values("last")
    held = set(
        AuditEvent.objects.filter(
            id__in=Subquery(latest), new__status__in=HOLD_STATUSES
        ).values_list("object_id", flat=True)
    )
    if not held:
        return []
    since: dict[str, Any] = {}
    status: dict[str, str] = {}
    for object_id, created_at, new in (
        status_events.filter(object_id__in=held)
        .order_by("id")
        .values_list("object_id", "created_at", "new")
    ):
        current = (new or {}).get("status")
        if current in HOLD_STATUSES:
            since.setdefault(object_id, created_at)
        else:
            since.pop(object_id, None)
        status[object_id] = current
    visits = {
        str(v.pk): v
        for v in Visit.objects.filter(pk__in=[int(i) for i in held]).select_related(
            "vendor", "facility"
        )
    }
    rows = []
    for object_id in sorted(held, key=int):
        visit = visits.get(object_id)
        rows.append(
            {
                "visit": int(object_id),
                "vendor": visit.vendor.name if visit else "",
                "facility": visit.facility.name if visit else "",
                "status": status[object_id],
                "since": iso_in_week(since[object_id], week),
                "age_seconds": _seconds(end - since[object_id]),
            }
        )
    return rows


def approval_row(approval: Approval, week: ReportWeek) -> dict[str, Any]:
    visit = approval.visit
    return {
        "id": approval.pk,
        "at": iso_in_week(approval.created_at, week),
        "action": approval.action,
        "visit": visit.pk,
        "vendor": visit.vendor.name,
        "facility": visit.facility.name,
        "decision": approval.decision_id,
        "outcome": approval.decision.outcome,
        "approver": approval.actor.get_username(),
        "justification": approval.justification,
        "licence": approval.licence.number if approval.licence_id else None,
        "hold_seconds": _seconds(approval.created_at - approval.decision.decided_at),
    }


def false_positives(week: ReportWeek) -> list[dict[str, Any]]:
    marks = (
        MatchReview.objects.filter(marked_at__gte=week.starts_at, marked_at__lt=week.ends_at)
        .select_related("marked_by")
        .order_by("marked_at", "id")
    )
    return [
        {
            "id": m.pk,
            "at": iso_in_week(m.marked_at, week),
            "party": m.party,
            "party_name": m.party_name,
            "list": m.list_code,
            "entry_id": m.entry_id,
            "entry_name": m.entry_name,
            "entry_hash": m.entry_hash,
            "marked_by": m.marked_by.get_username(),
            "reason": m.reason,
        }
        for m in marks
    ]


def licences_used(findings: Any, approvals: list[Approval]) -> list[dict[str, Any]]:
    """Licences that covered a finding of the week (the engine stores the licence number), and
    licences cited by the week's approvals."""
    covered = {
        r["covered_by_licence"]: r
        for r in findings.exclude(covered_by_licence="")
        .values("covered_by_licence")
        .annotate(findings=Count("id"), decisions=Count("decision", distinct=True))
        .order_by()
    }
    cited: dict[str, int] = defaultdict(int)
    for a in approvals:
        if a.licence_id:
            cited[a.licence.number] += 1
    numbers = sorted(set(covered) | set(cited))
    if not numbers:
        return []
    licences: dict[str, Licence] = {}
    for lic in Licence.objects.filter(number__in=numbers).select_related("holder").order_by("pk"):
        licences.setdefault(lic.number, lic)
    rows = []
    for number in numbers:
        lic = licences.get(number)
        rows.append(
            {
                "licence": number,
                "authority": lic.authority if lic else "",
                "kind": lic.kind if lic else "",
                "holder": lic.holder.name if lic and lic.holder_id else "",
                "valid_until": lic.valid_until.isoformat() if lic else None,
                "covered_findings": covered[number]["findings"] if number in covered else 0,
                "covered_decisions": covered[number]["decisions"] if number in covered else 0,
                "approvals": cited.get(number, 0),
            }
        )
    return rows


def outcome_changes(week: ReportWeek, decisions: Any) -> dict[str, Any]:
    changed = list(
        decisions.exclude(change_reason="")
        .select_related("previous")
        .order_by("decided_at", "id")
        .only(
            "id",
            "visit_id",
            "trigger",
            "outcome",
            "change_reason",
            "decided_at",
            "previous__outcome",
        )
    )
    by_trigger = dict.fromkeys(Trigger.values, 0)
    for d in changed:
        by_trigger[d.trigger] = by_trigger.get(d.trigger, 0) + 1
    return {
        "total": len(changed),
        "by_trigger": by_trigger,
        "items": [
            {
                "decision": d.pk,
                "visit": d.visit_id,
                "at": iso_in_week(d.decided_at, week),
                "trigger": d.trigger,
                "from": d.previous.outcome if d.previous_id else None,
                "to": d.outcome,
                "reason": d.change_reason,
            }
            for d in changed
        ],
    }


def versions_section(week: ReportWeek, decisions: Any) -> dict[str, Any]:
    start, end = week.starts_at, week.ends_at
    used = [
        {
            "rules_version": r["rules_version"],
            "lists_version": r["lists_version"],
            "decisions": r["n"],
        }
        for r in decisions.values("rules_version", "lists_version")
        .annotate(n=Count("id"))
        .order_by("rules_version", "lists_version")
    ]
    activations = AuditEvent.objects.filter(event_type=AuditEventType.RULESET_ACTIVATED)
    in_week = activations.filter(created_at__gte=start, created_at__lt=end).order_by(
        "created_at", "id"
    )
    at_end = activations.filter(created_at__lt=end).order_by("-created_at", "-id").first()
    snapshots_in_week = ListSnapshot.objects.filter(
        imported_at__gte=start, imported_at__lt=end
    ).order_by("imported_at", "id")
    # The snapshot of each source last imported before the end of the week.
    lists_at_end: dict[str, str] = {}
    for snap in ListSnapshot.objects.filter(imported_at__lt=end).order_by("imported_at", "id"):
        lists_at_end[snap.source] = snap.version
    return {
        "used_by_decisions": used,
        "rules_in_force_at_end": (at_end.new or {}).get("version") if at_end else None,
        "rules_used_without_prior_activation": (
            [] if at_end else _rules_used_activated_later(week, decisions)
        ),
        "list_in_force_at_end": (
            "; ".join(f"{k}={v}" for k, v in sorted(lists_at_end.items())) or None
        ),
        "rule_sets_activated": [
            {
                "at": iso_in_week(e.created_at, week),
                "version": (e.new or {}).get("version"),
                "previous": (e.old or {}).get("version"),
                "by": e.actor_name,
                "note": (e.new or {}).get("note") or "",
            }
            for e in in_week
        ],
        "lists_imported": [
            {
                "at": iso_in_week(s.imported_at, week),
                "version": s.version,
                "source": f"{s.source}: {s.source_name}",
                "entries": s.entry_count,
                "added": (s.diff or {}).get("added", 0),
                "removed": (s.diff or {}).get("removed", 0),
                "changed": (s.diff or {}).get("changed", 0),
            }
            for s in snapshots_in_week
        ],
    }


def _rules_used_activated_later(week: ReportWeek, decisions: Any) -> list[dict[str, Any]]:
    """When no activation is recorded before the end of the week (a backfilled history, or rule
    sets loaded before the audit log began), the rule sets the week's decisions did use, each with
    its first activation recorded after the week (None when none is recorded at all)."""
    rows = (
        decisions.exclude(rules_version="")
        .values("rules_version")
        .annotate(n=Count("id"))
        .order_by("rules_version")
    )
    later = AuditEvent.objects.filter(
        event_type=AuditEventType.RULESET_ACTIVATED, created_at__gte=week.ends_at
    ).order_by("created_at", "id")
    first_activation: dict[str, Any] = {}
    for created_at, new in later.values_list("created_at", "new"):
        version = (new or {}).get("version")
        if version:
            first_activation.setdefault(version, created_at)
    return [
        {
            "version": r["rules_version"],
            "decisions": r["n"],
            "activated_at": iso_in_week(first_activation.get(r["rules_version"]), week),
        }
        for r in rows
    ]


def audit_chain_section(week: ReportWeek, verdict: ChainVerification) -> dict[str, Any]:
    """The week's events, the chain head at the end of the week (a commitment to the whole history
    before it) and the verdict of the chain verification."""
    start, end = week.starts_at, week.ends_at
    stats = AuditEvent.objects.filter(created_at__gte=start, created_at__lt=end).aggregate(
        n=Count("id"), first=Min("id"), last=Max("id")
    )
    head = (
        AuditEvent.objects.filter(created_at__lt=end).order_by("-id").values("id", "hash").first()
    )
    return {
        "events_in_period": stats["n"],
        "first_event": stats["first"],
        "last_event": stats["last"],
        "head_event_at_end": head["id"] if head else None,
        "head_hash_at_end": head["hash"] if head else None,
        "verified": verdict.ok,
        "first_broken_event": verdict.first_broken_id,
        "problem": verdict.problem,
    }


def replay_section(week: ReportWeek, decisions: Any, sample_size: int) -> dict[str, Any]:
    eligible = list(decisions.filter(error="").order_by("id").values_list("id", flat=True))
    sample_ids = _evenly_spaced(eligible, sample_size)
    sample = Decision.objects.filter(pk__in=sample_ids).select_related("ruleset").order_by("id")
    items = []
    for decision in sample:
        result = decision_replay(decision)
        items.append(
            {
                "decision": decision.pk,
                "visit": decision.visit_id,
                "at": iso_in_week(decision.decided_at, week),
                "outcome": decision.outcome,
                "rules_version": decision.rules_version,
                "lists_version": decision.lists_version,
                "reproduced": result.identical,
                "differences": list(result.differences),
            }
        )
    reproduced = sum(1 for i in items if i["reproduced"])
    return {
        "eligible": len(eligible),
        "sample_size": sample_size,
        "sampled": len(items),
        "reproduced": reproduced,
        "not_reproduced": len(items) - reproduced,
        "items": items,
    }
