"""The lists in force for a check: the active snapshot of every source in use, one screening index
over all of them, their combined version, and which sources are missing or stale for a visit.

A source is in use when sources.yaml has it and its state row (``ListSource``) does not switch it
off. A source that binds a visit (``SourceSpec.binds``) and has no snapshot, or whose snapshot has
not been confirmed current (imported, or re-confirmed by a conditional fetch) within its maximum
age, holds the visit with a finding naming it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from compliance import engine, runtime
from compliance.models import ListSnapshot, ListSource
from compliance.screening.matcher import ScreeningIndex
from compliance.screening.sources import SourceSpec, mapping_version, sources


@dataclass(frozen=True)
class SourceInForce:
    spec: SourceSpec
    enabled: bool
    snapshot: ListSnapshot | None
    verified_at: dt.datetime | None
    url: str
    state: ListSource | None = None

    @property
    def max_age(self) -> dt.timedelta:
        # The stricter of the source's own maximum age and the deployment's.
        days = min(self.spec.max_age_days, float(settings.COMPLIANCE["LIST_MAX_AGE_DAYS"]))
        return dt.timedelta(days=days)

    def is_stale(self, now: dt.datetime) -> bool:
        return self.verified_at is None or now - self.verified_at > self.max_age


def sources_in_force() -> dict[str, SourceInForce]:
    """Every source of sources.yaml with its state and active snapshot (two queries)."""
    states = {s.key: s for s in ListSource.objects.all()}
    snapshots = {
        s.source: s
        for s in ListSnapshot.objects.filter(is_active=True).defer("diff", "warnings", "counts")
    }
    out: dict[str, SourceInForce] = {}
    for key, spec in sources().items():
        state = states.get(key)
        snapshot = snapshots.get(key)
        verified = snapshot.imported_at if snapshot else None
        if snapshot and state and state.last_success_at and state.last_success_at > verified:
            verified = state.last_success_at
        out[key] = SourceInForce(
            spec=spec,
            enabled=state.enabled if state else spec.enabled,
            snapshot=snapshot,
            verified_at=verified,
            url=(state.url if state and state.url else spec.url),
            state=state,
        )
    return out


@dataclass
class ListsInForce:
    sources: dict[str, SourceInForce]
    index: ScreeningIndex | None
    now: dt.datetime

    @property
    def snapshots(self) -> list[ListSnapshot]:
        return [s.snapshot for _, s in sorted(self.sources.items()) if s.enabled and s.snapshot]

    @property
    def version(self) -> str | None:
        """ "us-csl=12:ab…;un-sc=13:cd…;map=…": the snapshot of every source used and the
        version of the list meanings (sources.yaml); None when no list is loaded at all."""
        parts = [f"{s.source}={s.version}" for s in self.snapshots]
        if not parts:
            return None
        return ";".join([*parts, f"map={mapping_version()}"])

    def problems_for(self, document: Mapping[str, Any]) -> list[engine.ListProblem]:
        out: list[engine.ListProblem] = []
        for key, source in sorted(self.sources.items()):
            if not source.enabled or not source.spec.binds(document):
                continue
            if source.snapshot is None:
                out.append(
                    engine.ListProblem(key, source.spec.name, "missing", url=source.spec.page)
                )
            elif source.is_stale(self.now):
                out.append(
                    engine.ListProblem(
                        key,
                        source.spec.name,
                        "stale",
                        version=source.snapshot.version,
                        max_age_days=source.max_age.total_seconds() / 86400,
                        url=source.spec.page,
                    )
                )
        return out


def problem_sources_key(problems: list[engine.ListProblem] | tuple[engine.ListProblem, ...]) -> str:
    """ " un-sc eu-fsf ": the sources of a decision's list problems, as stored in
    ``Decision.list_problem_sources`` so that the visits held for one source are found cheaply
    (``__contains=" un-sc "``)."""
    return f" {' '.join(p.source for p in problems)} " if problems else ""


def lists_due(now: dt.datetime) -> list[str]:
    """The sources in use with a URL whose next refresh is due (never fetched counts as due)."""
    return [
        key
        for key, s in sources_in_force().items()
        if s.enabled
        and s.url
        and (s.state is None or not s.state.next_run_at or s.state.next_run_at <= now)
    ]


def lists_in_force(now: dt.datetime) -> ListsInForce:
    in_force = sources_in_force()
    snapshots = [s.snapshot for _, s in sorted(in_force.items()) if s.enabled and s.snapshot]
    index = runtime.screening_index_for(snapshots) if snapshots else None
    return ListsInForce(sources=in_force, index=index, now=now)


def list_freshness(now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Per source: in use, snapshot in force, last success and attempt, age, next run, stale
    (``/healthz/system`` and the admin)."""
    from django.utils import timezone

    now = now or timezone.now()
    out = []
    for key, source in sources_in_force().items():
        state = source.state
        snapshot = source.snapshot
        age = (now - source.verified_at).total_seconds() / 3600 if source.verified_at else None
        out.append(
            {
                "source": key,
                "name": source.spec.name,
                "enabled": source.enabled,
                "snapshot": snapshot.version if snapshot else None,
                "entries": snapshot.entry_count if snapshot else 0,
                "imported_at": snapshot.imported_at if snapshot else None,
                "last_success_at": source.verified_at,
                "last_attempt_at": state.last_attempt_at if state else None,
                "last_outcome": state.last_outcome if state else "",
                "last_error": state.last_error if state else "",
                "next_run_at": state.next_run_at if state else None,
                "age_hours": round(age, 1) if age is not None else None,
                "max_age_days": source.max_age.total_seconds() / 86400,
                "url": source.url,
                "state": (
                    "off"
                    if not source.enabled
                    else "missing"
                    if snapshot is None
                    else "stale"
                    if source.is_stale(now)
                    else "fresh"
                ),
            }
        )
    return out
