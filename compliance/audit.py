"""The audit log: append-only, hash-chained events written in the caller's transaction.

Each event's hash covers its content and the previous event's hash, so changing, removing or
reordering any stored event breaks the chain from that event on; ``audit_chain_verify`` finds the
first broken event (``manage.py verify_audit_log``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from compliance import bulk
from compliance.models import AuditChainHead, AuditEvent

GENESIS_HASH = "0" * 64


def audit_canonical(value: Any) -> Any:
    """JSON-safe, stable form of old/new values (dates as ISO strings, sets sorted)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True, default=str))


def _event_hash(
    *,
    prev_hash: str,
    event_type: str,
    actor_name: str,
    object_type: str,
    object_id: str,
    old: Any,
    new: Any,
    created_at: datetime,
) -> str:
    payload = json.dumps(
        {
            "prev": prev_hash,
            "type": event_type,
            "actor": actor_name,
            "object": [object_type, object_id],
            "old": old,
            "new": new,
            "at": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def audit_record(
    *,
    event_type: str,
    obj: Any = None,
    object_type: str = "",
    object_id: Any = "",
    actor: Any = None,
    old: Any = None,
    new: Any = None,
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction."""
    if obj is not None:
        object_type = object_type or obj._meta.label
        object_id = object_id or obj.pk
    old_c = audit_canonical(old)
    new_c = audit_canonical(new)
    actor_name = getattr(actor, "username", None) or "system"
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            AuditChainHead.objects.get_or_create(pk=1, defaults={"last_hash": GENESIS_HASH})
            head = AuditChainHead.objects.select_for_update().get(pk=1)
        created_at = timezone.now()
        digest = _event_hash(
            prev_hash=head.last_hash,
            event_type=str(event_type),
            actor_name=actor_name,
            object_type=str(object_type),
            object_id=str(object_id),
            old=old_c,
            new=new_c,
            created_at=created_at,
        )
        event = AuditEvent(
            event_type=event_type,
            actor=actor if getattr(actor, "pk", None) else None,
            actor_name=actor_name,
            object_type=str(object_type),
            object_id=str(object_id),
            old=old_c,
            new=new_c,
            created_at=created_at,
            prev_hash=head.last_hash,
            hash=digest,
        )
        if connection.vendor == "postgresql":
            _event_append(event, head)
        else:
            event.save()
            head.last_hash = digest
            head.last_event_id = event.pk
            head.save(update_fields=["last_hash", "last_event_id"])
    return event


def _event_append(event: AuditEvent, head: AuditChainHead) -> None:
    """Insert the event and move the (locked) chain head to it, in one statement."""
    qn = connection.ops.quote_name
    fields = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(qn(f.column) for f in fields)
    values = [f.get_db_prep_save(getattr(event, f.attname), connection) for f in fields]
    holders = ", ".join(
        "%s::jsonb" if f.get_internal_type() == "JSONField" else "%s" for f in fields
    )
    event_table, head_table = qn(AuditEvent._meta.db_table), qn(AuditChainHead._meta.db_table)
    sql = (
        f"WITH e AS (INSERT INTO {event_table} ({columns}) VALUES ({holders}) RETURNING id) "  # noqa: S608 - identifiers from the models' metadata
        f"UPDATE {head_table} SET last_hash = %s, last_event_id = (SELECT id FROM e) "
        "WHERE id = %s RETURNING last_event_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, event.hash, head.pk])
        (event.pk,) = cursor.fetchone()
    event._state.adding = False
    event._state.db = connection.alias
    head.last_hash = event.hash
    head.last_event_id = event.pk


@dataclass(frozen=True)
class ChainVerification:
    ok: bool
    events_checked: int
    first_broken_id: int | None = None
    problem: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"OK: {self.events_checked} audit events, chain intact."
        return f"BROKEN at event #{self.first_broken_id}: {self.problem}"


def audit_chain_verify(*, batch_size: int = 2000) -> ChainVerification:
    """Recompute every event's hash in order; report the first event that does not match."""
    prev = GENESIS_HASH
    checked = 0
    last_id = 0
    while True:
        batch = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            break
        for event in batch:
            if event.prev_hash != prev:
                return ChainVerification(
                    False, checked, event.pk, "its previous-hash does not match the event before it"
                )
            expected = _event_hash(
                prev_hash=event.prev_hash,
                event_type=event.event_type,
                actor_name=event.actor_name,
                object_type=event.object_type,
                object_id=event.object_id,
                old=audit_canonical(event.old),
                new=audit_canonical(event.new),
                created_at=event.created_at,
            )
            if expected != event.hash:
                return ChainVerification(
                    False, checked, event.pk, "its content does not match its stored hash"
                )
            prev = event.hash
            checked += 1
            last_id = event.pk
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and checked and head.last_hash != prev:
        return ChainVerification(False, checked, head.last_event_id, "the newest event is missing")
    return ChainVerification(True, checked)


def audit_record_many(events: list[dict[str, Any]]) -> list[AuditEvent]:
    """Append several events in one statement (a chunk of decisions), chained in order.

    Each item takes the keyword arguments of ``audit_record``. The chain head is locked once.
    """
    if not events:
        return []
    with transaction.atomic(savepoint=False):
        head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            AuditChainHead.objects.get_or_create(pk=1, defaults={"last_hash": GENESIS_HASH})
            head = AuditChainHead.objects.select_for_update().get(pk=1)
        prev = head.last_hash
        created_at = timezone.now()
        rows = []
        for item in events:
            obj = item.get("obj")
            object_type = item.get("object_type") or (obj._meta.label if obj is not None else "")
            object_id = str(item.get("object_id") or (obj.pk if obj is not None else ""))
            actor = item.get("actor")
            actor_name = getattr(actor, "username", None) or "system"
            old_c, new_c = audit_canonical(item.get("old")), audit_canonical(item.get("new"))
            digest = _event_hash(
                prev_hash=prev,
                event_type=str(item["event_type"]),
                actor_name=actor_name,
                object_type=object_type,
                object_id=object_id,
                old=old_c,
                new=new_c,
                created_at=created_at,
            )
            rows.append(
                AuditEvent(
                    event_type=item["event_type"],
                    actor=actor if getattr(actor, "pk", None) else None,
                    actor_name=actor_name,
                    object_type=object_type,
                    object_id=object_id,
                    old=old_c,
                    new=new_c,
                    created_at=created_at,
                    prev_hash=prev,
                    hash=digest,
                )
            )
            prev = digest
        created = bulk.bulk_insert(rows)
        head.last_hash = prev
        head.last_event_id = (
            created[-1].pk
            if created[-1].pk
            else AuditEvent.objects.filter(hash=prev).values_list("pk", flat=True).first()
        )
        head.save(update_fields=["last_hash", "last_event_id"])
    return created
