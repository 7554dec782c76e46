"""Approving and rejecting held visits: approvers only, never on a visit they requested or edited,
never a prohibited one, a licence-required hold only with a licence that covers it.
"""

from __future__ import annotations

from django.db import transaction

from compliance import lifecycle, notifications, separation
from compliance.checks.evaluate import decision_reevaluate
from compliance.checks.inputs import licence_spec
from compliance.models import (
    Approval,
    AuditEventType,
    Decision,
    Effect,
    Licence,
)
from config.errors import ApplicationError, Conflict, PermissionDenied
from dispatch import roles
from dispatch.models import Visit, VisitStatus
from dispatch.roles import User

MIN_JUSTIFICATION = 10


def _approval_guard(*, visit: Visit, user: User, justification: str, action: str) -> None:

    if not roles.can_approve(user):
        raise PermissionDenied("Only an approver may approve or reject a visit.")
    separation.require_uninvolved(visit=visit, user=user, action=action)
    if not justification or len(justification.strip()) < MIN_JUSTIFICATION:
        raise ApplicationError(
            "A justification is required.",
            errors={
                "justification": [
                    f"Explain the decision in at least {MIN_JUSTIFICATION} characters."
                ]
            },
        )


def decide_refusals(*, visit: Visit, user: User) -> dict[str, str]:
    """Why ``user`` may not approve or reject ``visit``: {"approve": reason, "reject": reason},
    an action absent from the map being one they may take. The pages offer only what this
    allows; ``visit_approve`` and ``visit_reject`` still enforce every guard themselves."""
    refusals: dict[str, str] = {}
    if not roles.can_approve(user):
        held = sorted(roles.user_roles(user))
        role = ", ".join(r.replace("_", " ") for r in held) or "none"
        reason = f"Your role ({role}) does not decide holds"
        return {"approve": reason, "reject": reason}
    if getattr(user, "pk", None) == visit.requested_by_id:
        reason = "You requested this visit: another approver must decide"
        return {"approve": reason, "reject": reason}
    if getattr(user, "pk", None) in (visit.editor_ids or []):
        reason = "You edited this visit: another approver must decide"
        return {"approve": reason, "reject": reason}
    decision = visit.current_decision
    if visit.status not in (VisitStatus.ON_HOLD, VisitStatus.BLOCKED) or decision is None:
        reason = f"The visit is {visit.get_status_display().lower()}, not on hold"
        return {"approve": reason, "reject": reason}
    if visit.status == VisitStatus.BLOCKED or decision.outcome == Effect.PROHIBITED:
        refusals["approve"] = "Prohibited: cannot be approved (reject it)"
    elif decision.error or visit.check_requested_at is not None:
        refusals["approve"] = "The check has not finished: wait for its decision"
    return refusals


def visit_approve(
    *, visit: Visit, user: User, justification: str, licence: Licence | None = None
) -> Visit:
    """Release a held visit. A prohibited visit cannot be approved; a licence_required hold only with
    a valid licence that covers every licence-required finding; never one's own request."""

    with transaction.atomic():
        locked = lifecycle.visit_lock(visit, related=["current_decision"])
        _approval_guard(visit=locked, user=user, justification=justification, action="approve")
        decision = locked.current_decision
        if locked.status == VisitStatus.BLOCKED or (
            decision and decision.outcome == Effect.PROHIBITED
        ):
            raise Conflict("A blocked visit (outcome prohibited) cannot be approved.")
        if locked.status != VisitStatus.ON_HOLD or decision is None:
            raise Conflict(
                f"Only a visit on hold can be approved; this one is {locked.get_status_display().lower()}."
            )
        if decision.error or locked.check_requested_at is not None:
            raise Conflict(
                "The visit's check has not finished (or failed); wait for its decision before approving."
            )
        licence_obj = None
        if licence is not None:
            licence_obj = Licence.objects.filter(pk=getattr(licence, "pk", licence)).first()
            if licence_obj is None:
                raise ApplicationError("No such licence.", errors={"licence": ["No such licence."]})
        uncovered = [
            f
            for f in decision.result.get("findings", [])
            if f["effect"] == Effect.LICENCE_REQUIRED and not f.get("covered_by_licence")
        ]
        if uncovered:
            if licence_obj is None:
                raise ApplicationError(
                    "A licence-required hold can only be approved with a licence that covers it.",
                    errors={
                        "licence": [
                            f"Attach a licence covering {', '.join(sorted({f['rule'] for f in uncovered}))}."
                        ]
                    },
                )
            still = _uncovered_with_licence(decision, locked, licence_obj)
            if still:
                from compliance.services.licence_proposals import licence_shortfalls

                why = "; ".join(licence_shortfalls(locked, licence_obj)) or "see the decision"
                raise ApplicationError(
                    f"Licence {licence_obj} does not cover this visit.",
                    errors={"licence": [f"Not covered: {', '.join(still)} ({why})."]},
                )
        approval = Approval.objects.create(
            visit=locked,
            decision=decision,
            action=Approval.Action.APPROVE,
            actor=user,
            justification=justification.strip(),
            licence=licence_obj,
        )
        lifecycle.visit_transition(
            visit=locked,
            to=VisitStatus.APPROVED,
            action="approved",
            event_type=AuditEventType.VISIT_APPROVED,
            actor=user,
            fields={"approval": approval},
            audit_new={
                "decision": decision.pk,
                "outcome": decision.outcome,
                "approval": approval.pk,
                "justification": approval.justification,
                "licence": str(licence_obj) if licence_obj else None,
            },
        )
        transaction.on_commit(lambda: notifications.notify_approval(approval.pk), robust=True)
    return locked


def _uncovered_with_licence(decision: Decision, visit: Visit, licence: Licence) -> list[str]:
    """Re-evaluate the decision's stored inputs with the licence added; list what stays uncovered."""
    # A licence recorded or changed by someone who requested or edited the visit does not count.
    spec = separation.withhold_licence(
        licence_spec(licence, visit.vendor.name),
        separation.recorded_by(licence.recorded_by),
        visit.involved_user_ids,
    )
    result = decision_reevaluate(decision, extra_licences=[spec])
    return sorted(
        {
            f.rule
            for f in result.findings
            if f.effect == Effect.LICENCE_REQUIRED and not f.covered_by_licence
        }
    )


def visit_reject(*, visit: Visit, user: User, justification: str) -> Visit:

    with transaction.atomic():
        locked = lifecycle.visit_lock(visit, related=["current_decision"])
        _approval_guard(visit=locked, user=user, justification=justification, action="reject")
        if (
            locked.status not in (VisitStatus.ON_HOLD, VisitStatus.BLOCKED)
            or locked.current_decision is None
        ):
            raise Conflict(
                f"Only a held or blocked visit can be rejected; this one is {locked.get_status_display().lower()}."
            )
        approval = Approval.objects.create(
            visit=locked,
            decision=locked.current_decision,
            action=Approval.Action.REJECT,
            actor=user,
            justification=justification.strip(),
        )
        lifecycle.visit_transition(
            visit=locked,
            to=VisitStatus.REJECTED,
            action="rejected",
            event_type=AuditEventType.VISIT_REJECTED,
            actor=user,
            fields={"check_requested_at": None},
            audit_new={
                "decision": locked.current_decision_id,
                "approval": approval.pk,
                "justification": approval.justification,
            },
        )
        transaction.on_commit(lambda: notifications.notify_approval(approval.pk), robust=True)
    return locked
