"""Which of the vendor's other engineers would clear a visit, and what the visit would be without
each of its own engineers: one engine batch, fixed queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from compliance import engine, separation
from compliance.checks.inputs import (
    check_context,
    engineer_countries,
    false_positive_marks,
    licences_for_visits,
    party_fingerprint,
    screen_name,
    screen_parties,
)
from compliance.selectors import check_inputs, engineer_document, engineer_location
from config.errors import ApplicationError
from dispatch.models import Engineer, Visit

MAX_CANDIDATES = 200


@dataclass
class SuggestionInputs:
    """What the engine needs to rank a visit's candidate engineers (prepared, not yet evaluated)."""

    visit_id: int
    on_visit: list[int]
    candidates: list[Engineer]
    parsed: engine.VisitDocument
    infos: list[engine.EngineerInfo]  # one per candidate
    compiled: engine.CompiledRuleSet
    screening: list[engine.ScreeningHit]
    screening_by_candidate: dict[int, list[engine.ScreeningHit]]
    common: dict[str, Any]  # licences, lists_version, list_is_stale, list_problems


def suggestion_inputs(*, visit_id: int) -> SuggestionInputs:
    """Load and prepare a visit and its vendor's other active engineers, in fixed queries."""

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
    marks = false_positive_marks([*party_keys.values(), *(f"engineer:{c.pk}" for c in candidates)])
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
        fingerprint = party_fingerprint({"engineers": [candidate_docs[i]]}, "engineers[0]", c.name)
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
                        marks.get((f"engineer:{c.pk}", m.entry_id, m.entry_hash, fingerprint), ()),
                        loaded.involved_user_ids,
                    )[0]
                ),
            )
            for m in screen_name(
                ctx.index,
                c.name,
                None,
                countries=engineer_countries(candidate_docs[i].get("citizenships") or []),
                date_of_birth=candidate_docs[i].get("date_of_birth"),
            )
        ]
        if hits:
            screening_by_candidate[i] = hits
    stale, problems = ctx.list_state(document)
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
            "list_is_stale": stale,
            "list_problems": problems,
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
