"""Recording decisions, set-wise: the decisions of a chunk of visits, their findings, each visit's
move through the lifecycle table, the audit events and the notices, in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from compliance import bulk, engine, lifecycle
from compliance.audit import audit_record_many
from compliance.checks.compact import basis_digest, reconfirmations_record
from compliance.checks.evaluate import Evaluation, sha256_of
from compliance.checks.inputs import CheckContext, hit_dict, licence_dict
from compliance.checks.lists import problem_sources_key
from compliance.models import (
    AuditEventType,
    Decision,
    Finding,
    Reconfirmation,
    Trigger,
)
from dispatch.models import OPEN_STATUSES, Visit, VisitStatus
from dispatch.sql import CompiledQuery


def notify_decisions_later(notices: list[tuple[int, str]]) -> None:
    # cycle: compliance.tasks imports the check pipeline
    from compliance.tasks import notify_decisions

    notify_decisions.delay(notices)


def _change_reason(
    previous_outcome: str | None, previous_findings: list[dict[str, Any]], new: Any, trigger: str
) -> str:
    if previous_outcome is None or previous_outcome == new.outcome:
        return ""
    old_rules = {
        (f["rule"], f.get("engineer"), f.get("tool"))
        for f in previous_findings
        if not f.get("covered_by_licence")
    }
    new_findings = [f for f in new.to_dict()["findings"] if not f.get("covered_by_licence")]
    added = sorted(
        {
            f["rule"]
            for f in new_findings
            if (f["rule"], f.get("engineer"), f.get("tool")) not in old_rules
        }
    )
    removed = sorted({r for r, _, _ in old_rules} - {f["rule"] for f in new_findings})
    parts = [
        f"Outcome changed from {previous_outcome} to {new.outcome} on {Trigger(trigger).label.lower()}."
    ]
    if added:
        parts.append("New findings: " + ", ".join(added) + ".")
    if removed:
        parts.append("No longer applies: " + ", ".join(removed) + ".")
    return " ".join(parts)


def _approval_lapse(row: dict[str, Any], result_dict: dict[str, Any]) -> str:
    """Why the approval of a visit no longer covers its new decision ("" while it does).

    An approval covers exactly the findings it approved (``engine.approval_stands``) and only
    while the licence it was given on stays unrevoked."""
    if row["approval_id"] is None:
        # An approved status with no approval behind it covers nothing (fail closed).
        return "No approval is on record." if row["status"] == VisitStatus.APPROVED else ""
    if row["approval__licence__revoked_at"] is not None:
        return "The licence the approval relied on has been revoked."
    approved = (row["approval__decision__result"] or {}).get("findings", [])
    if engine.approval_stands(approved, result_dict.get("findings", [])):
        return ""
    return "The findings differ from those the approval covered."


def _digest(evaluation: Evaluation, ctx: CheckContext | None, result_dict: dict[str, Any]) -> str:
    return sha256_of(
        {
            "document": evaluation.document,
            "screening": [hit_dict(h) for h in evaluation.screening],
            "licences": [licence_dict(lic) for lic in evaluation.licences],
            "rules": result_dict.get("rules_version"),
            "lists": result_dict.get("lists_version"),
            "stale": evaluation.list_is_stale if ctx else None,
            "list_problems": [p.to_dict() for p in evaluation.list_problems],
            "error": evaluation.error,
        }
    )


@dataclass
class PendingDecision:
    """A check result waiting to be stored: which request it answers and what the engine said."""

    visit_id: int
    request_key: str
    trigger: str
    evaluation: Evaluation


_LOCKED_VALUES = (
    "id",
    "status",
    "check_requested_at",
    "approval_id",
    "current_decision_id",
    "current_decision__input_digest",
    "current_decision__outcome",
    "current_decision__basis_digest",
    "approval__decision__result",
    "approval__licence__revoked_at",
)
# The chunk's visits locked, compiled once per process (dispatch/sql.py): every check runs it.
_LOCKED_ROWS = CompiledQuery(
    lambda ids: (
        Visit.objects.select_for_update(of=("self",))
        .filter(pk__within=ids)
        .order_by("pk")  # every transaction locks visits in this order
        .values_list(*_LOCKED_VALUES)
    )
)


def decisions_record(
    *, items: Sequence[PendingDecision], ctx: CheckContext | None
) -> list[Decision | Reconfirmation]:
    """Store a chunk of decisions and move their visits, in one transaction and a fixed number of
    statements (lock, insert decisions, insert findings, update visits, audit; plus one read of
    the previous findings when some outcome changed, and one insert of re-confirmations).

    A result that gives the visit's current decision again (the same ``basis_digest``), without
    moving its status, is recorded as a compact re-confirmation (``compliance.checks.compact``).

    A result whose check request was superseded meanwhile (the visit was edited, cancelled or
    already decided) is dropped: idempotent under redelivery and concurrent re-enqueues.
    """

    if not items:
        return []
    prepared = []
    for item in items:
        result_dict = item.evaluation.decision.to_dict()
        prepared.append((item, result_dict, _digest(item.evaluation, ctx, result_dict)))
    with transaction.atomic():
        # Plain values, no instances: this runs for every chunk of every (re-)check.
        locked = {
            row["id"]: row
            for row in (
                dict(zip(_LOCKED_VALUES, r, strict=True))
                for r in _LOCKED_ROWS.rows([i.visit_id for i in items])
            )
        }
        now = timezone.now()
        accepted = []
        bumped: list[Visit] = []
        for item, result_dict, digest in prepared:
            row = locked.get(item.visit_id)
            if row is None or row["status"] not in OPEN_STATUSES:
                continue
            requested = row["check_requested_at"]
            if (requested.isoformat() if requested else "") != item.request_key:
                continue
            if item.evaluation.error and row["current_decision__input_digest"] == digest:
                # The same failure again: keep the request open for the retry and the sweeper,
                # without storing a duplicate of the same system decision.
                bumped.append(Visit(pk=row["id"], check_requested_at=now, updated_at=now))
                continue
            accepted.append((item, result_dict, digest, row))
        changed = [
            row["current_decision_id"]
            for item, _, _, row in accepted
            if row["current_decision__outcome"] not in (None, item.evaluation.decision.outcome)
        ]
        previous_findings: dict[int, list[dict[str, Any]]] = (
            {
                pk: (result or {}).get("findings", [])
                for pk, result in Decision.objects.filter(pk__in=changed).values_list(
                    "pk", "result"
                )
            }
            if changed
            else {}
        )
        decisions: list[Decision] = []
        moved: list[tuple[Visit, Decision, str, int | None, str]] = []
        same: list[tuple[PendingDecision, dict[str, Any], str, dict[str, Any]]] = []
        for item, result_dict, digest, row in accepted:
            evaluation = item.evaluation
            result = evaluation.decision
            previous_id = row["current_decision_id"]
            basis = basis_digest(evaluation, result_dict)
            reason = _change_reason(
                row["current_decision__outcome"],
                previous_findings.get(previous_id, []),
                result,
                item.trigger,
            )
            lapse = _approval_lapse(row, result_dict)
            new_status = lifecycle.status_after_decision(
                status=row["status"],
                new_outcome=result.outcome,
                is_error=bool(evaluation.error),
                approval_stands=not lapse,
            )
            lifecycle.require_move(row["status"], new_status, action=f"moved to {new_status}")
            drop_approval = (
                row["approval_id"] is not None
                and new_status != VisitStatus.APPROVED
                and not evaluation.error
            )
            if (
                ctx is not None
                and basis
                and basis == row["current_decision__basis_digest"]
                and new_status == row["status"]
                and not drop_approval
            ):
                same.append((item, result_dict, digest, row))
                continue
            if drop_approval:
                reason = (reason + " " if reason else "") + (
                    f"{lapse or 'The approval no longer applies.'} The visit needs a fresh "
                    "approval."
                )
            decision = Decision(
                visit_id=row["id"],
                trigger=item.trigger or Trigger.SUBMISSION,
                request_key=item.request_key,
                input_digest=digest,
                document=evaluation.document,
                screening_input=[hit_dict(h) for h in evaluation.screening],
                licences_input=[licence_dict(lic) for lic in evaluation.licences],
                ruleset=ctx.ruleset if ctx else None,
                rules_version=result_dict.get("rules_version") or "",
                snapshot=ctx.snapshot if ctx else None,
                lists_version=result_dict.get("lists_version") or "",
                list_is_stale=bool(ctx and evaluation.list_is_stale),
                list_problems=[p.to_dict() for p in evaluation.list_problems],
                list_problem_sources=problem_sources_key(evaluation.list_problems),
                outcome=result.outcome,
                status=result.status,
                result=result_dict,
                as_of=result.as_of,
                decided_at=result.decided_at or now,
                duration_ms=evaluation.duration_ms,
                error=evaluation.error,
                previous_id=previous_id,
                change_reason=reason,
                basis_digest=basis,
            )
            decisions.append(decision)
            visit = Visit(
                pk=row["id"],
                status=new_status,
                approval_id=None if drop_approval else row["approval_id"],
                # A system decision answers the request but keeps a new one open: the retry (and,
                # failing that, the sweeper) checks again; a real decision closes it.
                check_requested_at=now if evaluation.error else None,
                updated_at=now,
            )
            moved.append((visit, decision, row["status"], previous_id, reason))
        if decisions:
            bulk.bulk_insert(decisions)
            for decision in decisions:
                if decision.pk is None:  # backends that do not return ids from a bulk insert
                    decision.pk = Decision.objects.get(
                        visit_id=decision.visit_id, request_key=decision.request_key
                    ).pk
            bulk.bulk_insert(
                [
                    Finding(
                        decision_id=decision.pk,
                        rule_code=f["rule"],
                        jurisdiction=f.get("jurisdiction") or "",
                        citation=(f.get("citation") or "")[:1000],
                        effect=f["effect"],
                        engineer=f.get("engineer") or "",
                        tool=f.get("tool") or "",
                        message=f.get("message") or "",
                        facts=f.get("facts") or {},
                        covered_by_licence=f.get("covered_by_licence") or "",
                    )
                    for decision in decisions
                    for f in decision.result["findings"]
                ]
            )
            for visit, decision, _, _, _ in moved:
                visit.current_decision_id = decision.pk
            bulk.bulk_update(
                [m[0] for m in moved],
                ["status", "current_decision", "approval", "check_requested_at", "updated_at"],
            )
        reconfirmed = reconfirmations_record(same, ctx=ctx, now=now) if ctx and same else []
        bumped += [visit for visit, _, _ in reconfirmed]
        if bumped:
            bulk.bulk_update(bumped, ["check_requested_at", "updated_at"])
        audit_record_many(
            [
                {
                    "event_type": AuditEventType.DECISION_RECORDED,
                    "object_type": Visit._meta.label,
                    "object_id": visit.pk,
                    "old": {"status": old_status, "decision": previous_id},
                    "new": {
                        "status": visit.status,
                        "decision": decision.pk,
                        "outcome": decision.outcome,
                        "trigger": decision.trigger,
                        "rules_version": decision.rules_version,
                        "lists_version": decision.lists_version,
                        "reason": reason,
                    },
                }
                for visit, decision, old_status, previous_id, reason in moved
            ]
            + [
                {
                    "event_type": AuditEventType.DECISION_RECONFIRMED,
                    "object_type": Visit._meta.label,
                    "object_id": visit.pk,
                    "old": {"status": old_status, "decision": row.decision_id},
                    "new": {
                        "status": old_status,
                        "decision": row.decision_id,
                        "reconfirmation": row.pk,
                        "basis": row.basis,
                        "trigger": row.trigger,
                        "rules_version": row.rules_version,
                        "lists_version": row.lists_version,
                    },
                }
                for visit, row, old_status in reconfirmed
            ]
        )
        # Only where the status changed (a re-check that changes nothing notifies nobody).
        notices = [(d.pk, old) for v, d, old, _, _ in moved if v.status != old]
        if notices:
            # Its own task: mail servers are slow, and a check's time limit is for checking.
            transaction.on_commit(lambda: notify_decisions_later(notices), robust=True)
    return [*decisions, *(row for _, row, _ in reconfirmed)]
