"""The visit lifecycle: one table of allowed status moves and one function that makes each move.

Every change of ``Visit.status`` goes through here (DESIGN sec. 11): a check or re-check result, an
approval, a rejection, a cancellation, an edit. ``visit_transition`` guards the move against the
table, saves, appends the audit event and schedules side effects on commit, inside the caller's
transaction and on a row the caller locked with ``visit_lock``. The check path's bulk recorder
plans its moves with ``status_after_decision`` and ``require_move`` and writes them set-based.

Separation of duties (who may release which visit) is ``compliance.separation``; this module only
knows which move may follow which.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from compliance.audit import audit_record
from compliance.engine import status_for
from compliance.models import Approval, AuditEvent, AuditEventType
from config.errors import Conflict
from dispatch.models import Visit, VisitStatus
from dispatch.roles import User

S = VisitStatus

# status -> the statuses that may follow it. A move to the same status is no change (a re-check
# that confirms a hold, an edit of a pending visit) and is always allowed for an open visit.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.CLEARED, S.ON_HOLD, S.BLOCKED, S.CANCELLED}),
    S.CLEARED: frozenset({S.ON_HOLD, S.BLOCKED, S.CANCELLED, S.PENDING}),
    S.ON_HOLD: frozenset({S.APPROVED, S.REJECTED, S.CLEARED, S.BLOCKED, S.CANCELLED, S.PENDING}),
    S.BLOCKED: frozenset({S.REJECTED, S.ON_HOLD, S.CLEARED, S.CANCELLED, S.PENDING}),
    S.APPROVED: frozenset({S.ON_HOLD, S.BLOCKED, S.CANCELLED, S.PENDING}),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
}
FINAL_STATUSES = frozenset(status for status, nexts in TRANSITIONS.items() if not nexts)


def can_move(old: str, new: str) -> bool:
    if old == new:
        return old not in FINAL_STATUSES
    return new in TRANSITIONS.get(old, frozenset())


def _label(status: str) -> str:
    return VisitStatus(status).label.lower()


def require_move(old: str, new: str, *, action: str) -> None:
    """Refuse a move the table does not allow, with a message saying what and why."""
    if can_move(old, new):
        return
    if old in FINAL_STATUSES:
        raise Conflict(f"A {_label(old)} visit is final: it cannot be {action}.")
    allowed = ", ".join(sorted(_label(s) for s in TRANSITIONS[old]))
    raise Conflict(
        f"A {_label(old)} visit cannot be {action} (it can become: {allowed})."
        if allowed
        else f"A {_label(old)} visit cannot be {action}."
    )


def visit_lock(visit: Visit | int, *, related: Iterable[str] = ()) -> Visit:
    """The visit's row, locked for the rest of the caller's transaction."""
    pk = visit if isinstance(visit, int) else visit.pk
    query = Visit.objects.select_for_update(of=("self",))
    if related:
        query = query.select_related(*related)
    return query.get(pk=pk)


def visit_transition(
    *,
    visit: Visit,
    to: str,
    action: str,
    event_type: str,
    actor: User | None,
    fields: dict[str, Any] | None = None,
    audit_old: dict[str, Any] | None = None,
    audit_new: dict[str, Any] | None = None,
    on_commit: Callable[[], None] | None = None,
) -> Visit:
    """Move a locked visit to ``to``: guard, save (with ``fields``), audit, then side effects on
    commit. ``action`` names the move in a refusal ("approved", "cancelled", …)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("visit_transition runs inside the transaction that locked the visit")
    old = visit.status
    require_move(old, to, action=action)
    visit.status = to
    for name, value in (fields or {}).items():
        setattr(visit, name, value)
    visit.save(update_fields=["status", *(fields or {}), "updated_at"])
    audit_record(
        event_type=event_type,
        obj=visit,
        actor=actor,
        old={"status": old, **(audit_old or {})},
        new={"status": to, **(audit_new or {})},
    )
    if on_commit is not None:
        transaction.on_commit(on_commit, robust=True)
    return visit


def status_after_decision(
    *,
    status: str,
    new_outcome: str,
    is_error: bool,
    approval_stands: bool,
) -> str:
    """Where a visit goes after a check result.

    A system error never clears and never keeps a visit approved: it holds (fail closed). An
    approval stands only while the caller found the new findings to be exactly those approved.
    """
    if is_error:
        return S.BLOCKED if status == S.BLOCKED else S.ON_HOLD
    if status == S.APPROVED and approval_stands:
        return S.APPROVED
    return status_for(new_outcome)


# --- Tamper evidence of the state ------------------------------------------------------------
@dataclass(frozen=True)
class StateMismatch:
    visit_id: int
    stored: str
    derived: str | None
    reason: str

    def __str__(self) -> str:
        return f"visit {self.visit_id}: stored {self.stored!r}, records say {self.derived!r}: {self.reason}"


def _fold_trail(batch_size: int) -> dict[int, dict[str, Any]]:
    """Each visit's status and current decision as its audit trail (hash-chained) has them: the
    submission, then every decision, approval, rejection, cancellation and edit, in order, each
    move checked against the table."""
    trails: dict[int, dict[str, Any]] = {}
    last_id = 0
    while True:
        batch = list(
            AuditEvent.objects.filter(id__gt=last_id, object_type=Visit._meta.label)
            .order_by("id")
            .values("id", "event_type", "object_id", "old", "new")[:batch_size]
        )
        if not batch:
            return trails
        for event in batch:
            last_id = event["id"]
            visit_id = int(event["object_id"])
            new, old = event["new"] or {}, event["old"] or {}
            if event["event_type"] == AuditEventType.VISIT_SUBMITTED:
                trails[visit_id] = {"status": S.PENDING, "decision": None, "fault": ""}
                continue
            trail = trails.setdefault(
                visit_id, {"status": None, "decision": None, "fault": "no submission recorded"}
            )
            if "status" not in new:
                continue
            before, after = trail["status"], new["status"]
            if not trail["fault"] and old.get("status", before) != before:
                trail["fault"] = (
                    f"audit event {event['id']} starts from {old.get('status')!r}, the trail "
                    f"before it ends at {before!r}"
                )
            elif not trail["fault"] and before is not None and not can_move(before, after):
                trail["fault"] = (
                    f"audit event {event['id']} moves {before!r} to {after!r}, which the "
                    "lifecycle does not allow"
                )
            trail["status"] = after
            if event["event_type"] == AuditEventType.DECISION_RECORDED:
                trail["decision"] = new.get("decision")


def visit_states_verify(*, batch_size: int = 5000) -> list[StateMismatch]:
    """Every visit whose stored state differs from what its records say.

    The records are the visit's audit trail (decisions, approvals, rejections, cancellations,
    edits; the chain makes it tamper-evident) and the approval the visit points at. A status or
    current decision changed in the database without going through the lifecycle is named here.
    """
    trails = _fold_trail(batch_size)
    rejected = set(
        Approval.objects.filter(action=Approval.Action.REJECT).values_list("visit_id", flat=True)
    )
    out: list[StateMismatch] = []
    visits = Visit.objects.order_by("pk").values(
        "pk",
        "status",
        "current_decision_id",
        "approval_id",
        "approval__action",
        "approval__visit_id",
    )
    for row in visits.iterator(chunk_size=batch_size):
        stored = row["status"]
        trail = trails.get(row["pk"])
        if trail is None:
            out.append(StateMismatch(row["pk"], stored, None, "the visit has no audit trail"))
            continue
        derived = trail["status"]
        reasons = []
        if trail["fault"]:
            reasons.append(trail["fault"])
        if stored != derived:
            reasons.append("the status differs from the last status move recorded")
        if row["current_decision_id"] != trail["decision"]:
            reasons.append(
                f"its current decision is {row['current_decision_id']}, the last one recorded "
                f"is {trail['decision']}"
            )
        if stored == S.APPROVED and (
            row["approval__action"] != Approval.Action.APPROVE
            or row["approval__visit_id"] != row["pk"]
        ):
            reasons.append("no approval of this visit is on record for it")
        if stored == S.REJECTED and row["pk"] not in rejected:
            reasons.append("no rejection of this visit is on record")
        if reasons:
            out.append(StateMismatch(row["pk"], stored, derived, "; ".join(reasons)))
    return out
