"""The dispatch board: for a facility (optionally a tool and an activity) and a range of days,
the outcome each of the vendor's active engineers would get, alone, for a visit starting on each
day. The same engine and inputs as the check: the document is built as ``compliance.selectors``
builds a visit's, screened as ``compliance.checks.inputs.screen_parties`` screens it, with the
licences ``licences_for_visits`` would give the visit, and evaluated with the engine's
``VisitRun`` as ``engine.suggest_engineers`` does (the facts of the visit and its tools once per
day, each engineer's own findings per engineer).

What does not depend on the day is computed once: the engineers' documents, their screening, the
owner's screening, the licences, the lists' state. Engineers with the same facts and hits share
one evaluation per day. Fail closed: any error gives the cell (or the whole board) the outcome
``unavailable``, shown as "check unavailable" and never as clear.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from compliance import engine
from compliance.checks.inputs import (
    check_context,
    false_positive_marks,
    licences_for_visits,
    screen_parties,
)
from compliance.engine.evaluate import VisitRun, decide_pending
from compliance.engine.system import engineer_party
from compliance.selectors import (
    _FACILITY_FIELDS,
    TOOL_EAR_FIELDS,
    CheckInput,
    _document,
    _tool_doc,
    engineer_document,
    engineer_location,
)
from dispatch.models import Engineer, Facility, Tool, Vendor

logger = logging.getLogger(__name__)

MAX_DAYS = 62
DEFAULT_DAYS = 30
MAX_LENGTH = 14
MAX_ENGINEERS = 200
UNAVAILABLE = "unavailable"
OUTCOMES = ("clear", "review", "licence_required", "prohibited", UNAVAILABLE)
OUTCOME_LABELS = {
    "clear": "Clear",
    "review": "Review",
    "licence_required": "Licence required",
    "prohibited": "Prohibited",
    UNAVAILABLE: "Check unavailable",
}


@dataclass(frozen=True)
class BoardCell:
    start: dt.date
    end: dt.date
    outcome: str  # one of OUTCOMES
    reason: str  # one line: what decides the outcome (the rule titles)

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self.outcome]


@dataclass
class BoardRow:
    engineer: Engineer
    cells: list[BoardCell]


@dataclass
class Board:
    days: list[dt.date]
    length: int
    rows: list[BoardRow] = field(default_factory=list)
    # Set when nothing could be evaluated (no rule set, a broken list): every cell is unavailable.
    problem: str = ""

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(OUTCOMES, 0)
        for row in self.rows:
            for cell in row.cells:
                out[cell.outcome] += 1
        return out


def _facility_row(facility_id: int, vendor: Vendor, activity: str, mode: str) -> dict[str, Any]:
    values = (
        Facility.objects.filter(pk=facility_id)
        .values(
            "id",
            "customer_id",
            "customer__name",
            "customer__aliases",
            "customer__owners",
            *_FACILITY_FIELDS,
        )
        .get()
    )
    today = dt.date.today()
    return {
        "id": None,
        "activity": activity,
        "mode": mode,
        "start_date": today,
        "end_date": today,
        "vendor__name": vendor.name,
        "vendor__country": vendor.country,
        "vendor__is_us_branch": vendor.is_us_branch,
        "facility_id": values["id"],
        "facility__customer_id": values["customer_id"],
        "facility__customer__name": values["customer__name"],
        "facility__customer__aliases": values["customer__aliases"],
        "facility__customer__owners": values["customer__owners"],
        **{f"facility__{f}": values[f] for f in _FACILITY_FIELDS},
    }


def _reason(decision: engine.Decision) -> str:
    holding = []
    for f in decision.findings:
        if f.holds and engine.effect_rank(f.effect) > 0:
            title = f.title or f.rule
            if title not in holding:
                holding.append(title)
    if holding:
        return "; ".join(holding)
    covered = sorted({f.covered_by_licence for f in decision.findings if f.covered_by_licence})
    if covered:
        return f"Clears every rule in force; licence requirements covered by {', '.join(covered)}"
    return "Clears every rule in force for these dates"


def _unavailable(start: dt.date, end: dt.date, why: str) -> BoardCell:
    return BoardCell(start, end, UNAVAILABLE, f"Check unavailable: {why}. Held for review.")


def dispatch_board(
    *,
    vendor_id: int,
    facility_id: int,
    tool_ids: list[int],
    activity: str,
    mode: str,
    start: dt.date,
    days: int = DEFAULT_DAYS,
    length: int = 1,
    user_id: int | None = None,
) -> Board:
    """The board of the vendor's active engineers x ``days`` days from ``start``; each cell is a
    visit of ``length`` days starting that day, with that engineer alone. ``user_id`` is who
    would file it: as for the check, a licence or a false-positive mark they recorded does not
    count for their own visit."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_DAYS}")
    if not 1 <= length <= MAX_LENGTH:
        raise ValueError(f"length must be between 1 and {MAX_LENGTH}")
    day_list = [start + dt.timedelta(days=i) for i in range(days)]
    engineers = list(
        Engineer.objects.filter(vendor_id=vendor_id, is_active=True)
        .prefetch_related("citizenships", "residencies")
        .order_by("name", "pk")[:MAX_ENGINEERS]
    )
    board = Board(days=day_list, length=length)
    try:
        cells = _evaluate(
            engineers,
            vendor=Vendor.objects.get(pk=vendor_id),
            facility_id=facility_id,
            tool_ids=tool_ids,
            activity=activity,
            mode=mode,
            day_list=day_list,
            length=length,
            involved=frozenset({user_id} if user_id else ()),
        )
    except Exception as exc:  # no rule set, a broken list, a document that cannot be built
        logger.exception("The dispatch board could not be computed")
        board.problem = f"{type(exc).__name__}: {exc}"
        cells = {
            e.pk: [
                _unavailable(d, d + dt.timedelta(days=length - 1), "the check could not run")
                for d in day_list
            ]
            for e in engineers
        }
    board.rows = [BoardRow(e, cells[e.pk]) for e in engineers]
    return board


def _evaluate(
    engineers: list[Engineer],
    *,
    vendor: Vendor,
    facility_id: int,
    tool_ids: list[int],
    activity: str,
    mode: str,
    day_list: list[dt.date],
    length: int,
    involved: frozenset[int],
) -> dict[int, list[BoardCell]]:
    ctx = check_context()
    row = _facility_row(facility_id, vendor, activity, mode)
    tools = sorted(
        Tool.objects.filter(pk__in=tool_ids, facility_id=facility_id).values_list(
            "pk", "model", "serial_number", "classifications", *TOOL_EAR_FIELDS
        ),
        key=lambda t: (t[1], t[2], t[0]),
    )
    tool_docs = [
        _tool_doc(model, serial, codes, tuple(ear)) for _, model, serial, codes, *ear in tools
    ]
    base_doc = _document(row, tool_docs, [])
    facility = base_doc["facility"]
    customer_id = row["facility__customer_id"]
    party_keys = {"facility.owner": f"customer:{customer_id}"}
    for i, _ in enumerate(facility.get("owners") or []):
        party_keys[f"facility.owners[{i}]"] = f"customer-owner:{customer_id}.{i}"
    marks = false_positive_marks([*party_keys.values(), *(f"engineer:{e.pk}" for e in engineers)])
    owner_hits = screen_parties(
        index=ctx.index,
        document=base_doc,
        party_keys=party_keys,
        false_positives=marks,
        involved=involved,
    )
    (licences,) = licences_for_visits(
        [
            CheckInput(
                pk=0,
                vendor_id=vendor.pk,
                vendor_name=vendor.name,
                facility_id=facility_id,
                customer_id=customer_id,
                status="",
                check_requested_at=None,
                check_trigger="",
                document=base_doc,
                engineer_ids=[],
                involved_user_ids=involved,
                facility_country=facility["country"],
            )
        ]
    ).values()
    names_matter = any(spec.engineers for spec in licences)
    # Without the owner, for screening an engineer alone (the owner's hits are already known).
    no_owner = {**facility, "owner": "", "owner_aliases": []}
    no_owner.pop("owners", None)

    # Per engineer, once: document, parsed facts, screening hits, the lists' state.
    prepared: dict[int, tuple[Any, ...]] = {}
    parsed_base: engine.VisitDocument | None = None
    for e in engineers:
        try:
            doc = engineer_document(
                e,
                location=engineer_location(e, mode=mode, facility_country=facility["country"]),
            )
            full = {**base_doc, "engineers": [doc]}
            parsed = engine.parse_document(full)
            if parsed_base is None:
                parsed_base = dataclasses.replace(parsed, engineers=())
            hits = [
                dataclasses.replace(h, party=engineer_party(0))
                for h in screen_parties(
                    index=ctx.index,
                    document={**full, "facility": no_owner},
                    party_keys={"engineers[0]": f"engineer:{e.pk}"},
                    false_positives=marks,
                    involved=involved,
                )
                if h.party == "engineers[0]"
            ]
            stale, problems = ctx.list_state(full)
            info = parsed.engineers[0]
            key_info = info if names_matter or hits else dataclasses.replace(info, id=None, name="")
            key = (key_info, tuple(hits), stale, tuple(problems))
            prepared[e.pk] = (info, hits, stale, problems, key)
        except Exception as exc:
            logger.exception("Engineer %s cannot be put on the board", e.pk)
            prepared[e.pk] = (None, (), False, (), f"{type(exc).__name__}: {exc}")

    out: dict[int, list[BoardCell]] = {e.pk: [] for e in engineers}
    for day in day_list:
        end = day + dt.timedelta(days=length - 1)
        runs: dict[tuple[Any, ...], tuple[VisitRun, list[Any]]] = {}
        memo: dict[Any, BoardCell] = {}
        for e in engineers:
            info, hits, stale, problems, key = prepared[e.pk]
            if info is None:
                out[e.pk].append(_unavailable(day, end, key))
                continue
            if key in memo:
                out[e.pk].append(memo[key])
                continue
            try:
                assert parsed_base is not None
                run_key = (stale, tuple(problems))
                if run_key not in runs:
                    day_doc = dataclasses.replace(
                        parsed_base,
                        visit=dataclasses.replace(parsed_base.visit, start_date=day, end_date=end),
                    )
                    run = VisitRun(
                        day_doc,
                        ctx.compiled,
                        screening=owner_hits,
                        list_missing=ctx.lists_version is None,
                        list_stale=stale,
                    )
                    runs[run_key] = (
                        run,
                        run.all_findings((), ctx.lists_version, stale, problems),
                    )
                run, shared = runs[run_key]
                pending = [*shared, *run.engineer_findings(info, hits)]
                decision = decide_pending(
                    pending,
                    dataclasses.replace(run.document, engineers=(info,)),
                    ctx.compiled,
                    licences=licences,
                    screening=[*owner_hits, *hits],
                    lists_version=ctx.lists_version,
                    decided_at=None,
                )
                cell = BoardCell(day, end, decision.outcome, _reason(decision))
            except Exception as exc:
                logger.exception("Board cell failed for engineer %s on %s", e.pk, day)
                cell = _unavailable(day, end, f"{type(exc).__name__}: {exc}")
            memo[key] = cell
            out[e.pk].append(cell)
    return out
