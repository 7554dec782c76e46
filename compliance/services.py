"""Writes of the compliance side: check requests, decisions, rule sets, list imports, reviews.

The check path fails closed: any error while building the document, screening or evaluating
records an ``on_hold`` decision with a system finding (never ``cleared``) and the task retries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from compliance import bulk, engine, lifecycle, runtime, separation
from compliance.audit import audit_canonical, audit_record
from compliance.models import (
    Approval,
    AuditEvent,
    AuditEventType,
    Decision,
    Finding,
    Licence,
    ListSnapshot,
    MatchReview,
    RuleSet,
    Trigger,
)
from compliance.selectors import CheckInput, check_inputs
from config.errors import ApplicationError
from dispatch.models import OPEN_STATUSES, Visit, VisitStatus

logger = logging.getLogger(__name__)


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)


def _sha256(value: Any) -> str:
    return hashlib.sha256(_canonical_json(value).encode()).hexdigest()


def notify_decisions_later(notices: list[tuple[int, str]]) -> None:
    from compliance.tasks import notify_decisions

    notify_decisions.delay(notices)


# --- Check requests --------------------------------------------------------------------------
def _enqueue(visit_ids: list[int]) -> None:
    from compliance import batching
    from compliance.tasks import check_visit, check_visits

    if len(visit_ids) == 1:
        batching.push(visit_ids)
        check_visit.delay(visit_ids[0])
        return
    size = settings.COMPLIANCE["RECHECK_CHUNK_SIZE"]
    for i in range(0, len(visit_ids), size):
        check_visits.delay(visit_ids[i : i + size])


def visit_request_check(*, visit: Visit, trigger: str, actor: Any = None) -> None:
    """Ask for a check of one visit; the task is enqueued when the transaction commits."""
    now = timezone.now()
    Visit.objects.filter(pk=visit.pk).update(check_requested_at=now, check_trigger=trigger)
    visit.check_requested_at = now
    visit.check_trigger = trigger
    pk = visit.pk
    # robust: a broker that is down must not turn an accepted visit into an error; the visit
    # keeps its check request and the sweeper enqueues it again.
    transaction.on_commit(lambda: _enqueue([pk]), robust=True)


def visits_request_check(
    *, visits: QuerySet[Visit], trigger: str, as_of: dt.date | None = None
) -> int:
    """Ask for a check of every open, not yet finished visit of ``visits``; returns how many."""
    today = as_of or timezone.localdate()
    ids = list(
        visits.filter(status__in=OPEN_STATUSES, end_date__gte=today)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )
    if not ids:
        return 0
    bulk.update_by_ids(Visit, ids, check_requested_at=timezone.now(), check_trigger=trigger)
    transaction.on_commit(lambda: _enqueue(ids), robust=True)
    return len(ids)


def visits_sweep_unchecked(*, older_than_minutes: int | None = None) -> int:
    """Re-enqueue visits whose requested check has not produced a decision in time.

    A lost message, a worker killed mid-task or a broker restart delays a decision; this makes sure
    it never loses one.
    """
    minutes = (
        older_than_minutes
        if older_than_minutes is not None
        else settings.COMPLIANCE["SWEEP_AFTER_MINUTES"]
    )
    cutoff = timezone.now() - dt.timedelta(minutes=minutes)
    ids = list(
        Visit.objects.filter(check_requested_at__lte=cutoff, status__in=OPEN_STATUSES)
        .order_by("check_requested_at")
        .values_list("pk", flat=True)[:10000]
    )
    if ids:
        logger.warning(
            "Re-enqueueing %d visits whose check was requested before %s", len(ids), cutoff
        )
        _enqueue(ids)
    return len(ids)


# --- Check context ---------------------------------------------------------------------------
@dataclass
class CheckContext:
    """What every check of one batch shares: the rules and the list in force."""

    ruleset: RuleSet
    compiled: Any
    snapshot: ListSnapshot | None
    index: Any
    list_is_stale: bool

    @property
    def lists_version(self) -> str | None:
        return self.snapshot.version if self.snapshot else None


def active_ruleset() -> RuleSet:
    # The packs' text is only read to compile a version not yet cached in this process.
    ruleset = RuleSet.objects.filter(is_active=True).defer("packs").first()
    if ruleset is None:
        raise ApplicationError("No rule set is loaded: run `manage.py load_rulepacks`.")
    return ruleset


def active_snapshot() -> ListSnapshot | None:
    # Read on every check: without the import's diff and warnings (thousands of ids for a
    # full list), which the check never uses.
    return ListSnapshot.objects.filter(is_active=True).defer("diff", "warnings", "counts").first()


def check_context(*, now: dt.datetime | None = None) -> CheckContext:
    ruleset = active_ruleset()
    snapshot = active_snapshot()
    now = now or timezone.now()
    max_age = dt.timedelta(days=settings.COMPLIANCE["LIST_MAX_AGE_DAYS"])
    return CheckContext(
        ruleset=ruleset,
        compiled=runtime.compiled_ruleset(ruleset),
        snapshot=snapshot,
        index=runtime.screening_index(snapshot) if snapshot else None,
        list_is_stale=bool(snapshot and now - snapshot.imported_at > max_age),
    )


# --- Screening -------------------------------------------------------------------------------
def _screen(index: Any, name: str, country: str | None) -> list[Any]:
    if index is None or not name or not name.strip():
        return []
    return index.search(name, country=country, threshold=settings.COMPLIANCE["SCREENING_THRESHOLD"])


def screen_parties(
    *,
    index: Any,
    document: dict[str, Any],
    party_keys: dict[str, str] | None = None,
    false_positives: Mapping[tuple[str, str, str], Sequence[separation.Supplier]] | None = None,
    involved: frozenset[int] = frozenset(),
) -> list[engine.ScreeningHit]:
    """Screen the facility owner (and aliases) and every engineer of a document.

    ``party_keys`` maps document parties ("facility.owner", "engineers[0]") to stable keys
    ("customer:3", "engineer:7") under which false-positive marks are stored;
    ``false_positives`` gives who marked each (key, entry id, entry hash); a mark made by one of
    ``involved`` (who requested or edited the visit) does not count for it.
    """
    hits: list[engine.ScreeningHit] = []
    party_keys = party_keys or {}
    false_positives = false_positives or {}
    facility = document.get("facility") or {}
    owner_names = [facility.get("owner") or ""] + list(facility.get("owner_aliases") or [])
    targets: list[tuple[str, str, str | None]] = [
        ("facility.owner", n, facility.get("country")) for n in owner_names if n
    ]
    for i, eng in enumerate(document.get("engineers") or []):
        targets.append((f"engineers[{i}]", eng.get("name") or "", None))
    seen: set[tuple[str, str]] = set()
    for party, name, country in targets:
        for match in _screen(index, name, country):
            if (party, match.entry_id) in seen:
                continue
            seen.add((party, match.entry_id))
            key = party_keys.get(party, party)
            marked_by, withheld_by = separation.mark_basis(
                false_positives.get((key, match.entry_id, match.entry_hash), ()), involved
            )
            hits.append(
                engine.ScreeningHit(
                    party=party,
                    name=name,
                    list_code=match.list_code,
                    entry_id=match.entry_id,
                    entry_name=match.entry_name,
                    score=round(float(match.score), 4),
                    explanation=match.explanation,
                    entry_hash=match.entry_hash,
                    false_positive=bool(marked_by),
                    false_positive_by=marked_by,
                    withheld_by=withheld_by,
                )
            )
    return hits


def _false_positive_marks(
    party_keys: Iterable[str],
) -> dict[tuple[str, str, str], list[separation.Supplier]]:
    """Who marked each (party key, entry id, entry hash) as a false positive, oldest first."""
    marks: dict[tuple[str, str, str], list[separation.Supplier]] = {}
    for party, entry_id, entry_hash, user_id, username in (
        MatchReview.objects.filter(party__in=set(party_keys))
        .order_by("marked_at", "pk")
        .values_list("party", "entry_id", "entry_hash", "marked_by_id", "marked_by__username")
    ):
        marks.setdefault((party, entry_id, entry_hash), []).append((user_id, username))
    return marks


# --- Licences --------------------------------------------------------------------------------
def _licence_spec(licence: Licence, vendor_name: str) -> engine.LicenceSpec:
    facilities = [f.name for f in licence.facilities.all()] + [c.name for c in licence.owners.all()]
    return engine.LicenceSpec(
        id=str(licence.pk),
        authority=licence.authority,
        number=licence.number,
        holder=licence.holder.name if licence.holder_id else vendor_name,
        valid_from=licence.valid_from,
        valid_until=licence.valid_until,
        facilities=tuple(sorted(facilities)),
        activities=tuple(sorted(licence.activities or [])),
        classifications=tuple(sorted(licence.classifications or [])),
        engineers=tuple(sorted(e.name for e in licence.engineers.all())),
        revoked=licence.revoked_at is not None,
        recorded_by=tuple(username for _, username in separation.recorded_by(licence.recorded_by)),
    )


def licences_for_visits(visits: Sequence[CheckInput]) -> dict[int, list[engine.LicenceSpec]]:
    """Licences that could cover each visit: held by its vendor (or by anyone, e.g. a VEU) and naming
    its facility or the facility's owner. A fixed number of queries for any number of visits."""
    from django.db.models import Q

    vendor_ids = {v.vendor_id for v in visits}
    facility_ids = {v.facility_id for v in visits}
    customer_ids = {v.customer_id for v in visits}
    licences = list(
        Licence.objects.filter(Q(holder_id__in=vendor_ids) | Q(holder__isnull=True))
        .filter(Q(facilities__in=facility_ids) | Q(owners__in=customer_ids))
        .distinct()
        .select_related("holder")
        .prefetch_related("facilities", "owners", "engineers")
    )
    places = [
        (
            lic,
            {f.pk for f in lic.facilities.all()},
            {c.pk for c in lic.owners.all()},
        )
        for lic in licences
    ]
    specs_by: dict[tuple[int, str], engine.LicenceSpec] = {}
    out: dict[int, list[engine.LicenceSpec]] = {}
    for visit in visits:
        specs = []
        for lic, facility_ids, owner_ids in places:
            if lic.holder_id not in (None, visit.vendor_id):
                continue
            if visit.facility_id in facility_ids or visit.customer_id in owner_ids:
                key = (lic.pk, visit.vendor_name)
                if key not in specs_by:
                    specs_by[key] = _licence_spec(lic, visit.vendor_name)
                specs.append(
                    separation.withhold_licence(
                        specs_by[key],
                        separation.recorded_by(lic.recorded_by),
                        visit.involved_user_ids,
                    )
                )
        out[visit.pk] = sorted(specs, key=lambda s: (s.authority, s.number))
    return out


# --- Evaluate --------------------------------------------------------------------------------
@dataclass
class Evaluation:
    document: dict[str, Any]
    screening: list[engine.ScreeningHit]
    licences: list[engine.LicenceSpec]
    decision: Any  # engine.Decision
    error: str = ""
    duration_ms: float = 0.0


def _hit_dict(hit: engine.ScreeningHit) -> dict[str, Any]:
    return asdict(hit)


def _licence_dict(spec: engine.LicenceSpec) -> dict[str, Any]:
    d = asdict(spec)
    d["valid_from"] = spec.valid_from.isoformat()
    d["valid_until"] = spec.valid_until.isoformat()
    return d


def _licence_from_dict(d: dict[str, Any]) -> engine.LicenceSpec:
    data = dict(d)
    data["valid_from"] = dt.date.fromisoformat(data["valid_from"])
    data["valid_until"] = dt.date.fromisoformat(data["valid_until"])
    for key in ("facilities", "activities", "classifications", "engineers", "recorded_by"):
        data[key] = tuple(data.get(key) or ())
    return engine.LicenceSpec(**data)


def evaluate_document(
    *,
    document: dict[str, Any],
    ctx: CheckContext,
    screening: list[engine.ScreeningHit],
    licences: list[engine.LicenceSpec],
    decided_at: dt.datetime,
) -> Evaluation:
    """Run the engine; any failure becomes a fail-closed system decision, never ``cleared``."""
    started = time.perf_counter()
    try:
        parsed = engine.parse_document(document)
        decision = engine.evaluate(
            parsed,
            ctx.compiled,
            screening=screening,
            licences=licences,
            lists_version=ctx.lists_version,
            list_is_stale=ctx.list_is_stale,
            decided_at=decided_at,
        )
        error = ""
    except Exception as exc:
        logger.exception("Check failed for document %s", document.get("visit", {}).get("id"))
        error = f"{type(exc).__name__}: {exc}"
        decision = _error_decision(document, error, ctx=ctx, decided_at=decided_at)
    return Evaluation(
        document=document,
        screening=screening,
        licences=licences,
        decision=decision,
        error=error,
        duration_ms=(time.perf_counter() - started) * 1000,
    )


def _as_of(document: dict[str, Any]) -> dt.date:
    try:
        return dt.date.fromisoformat(document["visit"]["start_date"])
    except Exception:
        return timezone.localdate()


def _error_decision(
    document: dict[str, Any] | None,
    error: str,
    *,
    ctx: CheckContext | None,
    decided_at: dt.datetime,
) -> Any:
    return engine.system_error_decision(
        None,
        error,
        rules_version=ctx.ruleset.version if ctx else "",
        lists_version=ctx.lists_version if ctx else None,
        as_of=_as_of(document or {}),
        decided_at=decided_at,
    )


def check_document(document: dict[str, Any], *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Dry run (``POST /api/v1/checks/``, ``manage.py check_visit``): the same engine, rules and
    list as the worker; nothing is stored. Raises ``engine.DocumentError`` for an invalid document."""
    parsed = engine.parse_document(document)
    canonical = engine.document_to_dict(parsed)
    ctx = check_context(now=now)
    screening = screen_parties(index=ctx.index, document=canonical)
    decision = engine.evaluate(
        parsed,
        ctx.compiled,
        screening=screening,
        licences=[],
        lists_version=ctx.lists_version,
        list_is_stale=ctx.list_is_stale,
        decided_at=now or timezone.now(),
    )
    return decision.to_dict()


# --- Record ----------------------------------------------------------------------------------
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
    return _sha256(
        {
            "document": evaluation.document,
            "screening": [_hit_dict(h) for h in evaluation.screening],
            "licences": [_licence_dict(lic) for lic in evaluation.licences],
            "rules": result_dict.get("rules_version"),
            "lists": result_dict.get("lists_version"),
            "stale": ctx.list_is_stale if ctx else None,
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


def decisions_record(
    *, items: Sequence[PendingDecision], ctx: CheckContext | None
) -> list[Decision]:
    """Store a chunk of decisions and move their visits, in one transaction and a fixed number of
    statements (lock, insert decisions, insert findings, update visits, audit; plus one read of
    the previous findings when some outcome changed).

    A result whose check request was superseded meanwhile (the visit was edited, cancelled or
    already decided) is dropped: idempotent under redelivery and concurrent re-enqueues.
    """
    from compliance.audit import audit_record_many

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
            for row in Visit.objects.select_for_update(of=("self",))
            .filter(pk__in=[i.visit_id for i in items])
            .order_by("pk")  # every transaction locks visits in this order
            .values(
                "id",
                "status",
                "check_requested_at",
                "approval_id",
                "current_decision_id",
                "current_decision__input_digest",
                "current_decision__outcome",
                "approval__decision__result",
                "approval__licence__revoked_at",
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
        for item, result_dict, digest, row in accepted:
            evaluation = item.evaluation
            result = evaluation.decision
            previous_id = row["current_decision_id"]
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
                screening_input=[_hit_dict(h) for h in evaluation.screening],
                licences_input=[_licence_dict(lic) for lic in evaluation.licences],
                ruleset=ctx.ruleset if ctx else None,
                rules_version=result_dict.get("rules_version") or "",
                snapshot=ctx.snapshot if ctx else None,
                lists_version=result_dict.get("lists_version") or "",
                list_is_stale=bool(ctx and ctx.list_is_stale),
                outcome=result.outcome,
                status=result.status,
                result=result_dict,
                as_of=result.as_of,
                decided_at=result.decided_at or now,
                duration_ms=evaluation.duration_ms,
                error=evaluation.error,
                previous_id=previous_id,
                change_reason=reason,
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
                        citation=f.get("citation") or "",
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
        )
        # Only where the status changed (a re-check that changes nothing notifies nobody).
        notices = [(d.pk, old) for v, d, old, _, _ in moved if v.status != old]
        if notices:
            # Its own task: mail servers are slow, and a check's time limit is for checking.
            transaction.on_commit(lambda: notify_decisions_later(notices), robust=True)
    return decisions


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
            _error_decision(document, visit.error, ctx=ctx, decided_at=decided_at),
            error=visit.error,
        )
    if ctx is None:
        return Evaluation(
            document,
            [],
            [],
            _error_decision(document, context_error, ctx=None, decided_at=decided_at),
            error=context_error,
        )
    try:
        screening = screen_parties(
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
            _error_decision(document, error, ctx=ctx, decided_at=decided_at),
            error=error,
        )
    return evaluate_document(
        document=document,
        ctx=ctx,
        screening=screening,
        licences=licences.get(visit.pk, []),
        decided_at=decided_at,
    )


def visits_check(*, visit_ids: Sequence[int]) -> list[Decision]:
    """Check a batch of visits that have a pending check request, in a fixed number of queries.

    Raises after recording fail-closed decisions when anything went wrong, so the task retries.
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
    marks = _false_positive_marks(k for keys in keys_by_visit.values() for k in keys.values())
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


def visits_check_isolating(*, visit_ids: Sequence[int]) -> list[Decision]:
    """``visits_check``, but an unexpected error in a batch does not hold up the others.

    A failure no visit's own fail-closed decision caught (a database refusing one row, a bug)
    rolls the whole batch back; the batch is then checked visit by visit, so that one bad visit
    delays only itself. Its check request stays open (never cleared) and ``CheckFailed`` names
    it for the retry. Database outages are raised as they are: every visit would fail alike.
    """
    from django.db import InterfaceError, OperationalError

    try:
        return visits_check(visit_ids=visit_ids)
    except (CheckFailed, OperationalError, InterfaceError):
        raise
    except Exception:
        if len(visit_ids) <= 1:
            raise
        logger.exception("A batch of %d checks failed; checking them one by one", len(visit_ids))
    decided: list[Decision] = []
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


def visit_request_recheck(*, visit: Visit, user: Any) -> Visit:
    """The explicit "re-check" action."""
    from dispatch import roles

    if not (
        roles.is_superuser(user)
        or roles.can_approve(user)
        or (roles.can_file_visits(user) and roles.user_vendor_id(user) == visit.vendor_id)
    ):
        from config.errors import PermissionDenied

        raise PermissionDenied("Your role may not re-check this visit.")
    with transaction.atomic():
        locked = Visit.objects.select_for_update().get(pk=visit.pk)
        if locked.status not in OPEN_STATUSES:
            from config.errors import Conflict

            raise Conflict(f"A {locked.get_status_display().lower()} visit is not re-checked.")
        audit_record(
            event_type=AuditEventType.CHECK_REQUESTED,
            obj=locked,
            actor=user,
            new={"trigger": Trigger.MANUAL},
        )
        visit_request_check(visit=locked, trigger=Trigger.MANUAL, actor=user)
    return locked


# --- Replay ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReplayResult:
    identical: bool
    differences: list[str]
    original: dict[str, Any]
    replayed: dict[str, Any]


def _comparable(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k != "decided_at"}


def decision_replay(decision: Decision) -> ReplayResult:
    """Re-evaluate the stored document with the stored rule set, hits, licences and list version."""
    original = decision.result
    if decision.ruleset is None:
        return ReplayResult(False, ["the decision has no stored rule set"], original, {})
    compiled = runtime.compiled_ruleset(decision.ruleset)
    screening = [engine.ScreeningHit(**h) for h in decision.screening_input]
    licences = [_licence_from_dict(d) for d in decision.licences_input]
    try:
        parsed = engine.parse_document(decision.document)
        replayed = engine.evaluate(
            parsed,
            compiled,
            screening=screening,
            licences=licences,
            lists_version=decision.lists_version or None,
            list_is_stale=decision.list_is_stale,
            decided_at=decision.decided_at,
        ).to_dict()
    except Exception as exc:
        replayed = _error_decision(
            decision.document,
            f"{type(exc).__name__}: {exc}",
            ctx=None,
            decided_at=decision.decided_at,
        ).to_dict()
    a, b = _comparable(original), _comparable(json.loads(_canonical_json(replayed)))
    a = json.loads(_canonical_json(a))
    differences = []
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            differences.append(f"{key}: stored {a.get(key)!r} ≠ replayed {b.get(key)!r}")
    return ReplayResult(not differences, differences, original, replayed)


def visits_pre_travel_recheck(*, as_of: dt.date | None = None) -> int:
    """Re-check every open visit starting within the next ``PRE_TRAVEL_DAYS`` days."""
    today = as_of or timezone.localdate()
    horizon = today + dt.timedelta(days=settings.COMPLIANCE["PRE_TRAVEL_DAYS"])
    with transaction.atomic():
        return visits_request_check(
            visits=Visit.objects.filter(start_date__gte=today, start_date__lte=horizon),
            trigger=Trigger.PRE_TRAVEL,
            as_of=today,
        )


# --- Rule sets -------------------------------------------------------------------------------
def _rule_rows(ruleset: RuleSet, compiled: Any) -> None:
    from compliance.models import CountryGroupMembership, Rule

    enabled = set(ruleset.enabled_policies)
    Rule.objects.bulk_create(
        Rule(
            ruleset=ruleset,
            code=r.code,
            pack=r.source_file,
            jurisdiction=r.jurisdiction,
            title=r.title,
            citation=r.citation,
            source_url=r.source_url or "",
            confidence=r.confidence,
            effective_from=r.effective_from,
            effective_to=r.effective_to,
            scope=r.scope,
            effect=r.effect,
            licence_authority=r.licence_authority or "",
            condition=r.when,
            message=r.message,
            is_policy=r.policy,
            is_enabled=(not r.policy) or r.code in enabled,
        )
        for r in compiled.rules
    )
    CountryGroupMembership.objects.bulk_create(
        CountryGroupMembership(
            ruleset=ruleset,
            group=g.code,
            country=m.country,
            valid_from=m.from_date,
            valid_to=m.to_date,
            citation=m.citation or g.citation,
            confidence=m.confidence or g.confidence,
        )
        for g in compiled.groups
        for m in g.members
    )


def _ruleset_activate(ruleset: RuleSet, *, actor: Any, note: str) -> int:
    """Make ``ruleset`` the one in force and re-check every open visit (inside a transaction)."""
    previous = (
        RuleSet.objects.select_for_update().filter(is_active=True).exclude(pk=ruleset.pk).first()
    )
    if previous is not None:
        RuleSet.objects.filter(pk=previous.pk).update(is_active=False)
    RuleSet.objects.filter(pk=ruleset.pk).update(is_active=True)
    ruleset.is_active = True
    # Visits before the audit chain head, the order every transaction takes them in.
    count = visits_request_check(visits=Visit.objects.all(), trigger=Trigger.RULE_CHANGE)
    audit_record(
        event_type=AuditEventType.RULESET_ACTIVATED,
        obj=ruleset,
        actor=actor,
        old={"version": previous.version if previous else None},
        new={
            "version": ruleset.version,
            "enabled_policies": ruleset.enabled_policies,
            "note": note,
        },
    )
    return count


def ruleset_load(
    *, texts: dict[str, str] | None = None, actor: Any = None, note: str = ""
) -> tuple[RuleSet, bool]:
    """Load the rule packs; a changed pack makes a new version and re-checks open visits.

    Idempotent: loading the packs in force again changes nothing. A bad pack raises
    ``engine.RulePackError`` (naming file, rule and problem) and changes nothing.
    """
    if texts is None:
        texts = engine.read_rule_pack_dir(settings.COMPLIANCE["RULEPACK_DIR"])
    packs = engine.load_rule_packs(texts)
    current = RuleSet.objects.filter(is_active=True).first()
    policy_codes = {r.code for r in packs.rules if r.policy}
    enabled = frozenset(
        c for c in (current.enabled_policies if current else []) if c in policy_codes
    )
    if current is None:
        enabled = frozenset(r.code for r in packs.rules if r.policy and r.enabled_by_default)
    compiled = engine.compile_ruleset(packs, enabled_policies=enabled)
    with transaction.atomic():
        existing = RuleSet.objects.select_for_update().filter(version=compiled.version).first()
        if existing is not None and existing.is_active:
            return existing, False
        if existing is None:
            existing = RuleSet.objects.create(
                version=compiled.version,
                packs=dict(texts),
                enabled_policies=sorted(enabled),
                loaded_by=actor if getattr(actor, "pk", None) else None,
                note=note,
            )
            _rule_rows(existing, compiled)
            audit_record(
                event_type=AuditEventType.RULESET_LOADED,
                obj=existing,
                actor=actor,
                new={
                    "version": compiled.version,
                    "files": sorted(texts),
                    "rules": len(compiled.rules),
                },
            )
        _ruleset_activate(existing, actor=actor, note=note or "rule packs loaded")
    return existing, True


def ruleset_with_policies(*, enabled_policies: Iterable[str], actor: Any = None) -> RuleSet:
    """The rule set in force with another set of company policies switched on (created if new,
    not activated): what the impact preview evaluates and what activation then puts in force."""
    current = active_ruleset()
    packs = engine.load_rule_packs(current.packs)
    policy_codes = {r.code for r in packs.rules if r.policy}
    wanted = frozenset(enabled_policies)
    unknown = wanted - policy_codes
    if unknown:
        raise ApplicationError(
            "Unknown policy.",
            errors={"enabled_policies": [f"{c} is not a policy rule." for c in sorted(unknown)]},
        )
    compiled = engine.compile_ruleset(packs, enabled_policies=wanted)
    with transaction.atomic():
        ruleset = RuleSet.objects.filter(version=compiled.version).first()
        if ruleset is None:
            ruleset = RuleSet.objects.create(
                version=compiled.version,
                packs=current.packs,
                enabled_policies=sorted(wanted),
                loaded_by=actor if getattr(actor, "pk", None) else None,
                note="policy switch",
            )
            _rule_rows(ruleset, compiled)
            audit_record(
                event_type=AuditEventType.RULESET_LOADED,
                obj=ruleset,
                actor=actor,
                new={"version": compiled.version, "enabled_policies": sorted(wanted)},
            )
    return ruleset


def ruleset_activate(*, ruleset: RuleSet, actor: Any = None, note: str = "") -> int:
    from dispatch import roles

    if actor is not None and not roles.can_manage_compliance(actor):
        from config.errors import PermissionDenied

        raise PermissionDenied("Only an approver may change the rules in force.")
    with transaction.atomic():
        if RuleSet.objects.filter(pk=ruleset.pk, is_active=True).exists():
            return 0
        return _ruleset_activate(ruleset, actor=actor, note=note)


# --- Licences --------------------------------------------------------------------------------
def _licence_facts(licence: Licence) -> dict[str, Any]:
    return audit_canonical(
        {
            "authority": licence.authority,
            "kind": licence.kind,
            "number": licence.number,
            "holder": licence.holder_id,
            "valid_from": licence.valid_from,
            "valid_until": licence.valid_until,
            "revoked_at": licence.revoked_at,
            "revocation_reason": licence.revocation_reason,
            "facilities": sorted(licence.facilities.values_list("pk", flat=True)),
            "owners": sorted(licence.owners.values_list("pk", flat=True)),
            "engineers": sorted(licence.engineers.values_list("pk", flat=True)),
            "activities": licence.activities,
            "classifications": licence.classifications,
            "conditions": licence.conditions,
        }
    )


def _licence_last_audited(licence: Licence) -> dict[str, Any] | None:
    event = (
        AuditEvent.objects.filter(
            event_type=AuditEventType.LICENCE_CHANGED,
            object_type=Licence._meta.label,
            object_id=str(licence.pk),
        )
        .order_by("-pk")
        .values_list("new", flat=True)
        .first()
    )
    if not event:
        return None
    return {k: v for k, v in event.items() if k != "created"}


def licence_changed(*, licence: Licence, actor: Any = None, created: bool = False) -> int:
    """Record a licence creation, change or revocation (old and new values) and re-check the open
    visits it could affect.

    Revocation is final: a change that would make a revoked licence valid again is refused (a new
    licence is the way back). The old values are the licence as last audited, so a change made
    behind the services' back shows in the event too. Whoever records or changes a licence joins
    its ``recorded_by``: it does not count for visits they requested or edited.
    """
    from compliance.selectors import open_visits_referencing
    from config.errors import Conflict

    with transaction.atomic():
        old = None if created else _licence_last_audited(licence)
        if old and old.get("revoked_at") and licence.revoked_at is None:
            raise Conflict(
                f"Licence {licence} was revoked on {str(old['revoked_at'])[:10]}; revocation is "
                "final. Record a new licence instead.",
                errors={"revoked_at": ["A revoked licence cannot be made valid again."]},
            )
        if actor is not None and getattr(actor, "pk", None) is not None:
            suppliers = separation.recorded_by(licence.recorded_by)
            if actor.pk not in {user_id for user_id, _ in suppliers}:
                licence.recorded_by = [
                    *(licence.recorded_by or []),
                    {"id": actor.pk, "username": actor.get_username()},
                ]
                Licence.objects.filter(pk=licence.pk).update(recorded_by=licence.recorded_by)
        visits = open_visits_referencing(
            facility_ids=list(licence.facilities.values_list("pk", flat=True)),
            customer_ids=list(licence.owners.values_list("pk", flat=True)),
        )
        if licence.holder_id:
            visits = visits.filter(vendor_id=licence.holder_id)
        # Visits before the audit chain head, the order every transaction takes them in.
        count = visits_request_check(
            visits=Visit.objects.filter(pk__in=visits.values("pk")), trigger=Trigger.LICENCE_CHANGE
        )
        new = _licence_facts(licence)
        if old is not None and {k: old.get(k) for k in new} == new:
            return count  # saved unchanged: nothing to audit
        audit_record(
            event_type=AuditEventType.LICENCE_CHANGED,
            obj=licence,
            actor=actor,
            old=old,
            new={"created": created, **new, "recorded_by": licence.recorded_by},
        )
        return count


# --- Screening lists -------------------------------------------------------------------------
def _entry_to_json(entry: Any) -> dict[str, Any]:
    return runtime.entry_to_dict(entry)


def list_snapshot_import(
    *,
    path: str,
    actor: Any = None,
    progress: Any = None,
    if_changed: bool = False,
) -> ListSnapshot:
    """Import a Consolidated Screening List file as a new immutable snapshot and put it in force.

    A malformed file raises ``ApplicationError`` saying what is wrong and where; the snapshot in
    force stays in force. Open visits whose parties' hits change are re-checked.
    """
    from compliance.models import ListEntry
    from compliance.screening.importers import ListFormatError, diff_entries, parse_csl_file
    from compliance.screening.matcher import ScreeningIndex

    try:
        parsed = parse_csl_file(path, progress=progress)
    except ListFormatError as exc:
        raise ApplicationError(
            f"The list file was rejected: {exc}", errors={"file": [str(exc)]}
        ) from exc
    except OSError as exc:
        raise ApplicationError(
            f"The list file could not be read: {exc}", errors={"file": [str(exc)]}
        ) from exc
    previous = active_snapshot()
    if if_changed and previous is not None and previous.source_hash == parsed.source_hash:
        return previous
    old_hashes = (
        dict(ListEntry.objects.filter(snapshot=previous).values_list("entry_id", "content_hash"))
        if previous
        else {}
    )
    diff = diff_entries(old_hashes, parsed)
    new_index = ScreeningIndex.build(parsed.entries)
    with transaction.atomic():
        snapshot = ListSnapshot.objects.create(
            source_name=str(path).rsplit("/", 1)[-1],
            source_hash=parsed.source_hash,
            format=parsed.format,
            imported_by=actor if getattr(actor, "pk", None) else None,
            entry_count=len(parsed.entries),
            counts=dict(parsed.counts),
            diff={
                "added": len(diff.added),
                "removed": len(diff.removed),
                "changed": len(diff.changed),
                "added_ids": sorted(diff.added)[:1000],
                "removed_ids": sorted(diff.removed)[:1000],
                "changed_ids": sorted(diff.changed)[:1000],
            },
            warnings=list(parsed.warnings)[:100],
            previous=previous,
            is_active=False,
        )
        ListEntry.objects.bulk_create(
            (
                ListEntry(
                    snapshot=snapshot,
                    entry_id=e.entry_id,
                    list_code=e.list_code,
                    name=e.name[:1000],
                    alt_names=list(e.alt_names),
                    countries=list(e.countries),
                    content_hash=e.content_hash,
                    data=_entry_to_json(e),
                )
                for e in parsed.entries
            ),
            batch_size=2000,
        )
        if previous is not None:
            ListSnapshot.objects.filter(pk=previous.pk).update(is_active=False)
        ListSnapshot.objects.filter(pk=snapshot.pk).update(is_active=True)
        snapshot.is_active = True
        # Visits before the audit chain head, the order every transaction takes them in.
        affected = _visits_with_changed_hits(
            old_index=runtime.screening_index(previous) if previous else None, new_index=new_index
        )
        visits_request_check(
            visits=Visit.objects.filter(pk__in=affected), trigger=Trigger.LIST_IMPORT
        )
        audit_record(
            event_type=AuditEventType.LIST_IMPORTED,
            obj=snapshot,
            actor=actor,
            old={"snapshot": previous.pk if previous else None},
            new={
                "source_hash": parsed.source_hash,
                "entries": len(parsed.entries),
                "counts": dict(parsed.counts),
                "added": len(diff.added),
                "removed": len(diff.removed),
                "changed": len(diff.changed),
            },
        )
    runtime.remember_index(snapshot.pk, new_index)
    return snapshot


def _visits_with_changed_hits(*, old_index: Any, new_index: Any) -> list[int]:
    """Open visits whose facility owner or engineers hit differently under the new list."""
    from dispatch.models import Customer, Engineer

    today = timezone.localdate()
    open_visits = Visit.objects.filter(status__in=OPEN_STATUSES, end_date__gte=today)
    customers = Customer.objects.filter(facilities__visits__in=open_visits).distinct()
    changed_customers: set[int] = set()
    for c in customers.only("pk", "name", "aliases", "country"):
        for name in [c.name, *(c.aliases or [])]:
            if _hit_keys(old_index, name, c.country) != _hit_keys(new_index, name, c.country):
                changed_customers.add(c.pk)
                break
    changed_engineers = {
        e.pk
        for e in Engineer.objects.filter(visits__in=open_visits).distinct().only("pk", "name")
        if _hit_keys(old_index, e.name, None) != _hit_keys(new_index, e.name, None)
    }
    ids = set(
        open_visits.filter(facility__customer_id__in=changed_customers).values_list("pk", flat=True)
    )
    ids |= set(open_visits.filter(engineers__in=changed_engineers).values_list("pk", flat=True))
    return sorted(ids)


def _hit_keys(index: Any, name: str, country: str | None) -> set[tuple[str, str]]:
    return {(m.entry_id, m.entry_hash) for m in _screen(index, name, country)}


def match_review_mark(
    *, visit: Visit, party: str, entry_id: str, reason: str, actor: Any
) -> MatchReview:
    """Mark a screening hit of a visit's party as a false positive, bound to the entry's content.

    ``party`` is the document party of the hit ("facility.owner" or "engineers[i]")."""
    from dispatch import roles

    if not roles.can_manage_compliance(actor):
        from config.errors import PermissionDenied

        raise PermissionDenied("Only an approver may mark a screening hit as a false positive.")
    if not reason or not reason.strip():
        raise ApplicationError(
            "A reason is required.", errors={"reason": ["A reason is required."]}
        )
    decision = visit.current_decision
    hit = None
    for h in decision.screening_input if decision else []:
        if h["party"] == party and h["entry_id"] == entry_id:
            hit = h
    if hit is None:
        raise ApplicationError(
            "The visit's current decision has no such hit.",
            errors={"entry_id": ["No such hit for this party."]},
        )
    (loaded,) = check_inputs([visit.pk])
    key = loaded.party_keys.get(party)
    if key is None:
        raise ApplicationError("No such party.", errors={"party": ["No such party on this visit."]})
    with transaction.atomic():
        mark = MatchReview.objects.create(
            party=key,
            party_name=hit["name"],
            entry_id=entry_id,
            entry_hash=hit["entry_hash"],
            list_code=hit["list_code"],
            entry_name=hit["entry_name"],
            reason=reason.strip(),
            marked_by=actor,
        )
        kind, _, pk = key.partition(":")
        from compliance.selectors import open_visits_referencing

        affected = open_visits_referencing(
            customer_ids=[int(pk)] if kind == "customer" else [],
            engineer_ids=[int(pk)] if kind == "engineer" else [],
        )
        visits_request_check(
            visits=Visit.objects.filter(pk__in=affected.values("pk")),
            trigger=Trigger.FALSE_POSITIVE,
        )
        # After the visits (above): the order every transaction takes them in.
        audit_record(
            event_type=AuditEventType.FALSE_POSITIVE_MARKED,
            obj=mark,
            actor=actor,
            new={
                "party": key,
                "name": hit["name"],
                "entry_id": entry_id,
                "entry_hash": hit["entry_hash"],
                "reason": reason.strip(),
            },
        )
    return mark


def screening_search(*, name: str, country: str | None = None) -> dict[str, Any]:
    """Screen one name against the list in force (``POST /api/v1/screening/search/``)."""
    snapshot = active_snapshot()
    if snapshot is None:
        raise ApplicationError(
            "No screening list is loaded: import one with `manage.py import_screening_list`."
        )
    index = runtime.screening_index(snapshot)
    hits = _screen(index, name, country)
    return {
        "name": name,
        "country": country,
        "list_version": snapshot.version,
        "hits": [
            {
                "list": m.list_code,
                "entry": m.entry_name,
                "entry_id": m.entry_id,
                "matched_name": m.matched_name,
                "score": round(float(m.score), 4),
                "explanation": m.explanation,
                "notice": "A list hit is a screening aid: confirm it against the official list.",
            }
            for m in hits
        ],
    }


# --- Approvals -------------------------------------------------------------------------------
MIN_JUSTIFICATION = 10


def _approval_guard(*, visit: Visit, user: Any, justification: str, action: str) -> None:
    from config.errors import PermissionDenied
    from dispatch import roles

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


def visit_approve(*, visit: Visit, user: Any, justification: str, licence: Any = None) -> Visit:
    """Release a held visit. A prohibited visit cannot be approved; a licence_required hold only with
    a valid licence that covers every licence-required finding; never one's own request."""
    from config.errors import Conflict

    with transaction.atomic():
        locked = lifecycle.visit_lock(visit, related=["current_decision"])
        _approval_guard(visit=locked, user=user, justification=justification, action="approve")
        decision = locked.current_decision
        if locked.status == VisitStatus.BLOCKED or (decision and decision.outcome == "prohibited"):
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
            if f["effect"] == "licence_required" and not f.get("covered_by_licence")
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
                raise ApplicationError(
                    f"Licence {licence_obj} does not cover this visit.",
                    errors={
                        "licence": [
                            f"Not covered: {', '.join(still)} (check authority, holder, facility, activity, classification, engineers and dates)."
                        ]
                    },
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
    return locked


def _uncovered_with_licence(decision: Decision, visit: Visit, licence: Licence) -> list[str]:
    """Re-evaluate the decision's stored inputs with the licence added; list what stays uncovered."""
    compiled = runtime.compiled_ruleset(decision.ruleset)
    spec = _licence_spec(licence, visit.vendor.name)
    licences = [_licence_from_dict(d) for d in decision.licences_input] + [spec]
    result = engine.evaluate(
        engine.parse_document(decision.document),
        compiled,
        screening=[engine.ScreeningHit(**h) for h in decision.screening_input],
        licences=licences,
        lists_version=decision.lists_version or None,
        list_is_stale=decision.list_is_stale,
        decided_at=decision.decided_at,
    )
    return sorted(
        {
            f.rule
            for f in result.findings
            if f.effect == "licence_required" and not f.covered_by_licence
        }
    )


def visit_reject(*, visit: Visit, user: Any, justification: str) -> Visit:
    from config.errors import Conflict

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
    return locked


# --- Suggestions -----------------------------------------------------------------------------
MAX_CANDIDATES = 200


@dataclass
class SuggestionInputs:
    """What the engine needs to rank a visit's candidate engineers (prepared, not yet evaluated)."""

    visit_id: int
    on_visit: list[int]
    candidates: list[Any]  # Engineer
    parsed: Any  # engine.VisitDocument
    infos: list[Any]  # engine.EngineerInfo, one per candidate
    compiled: Any
    screening: list[engine.ScreeningHit]
    screening_by_candidate: dict[int, list[engine.ScreeningHit]]
    common: dict[str, Any]  # licences, lists_version, list_is_stale


def suggestion_inputs(*, visit_id: int) -> SuggestionInputs:
    """Load and prepare a visit and its vendor's other active engineers, in fixed queries."""
    from compliance.selectors import engineer_document, engineer_location
    from dispatch.models import Engineer

    ctx = check_context()
    (loaded,) = check_inputs([visit_id])
    if loaded.error:
        raise ApplicationError(f"Visit {visit_id} cannot be evaluated: {loaded.error}")
    document = loaded.document
    candidates = list(
        Engineer.objects.filter(vendor_id=loaded.vendor_id, is_active=True)
        .exclude(pk__in=loaded.engineer_ids)
        .prefetch_related("citizenships", "residencies")
        .order_by("name", "pk")[:MAX_CANDIDATES]
    )
    party_keys = loaded.party_keys
    marks = _false_positive_marks([*party_keys.values(), *(f"engineer:{c.pk}" for c in candidates)])
    candidate_docs = [
        engineer_document(
            c,
            location=engineer_location(
                c,
                mode=document["visit"]["mode"],
                facility_country=document["facility"]["country"],
            ),
        )
        for c in candidates
    ]
    screening_by_candidate: dict[int, list[engine.ScreeningHit]] = {}
    for i, c in enumerate(candidates):
        hits = [
            engine.ScreeningHit(
                party=f"engineers[{i}]",
                name=c.name,
                list_code=m.list_code,
                entry_id=m.entry_id,
                entry_name=m.entry_name,
                score=round(float(m.score), 4),
                explanation=m.explanation,
                entry_hash=m.entry_hash,
                false_positive=bool(
                    separation.mark_basis(
                        marks.get((f"engineer:{c.pk}", m.entry_id, m.entry_hash), ()),
                        loaded.involved_user_ids,
                    )[0]
                ),
            )
            for m in _screen(ctx.index, c.name, None)
        ]
        if hits:
            screening_by_candidate[i] = hits
    return SuggestionInputs(
        visit_id=loaded.pk,
        on_visit=loaded.engineer_ids,
        candidates=candidates,
        parsed=engine.parse_document(document),
        # Parsed one by one: candidates may share a name, which a single visit document refuses.
        infos=[
            engine.parse_document({**document, "engineers": [doc]}).engineers[0]
            for doc in candidate_docs
        ],
        compiled=ctx.compiled,
        screening=screen_parties(
            index=ctx.index,
            document=document,
            party_keys=party_keys,
            false_positives=marks,
            involved=loaded.involved_user_ids,
        ),
        screening_by_candidate=screening_by_candidate,
        common={
            "licences": licences_for_visits([loaded])[loaded.pk],
            "lists_version": ctx.lists_version,
            "list_is_stale": ctx.list_is_stale,
        },
    )


def visit_suggestions(*, visit: Visit, user: Any = None) -> dict[str, Any]:
    """The vendor's other active engineers who would clear this exact visit, best first, and
    what the visit would be without each of its engineers. One engine batch, fixed queries."""
    inputs = suggestion_inputs(visit_id=visit.pk)
    parsed, on_visit, candidates = inputs.parsed, inputs.on_visit, inputs.candidates
    screening, common = inputs.screening, inputs.common
    suggestions = engine.suggest_engineers(
        parsed,
        inputs.infos,
        inputs.compiled,
        screening=screening,
        screening_by_candidate=inputs.screening_by_candidate,
        **common,
    )
    without = []
    if len(parsed.engineers) > 1:
        for i, eng in enumerate(parsed.engineers):
            d = engine.without_engineer(parsed, i, inputs.compiled, screening=screening, **common)
            without.append(
                {
                    "engineer": on_visit[i],
                    "name": eng.name,
                    "outcome": d.outcome,
                    "status": d.status,
                }
            )
    return {
        "visit": inputs.visit_id,
        "candidates": [
            {
                "engineer": candidates[s.candidate_index].pk,
                "name": s.engineer.name,
                "reason": s.reason,
                "outcome": s.decision.outcome,
            }
            for s in suggestions
        ],
        "without": without,
    }


# --- Licence writes --------------------------------------------------------------------------
def licence_create(
    *,
    user: Any,
    authority: str,
    number: str,
    valid_from: dt.date,
    valid_until: dt.date,
    holder: int | None = None,
    kind: str = "licence",
    facilities: Sequence[int] = (),
    owners: Sequence[int] = (),
    activities: Sequence[str] = (),
    classifications: Sequence[str] = (),
    engineers: Sequence[int] = (),
    conditions: str = "",
) -> Licence:
    from config.errors import PermissionDenied
    from dispatch import roles
    from dispatch.models import Activity, Customer, Engineer, Facility, Vendor

    if not roles.can_manage_compliance(user):
        raise PermissionDenied("Only an approver may record licences.")
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    from compliance.models import LicenceAuthority

    if authority not in LicenceAuthority.values:
        add("authority", f"Choose one of: {', '.join(LicenceAuthority.values)}.")
    if kind not in Licence.Kind.values:
        add("kind", f"Choose one of: {', '.join(Licence.Kind.values)}.")
    if valid_until < valid_from:
        add("valid_until", "A licence cannot end before it starts.")
    if Licence.objects.filter(authority=authority, number=number).exists():
        add("number", "A licence with this authority and number is already on file.")
    holder_obj = Vendor.objects.filter(pk=holder).first() if holder is not None else None
    if holder is not None and holder_obj is None:
        add("holder", "No such vendor.")
    facility_objs = list(Facility.objects.filter(pk__in=facilities))
    if len(facility_objs) != len(set(facilities)):
        add("facilities", "No such facility among the ids given.")
    owner_objs = list(Customer.objects.filter(pk__in=owners))
    if len(owner_objs) != len(set(owners)):
        add("owners", "No such customer among the ids given.")
    if not facility_objs and not owner_objs:
        add("facilities", "A licence must name the facilities or owners it covers.")
    engineer_objs = list(Engineer.objects.filter(pk__in=engineers))
    if len(engineer_objs) != len(set(engineers)):
        add("engineers", "No such engineer among the ids given.")
    bad = [a for a in activities if a not in Activity.values]
    if bad:
        add("activities", f"Unknown activities: {', '.join(bad)}.")
    if errors:
        field, messages = next(iter(errors.items()))
        raise ApplicationError(f"The licence was not saved. {field}: {messages[0]}", errors=errors)
    with transaction.atomic():
        licence = Licence.objects.create(
            recorded_by=[{"id": user.pk, "username": user.get_username()}],
            authority=authority,
            kind=kind,
            number=number,
            holder=holder_obj,
            valid_from=valid_from,
            valid_until=valid_until,
            activities=list(activities),
            classifications=list(classifications),
            conditions=conditions,
        )
        licence.facilities.set(facility_objs)
        licence.owners.set(owner_objs)
        licence.engineers.set(engineer_objs)
        licence_changed(licence=licence, actor=user, created=True)
    return licence


def licence_revoke(*, licence: Licence, user: Any, reason: str) -> Licence:
    from config.errors import Conflict, PermissionDenied
    from dispatch import roles

    if not roles.can_manage_compliance(user):
        raise PermissionDenied("Only an approver may revoke licences.")
    if not reason or not reason.strip():
        raise ApplicationError(
            "A reason is required.", errors={"reason": ["Say why the licence is revoked."]}
        )
    with transaction.atomic():
        locked = Licence.objects.select_for_update().get(pk=licence.pk)
        if locked.revoked_at is not None:
            raise Conflict("The licence is already revoked.")
        locked.revoked_at = timezone.now()
        locked.revocation_reason = reason.strip()
        locked.save(update_fields=["revoked_at", "revocation_reason", "updated_at"])
        licence_changed(licence=locked, actor=user)
    return locked


# --- Rule-change impact ----------------------------------------------------------------------
def ruleset_impact(*, candidate: RuleSet, user: Any = None) -> list[dict[str, Any]]:
    """Which open visits would change outcome under ``candidate``, and how — computed by the engine
    from each visit's current decision inputs (document, hits, licences); nothing is written."""
    from dispatch.models import Visit as VisitModel

    compiled = runtime.compiled_ruleset(candidate)
    today = timezone.localdate()
    visits = (
        VisitModel.objects.filter(
            status__in=OPEN_STATUSES, end_date__gte=today, current_decision__isnull=False
        )
        .select_related("current_decision", "facility", "vendor")
        .order_by("pk")
    )
    changes = []
    for visit in visits.iterator(chunk_size=500):
        d = visit.current_decision
        if d.error:
            continue
        new = engine.evaluate(
            engine.parse_document(d.document),
            compiled,
            screening=[engine.ScreeningHit(**h) for h in d.screening_input],
            licences=[_licence_from_dict(x) for x in d.licences_input],
            lists_version=d.lists_version or None,
            list_is_stale=d.list_is_stale,
            decided_at=d.decided_at,
        )
        if new.outcome != d.outcome:
            old_rules = {
                f["rule"] for f in d.result.get("findings", []) if not f.get("covered_by_licence")
            }
            new_rules = {f.rule for f in new.findings if not f.covered_by_licence}
            changes.append(
                {
                    "visit": visit.pk,
                    "facility": visit.facility.name,
                    "vendor": visit.vendor.name,
                    "status": visit.status,
                    "outcome": d.outcome,
                    "new_outcome": new.outcome,
                    "new_status": new.status,
                    "added_rules": sorted(new_rules - old_rules),
                    "removed_rules": sorted(old_rules - new_rules),
                }
            )
    return changes
