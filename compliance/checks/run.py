"""The check, end to end (DESIGN sec. 1): read the visits' inputs, screen their parties, gather
their licences, evaluate each with the engine, record the decisions. Any error fails closed: the
visit is held with a system finding, never cleared, and the task retries.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence

from django.db import InterfaceError, OperationalError
from django.utils import timezone

from compliance import engine, separation
from compliance.checks import inputs
from compliance.checks.evaluate import Evaluation, error_decision, evaluate_document
from compliance.checks.inputs import (
    CheckContext,
    check_context,
    false_positive_marks,
    licences_for_visits,
)
from compliance.checks.record import PendingDecision, decisions_record
from compliance.models import (
    Decision,
    Reconfirmation,
    Trigger,
)
from compliance.selectors import CheckInput, check_inputs
from dispatch.models import OPEN_STATUSES

logger = logging.getLogger(__name__)


def _evaluate_visit(
    visit: CheckInput,
    *,
    ctx: CheckContext | None,
    context_error: str,
    licences: dict[int, list[engine.LicenceSpec]],
    party_keys: dict[str, str],
    marks: Mapping[tuple[str, str, str], Sequence[separation.Supplier]],
    decided_at: dt.datetime,
) -> Evaluation:
    """Screening and engine for one visit; any failure becomes a system decision."""
    document = visit.document
    if visit.error:
        return Evaluation(
            document,
            [],
            [],
            error_decision(document, visit.error, ctx=ctx, decided_at=decided_at),
            error=visit.error,
        )
    if ctx is None:
        return Evaluation(
            document,
            [],
            [],
            error_decision(document, context_error, ctx=None, decided_at=decided_at),
            error=context_error,
        )
    try:
        screening = inputs.screen_parties(
            index=ctx.index,
            document=document,
            party_keys=party_keys,
            false_positives=marks,
            involved=visit.involved_user_ids,
        )
    except Exception as exc:
        logger.exception("Screening failed for visit %s", visit.pk)
        error = f"Screening failed: {type(exc).__name__}: {exc}"
        return Evaluation(
            document,
            [],
            [],
            error_decision(document, error, ctx=ctx, decided_at=decided_at),
            error=error,
        )
    return evaluate_document(
        document=document,
        ctx=ctx,
        screening=screening,
        licences=licences.get(visit.pk, []),
        decided_at=decided_at,
    )


def visits_check(*, visit_ids: Sequence[int]) -> list[Decision | Reconfirmation]:
    """Check a batch of visits that have a pending check request, in a fixed number of queries.

    Returns the decisions and re-confirmations stored. Raises after recording fail-closed
    decisions when anything went wrong, so the task retries.
    """
    decided_at = timezone.now()
    visits = [
        v for v in check_inputs(visit_ids) if v.check_requested_at and v.status in OPEN_STATUSES
    ]
    if not visits:
        return []
    try:
        ctx: CheckContext | None = check_context(now=decided_at)
    except Exception as exc:  # no rules or a broken list: hold, never clear
        logger.exception("Check context unavailable")
        ctx = None
        context_error = f"{type(exc).__name__}: {exc}"
    else:
        context_error = ""

    licences = licences_for_visits(visits) if ctx else {}
    keys_by_visit = {v.pk: v.party_keys for v in visits}
    marks = false_positive_marks(k for keys in keys_by_visit.values() for k in keys.values())
    pending = [
        PendingDecision(
            visit_id=visit.pk,
            request_key=visit.check_requested_at.isoformat(),
            trigger=visit.check_trigger or Trigger.SUBMISSION,
            evaluation=_evaluate_visit(
                visit,
                ctx=ctx,
                context_error=context_error,
                licences=licences,
                party_keys=keys_by_visit[visit.pk],
                marks=marks,
                decided_at=decided_at,
            ),
        )
        for visit in visits
    ]
    decisions = decisions_record(items=pending, ctx=ctx)
    failed = [p for p in pending if p.evaluation.error]
    if failed:
        raise CheckFailed(
            "; ".join(f"visit {p.visit_id}: {p.evaluation.error}" for p in failed[:20]),
            visit_ids=[p.visit_id for p in failed],
        )
    return decisions


def visits_check_isolating(*, visit_ids: Sequence[int]) -> list[Decision | Reconfirmation]:
    """``visits_check``, but an unexpected error in a batch does not hold up the others.

    A failure no visit's own fail-closed decision caught (a database refusing one row, a bug)
    rolls the whole batch back; the batch is then checked visit by visit, so that one bad visit
    delays only itself. Its check request stays open (never cleared) and ``CheckFailed`` names
    it for the retry. Database outages are raised as they are: every visit would fail alike.
    """

    try:
        return visits_check(visit_ids=visit_ids)
    except (CheckFailed, OperationalError, InterfaceError):
        raise
    except Exception:
        if len(visit_ids) <= 1:
            raise
        logger.exception("A batch of %d checks failed; checking them one by one", len(visit_ids))
    decided: list[Decision | Reconfirmation] = []
    failed: list[int] = []
    errors: list[str] = []
    for visit_id in visit_ids:
        try:
            decided += visits_check(visit_ids=[visit_id])
        except CheckFailed as exc:
            failed += exc.visit_ids
            errors.append(str(exc))
        except (OperationalError, InterfaceError):
            raise
        except Exception as exc:
            logger.exception("The check of visit %s failed", visit_id)
            failed.append(visit_id)
            errors.append(f"visit {visit_id}: {type(exc).__name__}: {exc}")
    if failed:
        raise CheckFailed("; ".join(errors[:20]), visit_ids=failed)
    return decided


class CheckFailed(Exception):
    """Raised after fail-closed decisions were stored, so that the task retries the check."""

    def __init__(self, message: str, *, visit_ids: Sequence[int] = ()) -> None:
        super().__init__(message)
        self.visit_ids = list(visit_ids)
