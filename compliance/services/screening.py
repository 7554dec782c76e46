"""Screening lists and hits: importing a list snapshot (re-checking the visits whose hits change),
marking a hit a false positive, and screening one name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from compliance import runtime
from compliance.audit import audit_record
from compliance.checks.inputs import (
    active_snapshot,
    engineer_countries,
    party_fingerprint,
    screen_name,
    stake_names,
)
from compliance.checks.lists import lists_in_force
from compliance.checks.requests import visits_request_check
from compliance.models import (
    AuditEventType,
    ListEntry,
    ListSnapshot,
    ListSource,
    MatchReview,
    Trigger,
)
from compliance.screening import formats
from compliance.screening.importers import ListFormatError, diff_entries
from compliance.screening.matcher import ScreeningIndex
from compliance.screening.sources import source_of_list, sources
from compliance.selectors import check_inputs
from config.errors import ApplicationError, PermissionDenied
from dispatch import roles
from dispatch.models import OPEN_STATUSES, Customer, Engineer, Visit
from dispatch.roles import User
from dispatch.selectors import open_visits_referencing


def _entry_to_json(entry: Any) -> dict[str, Any]:
    return runtime.entry_to_dict(entry)


def list_parse(
    *, source: str, path: str | None = None, raw: bytes | None = None, progress: Any = None
) -> Any:
    """Parse a list file of ``source`` (sources.yaml names its format); a malformed file raises
    ``ApplicationError`` saying what is wrong and where."""
    spec = sources().get(source)
    if spec is None:
        raise ApplicationError(
            f"Unknown list source {source!r}.",
            errors={"source": [f"One of: {', '.join(sources())}."]},
        )
    try:
        return formats.parse(spec.format, raw if raw is not None else str(path), progress=progress)
    except ListFormatError as exc:
        raise ApplicationError(
            f"The {spec.name} file was rejected: {exc}", errors={"file": [str(exc)]}
        ) from exc
    except OSError as exc:
        raise ApplicationError(
            f"The list file could not be read: {exc}", errors={"file": [str(exc)]}
        ) from exc


def source_state(key: str) -> ListSource:
    """The state row of a source of sources.yaml, created with the file's default for
    ``enabled`` the first time it is needed."""
    state, _ = ListSource.objects.get_or_create(
        key=key, defaults={"enabled": sources()[key].enabled}
    )
    return state


def drop_problem(source: str, previous: ListSnapshot | None, entries: int) -> str:
    """Why a new snapshot with ``entries`` entries is refused against ``previous`` ("" if not):
    a list that shrinks by more than its source's allowed share is more likely a truncated or
    wrong file than a mass delisting."""
    if previous is None or not previous.entry_count:
        return ""
    share = sources()[source].max_drop_share
    if entries < previous.entry_count * (1 - share):
        return (
            f"it holds {entries} entries against {previous.entry_count} in the snapshot in force, "
            f"a fall of more than {share:.0%}"
        )
    return ""


def list_snapshot_import(
    *,
    path: str | None = None,
    raw: bytes | None = None,
    source: str = "us-csl",
    actor: User | None = None,
    progress: Callable[[int], None] | None = None,
    if_changed: bool = False,
    allow_drop: bool = False,
    source_name: str | None = None,
) -> ListSnapshot:
    """Import a list file of ``source`` as a new immutable snapshot and put it in force.

    A malformed file, or one whose entry count falls by more than the source's allowed share
    (unless ``allow_drop``), raises ``ApplicationError``; the snapshot in force stays in force.
    Open visits whose parties' hits change, and those held because this source was missing or
    stale, are re-checked.
    """
    parsed = list_parse(source=source, path=path, raw=raw, progress=progress)
    previous = active_snapshot(source)
    if if_changed and previous is not None and previous.source_hash == parsed.source_hash:
        return previous
    problem = "" if allow_drop else drop_problem(source, previous, len(parsed.entries))
    if problem:
        raise ApplicationError(
            f"The {sources()[source].name} file was refused: {problem}.",
            errors={"file": [problem]},
        )
    old_hashes = (
        dict(ListEntry.objects.filter(snapshot=previous).values_list("entry_id", "content_hash"))
        if previous
        else {}
    )
    diff = diff_entries(old_hashes, parsed)
    in_force = lists_in_force(timezone.now())
    others = [s for s in in_force.snapshots if s.source != source]
    old_index = in_force.index
    new_entries: list[Any] = []
    for other in others:
        new_entries.extend(runtime.snapshot_entries(other))
    new_index = ScreeningIndex.build([*new_entries, *parsed.entries])
    with transaction.atomic():
        # One import of a source at a time: the diff and the re-checks were computed against the
        # snapshot in force, so one that changed meanwhile is refused (and the import retried).
        ListSource.objects.select_for_update().get(pk=source_state(source).pk)
        current = active_snapshot(source)
        if (current.pk if current else None) != (previous.pk if previous else None):
            raise ApplicationError(
                "Another import of this list finished meanwhile; the list in force is unchanged. "
                "Try again.",
                errors={"file": ["A concurrent import of the same source won."]},
            )
        snapshot = ListSnapshot.objects.create(
            source=source,
            source_name=(source_name or str(path or source).rsplit("/", 1)[-1])[:300],
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
        source_used = in_force.sources[source].enabled
        affected = (
            _visits_with_changed_hits(old_index=old_index, new_index=new_index)
            if source_used
            else []
        )
        held = Visit.objects.filter(
            current_decision__list_problem_sources__contains=f" {source} "
        ).values_list("pk", flat=True)
        visits_request_check(
            visits=Visit.objects.filter(pk__in=sorted({*affected, *held})),
            trigger=Trigger.LIST_IMPORT,
        )
        audit_record(
            event_type=AuditEventType.LIST_IMPORTED,
            obj=snapshot,
            actor=actor,
            old={"snapshot": previous.pk if previous else None, "source": source},
            new={
                "source": source,
                "source_hash": parsed.source_hash,
                "entries": len(parsed.entries),
                "counts": dict(parsed.counts),
                "added": len(diff.added),
                "removed": len(diff.removed),
                "changed": len(diff.changed),
            },
        )
    if source_used:
        runtime.remember_index(tuple(s.pk for s in [*others, snapshot]), new_index)
    return snapshot


def _visits_with_changed_hits(
    *, old_index: ScreeningIndex | None, new_index: ScreeningIndex
) -> list[int]:
    """Open visits whose facility owner, its owners, engineers or listed parties hit differently
    under the new lists."""

    today = timezone.localdate()
    open_visits = Visit.objects.filter(status__in=OPEN_STATUSES, end_date__gte=today)
    customers = Customer.objects.filter(facilities__visits__in=open_visits).distinct()
    changed_customers: set[int] = set()
    for c in customers.only("pk", "name", "aliases", "owners", "country"):
        # The owner with its country, its owners by name alone (as screen_parties screens them).
        names = [(n, c.country) for n in [c.name, *(c.aliases or [])]]
        names += [(name, None) for _, name in stake_names(c.owners)]
        for name, country in names:
            if _hit_keys(old_index, name, country) != _hit_keys(new_index, name, country):
                changed_customers.add(c.pk)
                break
    changed_engineers = set()
    for e in (
        Engineer.objects.filter(visits__in=open_visits)
        .distinct()
        .only("pk", "name", "date_of_birth")
        .prefetch_related("citizenships")
    ):
        # The facts a check screens the engineer with (screen_parties), so that a hit the new
        # list gives only with them is not missed here.
        facts = {
            "countries": engineer_countries(c.country for c in e.citizenships.all()),
            "date_of_birth": e.date_of_birth,
        }
        if _hit_keys(old_index, e.name, None, **facts) != _hit_keys(
            new_index, e.name, None, **facts
        ):
            changed_engineers.add(e.pk)
    ids = set(
        open_visits.filter(facility__customer_id__in=changed_customers).values_list("pk", flat=True)
    )
    ids |= set(open_visits.filter(engineers__in=changed_engineers).values_list("pk", flat=True))
    # The purchaser, consignee, end user and operator each visit lists, with their countries.
    for pk, parties in open_visits.exclude(parties=[]).values_list("pk", "parties"):
        for party in parties or []:
            name, country = party.get("name") or "", party.get("country")
            if name and _hit_keys(old_index, name, country) != _hit_keys(new_index, name, country):
                ids.add(pk)
                break
    return sorted(ids)


def _hit_keys(
    index: ScreeningIndex | None, name: str, country: str | None, **facts: Any
) -> set[tuple[str, str]]:
    return {(m.entry_id, m.entry_hash) for m in screen_name(index, name, country, **facts)}


def match_review_mark(
    *, visit: Visit, party: str, entry_id: str, reason: str, actor: User
) -> MatchReview:
    """Mark a screening hit of a visit's party as a false positive, bound to the entry's content
    and to the party as it was screened in the decision the approver saw (its name, country,
    citizenships and date of birth: ``party_fingerprint``).

    ``party`` is the document party of the hit ("facility.owner", "facility.owners[i]",
    "facility.parties[i]" or "engineers[i]")."""

    if not roles.can_manage_compliance(actor):
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
            party_hash=party_fingerprint(decision.document, party, hit["name"]),
            list_code=hit["list_code"],
            entry_name=hit["entry_name"],
            reason=reason.strip(),
            marked_by=actor,
        )
        kind, _, pk = key.partition(":")

        # "customer-owner:<customer>.<index>", "visit-party:<visit>.<index>"
        first = pk.partition(".")[0]
        affected = open_visits_referencing(
            customer_ids=[int(first)] if kind in ("customer", "customer-owner") else [],
            engineer_ids=[int(pk)] if kind == "engineer" else [],
        )
        if kind == "visit-party":
            affected = Visit.objects.filter(pk=int(first), status__in=OPEN_STATUSES)
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
                "party_hash": mark.party_hash,
                "reason": reason.strip(),
            },
        )
    return mark


def screening_search(
    *, name: str, country: str | None = None, date_of_birth: dt.date | None = None
) -> dict[str, Any]:
    """Screen one name against every list in force (``POST /api/v1/screening/search/``)."""
    in_force = lists_in_force(timezone.now())
    if in_force.index is None:
        raise ApplicationError(
            "No screening list is loaded: import one with `manage.py import_screening_list`."
        )
    hits = screen_name(in_force.index, name, country, date_of_birth=date_of_birth)
    return {
        "name": name,
        "country": country,
        "date_of_birth": date_of_birth,
        "list_version": in_force.version,
        "hits": [
            {
                "list": m.list_code,
                "entry": m.entry_name,
                "entry_id": m.entry_id,
                "matched_name": m.matched_name,
                "score": round(float(m.score), 4),
                "explanation": m.explanation,
                "notice": "A list hit is a screening aid: confirm it against the official list.",
                **(
                    {"basis": spec.lists[m.list_code].citation, "source": spec.key}
                    if (spec := source_of_list(m.list_code))
                    else {"source": "us-csl"}
                ),
            }
            for m in hits
        ],
    }
