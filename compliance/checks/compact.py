"""Compact re-confirmations: a re-check that gives the visit's current decision again is stored as
a small row ("same as decision #N under versions X") instead of a second full decision.

Two ways a re-confirmation is made:

- **evaluated**: the re-check ran and its inputs and answer are those of the current decision
  (the same ``basis_digest``: document, hits, licences, list state, outcome, findings, screening);
  only the rule and list versions and the time differ.
- **out of reach**: a rule-set change whose changed rules cannot reach the visit
  (``compliance.engine.reach``): the visit is not evaluated; its current decision is re-confirmed
  under the new rule set. The rules that are the same in both sets give the same findings on the
  same inputs, and the changed ones cannot fire on it, in either version.

The five-year record stays complete: the full decision a re-confirmation points at is kept (the
model protects it), the re-confirmation names the rule set and list snapshot it was made under
(both kept too), and its replay evaluates the decision's stored inputs under them. Each is chained
into the audit log: one event per evaluated re-confirmation, and one event per batch of
out-of-reach ones with a digest of every (visit, decision, re-confirmation) it holds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from compliance import bulk
from compliance.audit import audit_record_many
from compliance.checks.evaluate import Evaluation, _comparable, canonical_json, sha256_of
from compliance.checks.inputs import CheckContext, hit_dict, licence_dict
from compliance.models import AuditEventType, Reconfirmation, RuleSet
from dispatch.models import OPEN_STATUSES, Visit

# What a re-confirmation may differ in from the decision it re-confirms.
VERSION_KEYS = ("rules_version", "lists_version", "decided_at")


def basis_digest(evaluation: Evaluation, result_dict: dict[str, Any]) -> str:
    """The inputs and the answer of a check, without the rule and list versions: equal digests
    mean "the same decision again". Empty for a failed check (never re-confirmed)."""
    if evaluation.error:
        return ""
    return sha256_of(
        {
            "document": evaluation.document,
            "screening": [hit_dict(h) for h in evaluation.screening],
            "licences": [licence_dict(lic) for lic in evaluation.licences],
            "stale": evaluation.list_is_stale,
            "list_problems": [p.to_dict() for p in evaluation.list_problems],
            "result": {k: v for k, v in result_dict.items() if k not in VERSION_KEYS},
        }
    )


def reconfirmation_digest(decision_digest: str, rules_version: str, lists_version: str) -> str:
    """The input digest of an out-of-reach re-confirmation: the decision's inputs, new versions."""
    return hashlib.sha256(f"{decision_digest}|{rules_version}|{lists_version}".encode()).hexdigest()


@dataclass(frozen=True)
class OutOfReach:
    visit_id: int
    decision_id: int
    input_digest: str  # the current decision's


def reconfirm_out_of_reach(
    *,
    candidates: Sequence[OutOfReach],
    ruleset: RuleSet,
    ctx: CheckContext,
    trigger: str,
    chunk_size: int = 5000,
) -> tuple[int, list[int]]:
    """Re-confirm, without evaluating them, visits no changed rule can reach.

    The caller holds the rule-set activation's transaction. A visit that has a check request
    open, a decision that is not its current one, or a status that is no longer open is left out
    here: returns how many were re-confirmed and the ids of those left out, for a full check."""
    if not candidates:
        return 0, []
    now = timezone.now()
    key = now.isoformat()
    lists_version = ctx.lists_version or ""
    done = 0
    left_out: list[int] = []
    for i in range(0, len(candidates), chunk_size):
        chunk = candidates[i : i + chunk_size]
        digests = [
            reconfirmation_digest(c.input_digest, ruleset.version, lists_version) for c in chunk
        ]
        values = {
            "trigger": trigger,
            "request_key": key,
            "basis": Reconfirmation.Basis.OUT_OF_REACH,
            "ruleset_id": ruleset.pk,
            "rules_version": ruleset.version,
            "snapshot_id": ctx.snapshot.pk if ctx.snapshot else None,
            "lists_version": lists_version,
            "confirmed_at": now,
            "duration_ms": 0.0,
        }
        if connection.vendor == "postgresql":
            rows = _insert_locked(chunk, digests, values)
        else:
            rows = _insert_orm(chunk, digests, values)
        kept = {r.visit_id for r in rows}
        left_out += [c.visit_id for c in chunk if c.visit_id not in kept]
        if not rows:
            continue
        triples = [[r.visit_id, r.decision_id, r.pk] for r in rows]
        audit_record_many(
            [
                {
                    "event_type": AuditEventType.DECISION_RECONFIRMED,
                    "object_type": RuleSet._meta.label,
                    "object_id": ruleset.pk,
                    "new": {
                        "basis": Reconfirmation.Basis.OUT_OF_REACH,
                        "trigger": trigger,
                        "count": len(rows),
                        "first": rows[0].pk,
                        "last": rows[-1].pk,
                        "rules_version": ruleset.version,
                        "lists_version": lists_version,
                        "rows_digest": sha256_of(triples),
                    },
                }
            ]
        )
        done += len(rows)
    return done, left_out


def _insert_orm(
    chunk: Sequence[OutOfReach], digests: list[str], values: dict[str, Any]
) -> list[Reconfirmation]:
    """Lock the chunk's visits still open, unchecked and on the same decision; insert theirs."""
    current = dict(
        Visit.objects.select_for_update(of=("self",))
        .filter(
            pk__in=[c.visit_id for c in chunk],
            status__in=OPEN_STATUSES,
            check_requested_at__isnull=True,
        )
        .order_by("pk")
        .values_list("pk", "current_decision_id")
    )
    rows = [
        Reconfirmation(visit_id=c.visit_id, decision_id=c.decision_id, input_digest=d, **values)
        for c, d in zip(chunk, digests, strict=True)
        if current.get(c.visit_id) == c.decision_id
    ]
    bulk.bulk_insert(rows)
    _pks_after_insert(rows)
    return rows


def _insert_locked(
    chunk: Sequence[OutOfReach], digests: list[str], values: dict[str, Any]
) -> list[Reconfirmation]:
    """``_insert_orm`` in one statement on PostgreSQL: lock, compare and insert."""
    qn = connection.ops.quote_name
    table, visits = qn(Reconfirmation._meta.db_table), qn(Visit._meta.db_table)
    names = list(values)
    columns = ", ".join(
        qn(Reconfirmation._meta.get_field(n.removesuffix("_id")).column) for n in names
    )
    # Identifiers from the models' metadata; every value is a parameter.
    sql = (
        "WITH c AS (SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::text[]) "  # noqa: S608
        "AS c(visit_id, decision_id, digest)), "
        f"locked AS (SELECT v.id, v.current_decision_id FROM {visits} v "
        "WHERE v.id = ANY(%s::bigint[]) AND v.status = ANY(%s::text[]) "
        "AND v.check_requested_at IS NULL ORDER BY v.id FOR UPDATE OF v) "
        f"INSERT INTO {table} (visit_id, decision_id, input_digest, {columns}) "
        f"SELECT c.visit_id, c.decision_id, c.digest, {', '.join(['%s'] * len(names))} "
        "FROM c JOIN locked l ON l.id = c.visit_id AND l.current_decision_id = c.decision_id "
        "ORDER BY c.visit_id RETURNING visit_id, decision_id, id"
    )
    ids = [c.visit_id for c in chunk]
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                ids,
                [c.decision_id for c in chunk],
                digests,
                ids,
                list(OPEN_STATUSES),
                *values.values(),
            ],
        )
        returned = sorted(cursor.fetchall(), key=lambda r: r[2])
    return [
        Reconfirmation(pk=pk, visit_id=visit_id, decision_id=decision_id, **values)
        for visit_id, decision_id, pk in returned
    ]


def _pks_after_insert(rows: Sequence[Reconfirmation]) -> None:
    """Backends that do not return ids from a bulk insert (SQLite): read them back."""
    missing = [r for r in rows if r.pk is None]
    if not missing:
        return
    ids = dict(
        Reconfirmation.objects.filter(
            visit_id__in=[r.visit_id for r in missing], request_key=missing[0].request_key
        ).values_list("visit_id", "pk")
    )
    for r in missing:
        r.pk = ids[r.visit_id]


def reconfirmations_record(
    items: Sequence[tuple[Any, dict[str, Any], str, dict[str, Any]]],
    *,
    ctx: CheckContext,
    now: dt.datetime,
) -> list[tuple[Visit, Reconfirmation, str]]:
    """Store evaluated re-confirmations (``(item, result_dict, input_digest, locked row)``, from
    ``decisions_record``) and return ``(visit update, row, old status)`` for its audit step."""
    rows = [
        Reconfirmation(
            visit_id=row["id"],
            decision_id=row["current_decision_id"],
            trigger=item.trigger,
            request_key=item.request_key,
            basis=Reconfirmation.Basis.EVALUATED,
            input_digest=digest,
            ruleset=ctx.ruleset,
            rules_version=result_dict.get("rules_version") or "",
            snapshot=ctx.snapshot,
            lists_version=result_dict.get("lists_version") or "",
            confirmed_at=now,
            duration_ms=item.evaluation.duration_ms,
        )
        for item, result_dict, digest, row in items
    ]
    if not rows:
        return []
    with transaction.atomic(savepoint=False):
        bulk.bulk_insert(rows)
        _pks_after_insert(rows)
    return [
        (
            Visit(pk=row["id"], check_requested_at=None, updated_at=now),
            reconfirmation,
            row["status"],
        )
        for (_, _, _, row), reconfirmation in zip(items, rows, strict=True)
    ]


@dataclass(frozen=True)
class ReconfirmationReplay:
    identical: bool
    differences: list[str]
    replayed: dict[str, Any]


def reconfirmation_replay(reconfirmation: Reconfirmation) -> ReconfirmationReplay:
    """Evaluate the re-confirmed decision's stored inputs under the re-confirmation's rule set and
    list version: identical when the answer is the decision's, versions aside."""
    # cycle-free: evaluate imports nothing of this module
    from compliance import runtime
    from compliance.checks.evaluate import decision_reevaluate

    decision = reconfirmation.decision
    try:
        replayed = decision_reevaluate(
            decision,
            compiled=runtime.compiled_ruleset(reconfirmation.ruleset),
            lists_version=reconfirmation.lists_version or None,
        ).to_dict()
    except Exception as exc:
        return ReconfirmationReplay(False, [f"replay failed: {type(exc).__name__}: {exc}"], {})
    replayed = json.loads(canonical_json(replayed))
    differences = []
    if replayed.get("rules_version") != reconfirmation.rules_version:
        differences.append(
            f"rules_version: re-confirmed under {reconfirmation.rules_version!r}"
            f" ≠ replayed {replayed.get('rules_version')!r}"
        )
    a = {
        k: v
        for k, v in json.loads(canonical_json(_comparable(decision.result))).items()
        if k not in VERSION_KEYS
    }
    b = {k: v for k, v in _comparable(replayed).items() if k not in VERSION_KEYS}
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            differences.append(f"{key}: decision #{decision.pk} {a.get(key)!r} ≠ {b.get(key)!r}")
    return ReconfirmationReplay(not differences, differences, replayed)


def latest_reconfirmation(visit: Visit) -> Reconfirmation | None:
    """The newest re-confirmation of the visit's current decision, if any."""
    if visit.current_decision_id is None:
        return None
    return (
        Reconfirmation.objects.filter(visit_id=visit.pk, decision_id=visit.current_decision_id)
        .order_by("-confirmed_at", "-pk")
        .first()
    )


__all__ = [
    "OutOfReach",
    "ReconfirmationReplay",
    "basis_digest",
    "latest_reconfirmation",
    "reconfirm_out_of_reach",
    "reconfirmation_replay",
    "reconfirmations_record",
]
