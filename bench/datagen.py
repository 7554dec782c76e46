"""Bulk generation of open visits with realistic shapes and a real decision each.

    python bench/datagen.py --visits 100000

Each visit: a vendor, one of the fab buildings, 1-4 of the vendor's active engineers (weights
45/30/15/10), 1-3 of the vendor's tools installed in that building (60/30/10), a weighted activity,
on site (remote for remote support and some software updates), starting 1-180 days from today for
1-10 days, filed by the vendor's service manager at some time in the last 60 days.

The visits are not filed through ``visit_create`` (100,000 of them would take too long), but
their decisions are real: the document is built by ``compliance.selectors.visit_document``, the
parties are screened by ``compliance.checks.inputs.screen_parties`` against the list in force (hits
memoised per name), licences come from ``licences_for_visits``, and the engine decides through
``evaluate_document``; the decision row (digest, findings, status) is what ``decisions_record``
would store. Rows are written with PostgreSQL COPY; the work is spread over the cores.
No audit events are written for these visits (the chain stays intact).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

SEED = 100_000
ENGINEER_COUNTS = ([1, 2, 3, 4], [45, 30, 15, 10])
TOOL_COUNTS = ([1, 2, 3], [60, 30, 10])
ACTIVITIES = [
    ("maintenance", 35),
    ("repair", 20),
    ("upgrade", 10),
    ("installation", 8),
    ("software_update", 8),
    ("inspection", 5),
    ("remote_support", 5),
    ("training", 3),
    ("spare_parts", 3),
    ("overhaul", 1),
    ("refurbishment", 1),
    ("decommissioning", 1),
]
CHUNK = 1000

VISIT_COLUMNS = (
    "id, activity, mode, start_date, end_date, purpose, status, check_requested_at, "
    "check_trigger, created_at, updated_at, approval_id, current_decision_id, facility_id, "
    "requested_by_id, vendor_id, idempotency_key, idempotency_fingerprint, editor_ids, parties"
)
DECISION_COLUMNS = (
    "id, trigger, request_key, input_digest, document, screening_input, licences_input, "
    "rules_version, lists_version, list_is_stale, outcome, status, result, as_of, decided_at, "
    "duration_ms, error, change_reason, previous_id, visit_id, snapshot_id, ruleset_id, "
    "list_problems, list_problem_sources"
)


def _basis_digest() -> Any:
    """The product's digest of a decision's inputs and answer (what a later re-check compares to
    record a compact re-confirmation), or None where decisions do not carry one."""
    from compliance.models import Decision

    if not any(f.name == "basis_digest" for f in Decision._meta.fields):
        return None
    from compliance.checks.compact import basis_digest

    return basis_digest


def decision_columns() -> str:
    return DECISION_COLUMNS + (", basis_digest" if _basis_digest() else "")


FINDING_COLUMNS = (
    "rule_code, jurisdiction, citation, effect, engineer, tool, message, facts, "
    "covered_by_licence, decision_id"
)


def _esc(value: Any) -> str:
    """A value in PostgreSQL COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    s = value if isinstance(value, str) else str(value)
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _row(*values: Any) -> str:
    return "\t".join(_esc(v) for v in values) + "\n"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class _Related:
    def __init__(self, items: list[Any]) -> None:
        self._items = items

    def all(self) -> list[Any]:
        return self._items


class _Visit:
    """What ``visit_document`` and ``licences_for_visits`` read of a loaded visit."""

    def __init__(self, pk: int, vendor: Any, facility: Any, tools: list, engineers: list, **kw):
        self.pk = pk
        self.vendor = vendor
        self.vendor_id = vendor.pk
        self.vendor_name = vendor.name
        self.facility = facility
        self.facility_id = facility.pk
        self.facility_country = facility.country
        self.customer_id = facility.customer_id
        self.tools = _Related(tools)
        self.engineers = _Related(sorted(engineers, key=lambda e: (e.name, e.pk)))
        self.involved_user_ids: frozenset[int] = frozenset()
        for key, value in kw.items():
            setattr(self, key, value)


class _MemoIndex:
    """The screening index in force, with results memoised per call (name, the party's countries
    and date of birth, threshold)."""

    def __init__(self, index: Any) -> None:
        self.index = index
        self.cache: dict[tuple, Any] = {}

    def search(self, name: str, **facts: Any) -> Any:
        # Countries may come as any iterable: a tuple keys the memo and is what the index reads.
        scalar = (str, int, float, dt.date, type(None))
        facts = {k: v if isinstance(v, scalar) else tuple(v) for k, v in facts.items()}
        key = (name, *sorted(facts.items()))
        if key not in self.cache:
            self.cache[key] = self.index.search(name, **facts)
        return self.cache[key]


# Set in the parent before the pool forks; read by the children.
_STATE: dict[str, Any] = {}


def _load_state() -> None:
    from django.contrib.auth import get_user_model
    from django.db.models import Prefetch

    from compliance.checks.inputs import check_context, licences_for_visits
    from dispatch.models import Engineer, Facility, Tool, Vendor

    ctx = check_context()
    vendors = {v.pk: v for v in Vendor.objects.all()}
    facilities = {f.pk: f for f in Facility.objects.select_related("customer")}
    engineers: dict[int, list[Any]] = {}
    for e in Engineer.objects.filter(is_active=True).prefetch_related(
        Prefetch("citizenships"), Prefetch("residencies")
    ):
        engineers.setdefault(e.vendor_id, []).append(e)
    tools: dict[tuple[int, int], list[Any]] = {}
    for t in Tool.objects.all():
        tools.setdefault((t.facility_id, t.oem_id), []).append(t)
    users = {
        u.profile.vendor_id: u.pk
        for u in get_user_model()
        .objects.filter(username__startswith="bench.")
        .select_related("profile")
    }
    licences = {
        (v, f): licences_for_visits([_Visit(0, vendors[v], facilities[f], [], [])])[0]
        for v in vendors
        for f in facilities
    }
    _STATE.update(
        ctx=ctx,
        index=_MemoIndex(ctx.index) if ctx.index is not None else None,
        vendors=vendors,
        facilities=facilities,
        engineers=engineers,
        tools=tools,
        users=users,
        licences=licences,
        engineers_by_pk={e.pk: e for es in engineers.values() for e in es},
        tools_by_pk={t.pk: t for ts in tools.values() for t in ts},
    )


def _specs(count: int, first_visit_id: int, today: dt.date, now: dt.datetime) -> Iterator[list]:
    """Visit specifications in chunks; deterministic for a seed."""
    rng = random.Random(SEED)
    vendors = [v for v in _STATE["vendors"] if v in _STATE["users"] and _STATE["engineers"].get(v)]
    weights = [len(_STATE["engineers"][v]) for v in vendors]
    facilities = list(_STATE["facilities"])
    activities, activity_weights = zip(*ACTIVITIES, strict=True)
    chunk: list = []
    for i in range(count):
        vendor = rng.choices(vendors, weights)[0]
        facility = rng.choice(facilities)
        tools = _STATE["tools"].get((facility, vendor)) or []
        n_tools = min(len(tools), rng.choices(*TOOL_COUNTS)[0])
        n_eng = rng.choices(*ENGINEER_COUNTS)[0]
        activity = rng.choices(activities, activity_weights)[0]
        remote = activity == "remote_support" or (
            activity == "software_update" and rng.random() < 0.3
        )
        start = today + dt.timedelta(days=rng.randint(1, 180))
        created = now - dt.timedelta(seconds=rng.randint(3600, 60 * 86400))
        chunk.append(
            (
                first_visit_id + i,
                vendor,
                facility,
                [e.pk for e in rng.sample(_STATE["engineers"][vendor], n_eng)],
                [t.pk for t in rng.sample(tools, n_tools)],
                activity,
                "remote" if remote else "on_site",
                start,
                start + dt.timedelta(days=rng.randint(0, 9)),
                created,
            )
        )
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _build(chunk: list) -> tuple[str, str, str, str, str, dict[str, int]]:
    """COPY text for the visits of a chunk, their M2M rows, decisions and findings."""
    from compliance import engine
    from compliance.checks import evaluate, inputs, record
    from compliance.checks.lists import problem_sources_key
    from compliance.selectors import visit_document

    st = _STATE
    ctx = st["ctx"]
    engineers_by_pk, tools_by_pk = st["engineers_by_pk"], st["tools_by_pk"]
    visits, v_eng, v_tools, decisions, findings = [], [], [], [], []
    outcomes: dict[str, int] = {}
    basis_of = _basis_digest()
    for pk, vendor_id, facility_id, eng_ids, tool_ids, activity, mode, start, end, created in chunk:
        vendor = st["vendors"][vendor_id]
        facility = st["facilities"][facility_id]
        visit = _Visit(
            pk,
            vendor,
            facility,
            [tools_by_pk[t] for t in tool_ids],
            [engineers_by_pk[e] for e in eng_ids],
            activity=activity,
            mode=mode,
            start_date=start,
            end_date=end,
        )
        document = visit_document(visit)
        screening = inputs.screen_parties(index=st["index"], document=document)
        licences = st["licences"].get((vendor_id, facility_id), [])
        decided_at = created + dt.timedelta(seconds=2)
        evaluation = evaluate.evaluate_document(
            document=document,
            ctx=ctx,
            screening=screening,
            licences=licences,
            decided_at=decided_at,
        )
        result = evaluation.decision.to_dict()
        outcome = evaluation.decision.outcome
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        decision_id = pk  # one decision per visit: same id, from their own sequences
        visits.append(
            _row(
                pk,
                activity,
                mode,
                start.isoformat(),
                end.isoformat(),
                f"{activity.replace('_', ' ').capitalize()} (bench visit {pk})",
                engine.status_for(outcome),
                None,
                "submission",
                created.isoformat(),
                decided_at.isoformat(),
                None,
                decision_id,
                facility_id,
                st["users"][vendor_id],
                vendor_id,
                "",  # filed without an Idempotency-Key
                "",
                "[]",  # never edited
                "[]",  # no parties besides the owner; items (null) not listed
            )
        )
        v_eng.extend(_row(pk, e) for e in eng_ids)
        v_tools.extend(_row(pk, t) for t in tool_ids)
        decisions.append(
            _row(
                decision_id,
                "submission",
                created.isoformat(),
                record._digest(evaluation, ctx, result),
                _json(document),
                _json([inputs.hit_dict(h) for h in screening]),
                _json([inputs.licence_dict(lic) for lic in licences]),
                result.get("rules_version") or "",
                result.get("lists_version") or "",
                evaluation.list_is_stale,
                outcome,
                evaluation.decision.status,
                _json(result),
                evaluation.decision.as_of.isoformat(),
                decided_at.isoformat(),
                round(evaluation.duration_ms, 3),
                evaluation.error,
                "",
                None,
                pk,
                ctx.snapshot.pk if ctx.snapshot else None,
                ctx.ruleset.pk,
                _json([p.to_dict() for p in evaluation.list_problems]),
                problem_sources_key(evaluation.list_problems),
                *([basis_of(evaluation, result)] if basis_of else []),
            )
        )
        for f in result["findings"]:
            findings.append(
                _row(
                    f["rule"],
                    f.get("jurisdiction") or "",
                    f.get("citation") or "",
                    f["effect"],
                    f.get("engineer") or "",
                    f.get("tool") or "",
                    f.get("message") or "",
                    _json(f.get("facts") or {}),
                    f.get("covered_by_licence") or "",
                    decision_id,
                )
            )
    return (
        "".join(visits),
        "".join(v_eng),
        "".join(v_tools),
        "".join(decisions),
        "".join(findings),
        outcomes,
    )


def generate(count: int, *, processes: int = 2) -> dict[str, Any]:
    """Insert ``count`` open visits with a decision each; returns counts and timings."""
    from django.db import connection
    from django.utils import timezone

    started = time.perf_counter()
    _load_state()
    with connection.cursor() as cur:
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM dispatch_visit")
        max_visit = cur.fetchone()[0]
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM compliance_decision")
        max_decision = cur.fetchone()[0]
    # Visit i gets decision i: both id ranges start above what exists.
    first = max(max_visit, max_decision) + 1
    today = timezone.localdate()
    now = timezone.now()
    connection.close()
    totals = {"visits": 0, "visit_engineers": 0, "visit_tools": 0, "findings": 0}
    outcomes: dict[str, int] = {}
    with mp.get_context("fork").Pool(processes) as pool:
        connection.ensure_connection()  # after the fork: the children never share it
        raw = connection.connection
        for visits, v_eng, v_tools, decisions, findings, out in pool.imap(
            _build, _specs(count, first, today, now)
        ):
            with raw.transaction(), raw.cursor() as cur:
                _copy(cur, visits, v_eng, v_tools, decisions, findings)
            totals["visits"] += visits.count("\n")
            totals["visit_engineers"] += v_eng.count("\n")
            totals["visit_tools"] += v_tools.count("\n")
            totals["findings"] += findings.count("\n")
            for k, v in out.items():
                outcomes[k] = outcomes.get(k, 0) + v
    with connection.cursor() as cur:
        for table in ("dispatch_visit", "compliance_decision"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT MAX(id) FROM {table}))"
            )
        for table in (
            "dispatch_visit",
            "dispatch_visit_engineers",
            "dispatch_visit_tools",
            "compliance_decision",
            "compliance_finding",
        ):
            # What autovacuum does to a live database: statistics, and a visibility map so that
            # counts (the visit list's pagination) can use index-only scans.
            cur.execute(f"VACUUM ANALYZE {table}")
    return {
        **totals,
        "outcomes": outcomes,
        "first_visit_id": first,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _copy(cur: Any, visits: str, v_eng: str, v_tools: str, decisions: str, findings: str) -> None:
    # Visits and decisions reference each other: the foreign keys are checked at commit.
    for table, columns, data in (
        ("compliance_decision", decision_columns(), decisions),
        ("dispatch_visit", VISIT_COLUMNS, visits),
        ("dispatch_visit_engineers", "visit_id, engineer_id", v_eng),
        ("dispatch_visit_tools", "visit_id, tool_id", v_tools),
        ("compliance_finding", FINDING_COLUMNS, findings),
    ):
        with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            copy.write(data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=c.env_int("BENCH_RECHECK_VISITS", 100_000))
    args = parser.parse_args()
    c.django_setup()
    out = generate(args.visits)
    c.log(f"generated {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
