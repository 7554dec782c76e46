"""Licences proposed for approving a hold: the licences on file that could apply to the visit,
each marked as covering every licence-required finding or naming the condition that fails.

Coverage is the engine's own (``compliance.engine.coverage.licence_mismatch``, the test that
``licence_covers`` is made of), on the pending findings of the stored decision, so what this
proposes is what the approval's re-evaluation accepts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils import timezone

from compliance import engine, runtime, separation
from compliance.checks.inputs import licence_from_dict, licence_spec
from compliance.engine.coverage import PendingFinding, apply_licences, licence_mismatch
from compliance.engine.evaluate import pending_findings
from compliance.models import Decision, Effect, Licence
from dispatch.models import Visit

# A licence ending within this many days shows (and is emailed) as expiring soon.
EXPIRY_WARNING_DAYS = 30


@dataclass(frozen=True)
class LicenceProposal:
    licence: Licence
    # Every licence-required finding the visit still needs covered is covered by this licence.
    covers_all: bool
    # How many such findings there are.
    findings: int
    # Each failing condition, in plain words (empty when it covers all).
    reasons: list[str] = field(default_factory=list)
    # Days until the last day of validity, when that is within EXPIRY_WARNING_DAYS.
    expires_in_days: int | None = None

    @property
    def summary(self) -> str:
        if self.covers_all:
            n = self.findings
            return f"Covers all {n} finding{'s' if n != 1 else ''}"
        return "; ".join(self.reasons)

    @property
    def expiry(self) -> str:
        days = self.expires_in_days
        if days is None:
            return ""
        if days == 0:
            return "expires today"
        return f"expires in {days} day{'s' if days != 1 else ''}"


def expires_in_days(licence: Licence, today: dt.date | None = None) -> int | None:
    days = (licence.valid_until - (today or timezone.localdate())).days
    return days if 0 <= days <= EXPIRY_WARNING_DAYS else None


def licences_listed(visit: Visit) -> QuerySet[Licence]:
    """The licences an approver may pick for this visit: not revoked, held by its vendor (or by
    nobody, e.g. a VEU) and in force on at least one day of the visit."""
    return (
        Licence.objects.filter(revoked_at__isnull=True)
        .filter(Q(holder_id=visit.vendor_id) | Q(holder__isnull=True))
        .filter(valid_from__lte=visit.end_date, valid_until__gte=visit.start_date)
        .select_related("holder")
        .prefetch_related("facilities", "owners", "engineers")
        .order_by("authority", "number")
    )


def _needing_cover(decision: Decision) -> tuple[engine.VisitDocument, list[PendingFinding]]:
    """The stored decision's licence-required findings that its own licences leave uncovered."""
    document = engine.parse_document(decision.document)
    stored = [licence_from_dict(d) for d in decision.licences_input]
    screening = [engine.ScreeningHit(**h) for h in decision.screening_input]
    pending = pending_findings(
        document,
        runtime.compiled_ruleset(decision.ruleset),
        screening=screening,
        licences=stored,
        lists_version=decision.lists_version or None,
        list_is_stale=decision.list_is_stale,
        list_problems=[engine.ListProblem(**p) for p in decision.list_problems or []],
    )
    required = [p for p in pending if p.finding.effect == Effect.LICENCE_REQUIRED]
    covered = apply_licences(required, document, stored)
    return document, [p for p, f in zip(required, covered, strict=True) if not f.covered_by_licence]


def _proposal(
    licence: Licence,
    visit: Visit,
    document: engine.VisitDocument,
    needed: list[PendingFinding],
    today: dt.date | None,
) -> LicenceProposal:
    spec = separation.withhold_licence(
        licence_spec(licence, visit.vendor.name),
        separation.recorded_by(licence.recorded_by),
        visit.involved_user_ids,
    )
    reasons: list[str] = []
    if spec.withheld_by:
        reasons.append(
            f"Recorded by {spec.withheld_by}, who requested or edited this visit: "
            "it does not count for it"
        )
    else:
        failing = [
            (pending.finding.rule, reason)
            for pending in needed
            if (reason := licence_mismatch(spec, pending, document)) is not None
        ]
        # One condition failing for every finding is said once; otherwise per rule.
        if len(failing) == len(needed) and len({r for _, r in failing}) == 1:
            reasons.append(failing[0][1])
        else:
            for rule, reason in failing:
                if f"{rule}: {reason}" not in reasons:
                    reasons.append(f"{rule}: {reason}")
    return LicenceProposal(
        licence=licence,
        covers_all=not reasons,
        findings=len(needed),
        reasons=reasons,
        expires_in_days=expires_in_days(licence, today),
    )


def _readable(visit: Visit) -> Decision | None:
    decision = visit.current_decision
    if decision is None or decision.error or decision.ruleset_id is None:
        return None
    return decision


def licences_proposed(visit: Visit, *, today: dt.date | None = None) -> list[LicenceProposal]:
    """The listed licences, those covering every licence-required finding first. Empty when the
    decision needs no licence (or cannot be re-read: the approval refuses such a visit anyway)."""
    decision = _readable(visit)
    if decision is None:
        return []
    document, needed = _needing_cover(decision)
    if not needed:
        return []
    proposals = [_proposal(lic, visit, document, needed, today) for lic in licences_listed(visit)]
    proposals.sort(key=lambda p: (not p.covers_all, p.licence.authority, p.licence.number))
    return proposals


def licence_shortfalls(visit: Visit, licence: Licence) -> list[str]:
    """Why this licence (any, listed or not) does not cover the visit's licence-required findings;
    empty when it covers them all. Used for the approval's refusal message."""
    decision = _readable(visit)
    if decision is None:
        return []
    document, needed = _needing_cover(decision)
    if not needed:
        return []
    proposal = _proposal(licence, visit, document, needed, None)
    reasons = list(proposal.reasons)
    if licence.revoked_at is not None and "Revoked" not in reasons:
        reasons.insert(0, "Revoked")
    return reasons
