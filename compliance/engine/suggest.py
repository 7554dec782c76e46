"""Alternative engineers: who could go instead of the engineers that hold a visit.

`suggest_engineers` keeps the engineers of the visit that no uncovered finding holds, adds one
candidate at a time, and returns the candidates whose visit would be `cleared`. It gives exactly
the decision `evaluate` would give for that engineer list (a test checks this), but evaluates
only the candidate's own rules per candidate: visit-scope, tool-scope and the kept engineers'
findings do not depend on the candidate and are computed once.

A candidate going on site will be at the facility, so for on-site visits the candidate's
location is the facility country whatever the candidate record says; for remote visits the
candidate's location is used if given, else the vendor country (as in parse_document).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from .decision import Decision, LicenceSpec, ScreeningHit, effect_rank
from .document import DocumentError, EngineerInfo, VisitDocument
from .evaluate import VisitRun, decide_pending, evaluate
from .ruleset import CompiledRuleSet
from .system import ListProblem, engineer_party

__all__ = ["Suggestion", "suggest_engineers", "without_engineer"]

_ENGINEER_PARTY = re.compile(r"engineers\[(0|[1-9][0-9]*)\]")


@dataclass(frozen=True)
class Suggestion:
    candidate_index: int  # index into the `candidates` argument
    engineer: EngineerInfo  # as evaluated (location filled in)
    decision: Decision  # the decision for the visit with this engineer
    reason: str  # one line for the dispatcher


def _remap(hits: Sequence[ScreeningHit], mapping: Mapping[int, int]) -> list[ScreeningHit]:
    """Re-point engineer hits to new indexes; drop hits on engineers no longer on the visit."""
    out: list[ScreeningHit] = []
    for hit in hits:
        match = _ENGINEER_PARTY.fullmatch(hit.party)
        if match is None:
            out.append(hit)
        elif int(match.group(1)) in mapping:
            out.append(dataclasses.replace(hit, party=engineer_party(mapping[int(match.group(1))])))
    return out


def _same_person(a: EngineerInfo, b: EngineerInfo) -> bool:
    if a.id is not None and b.id is not None:
        return a.id == b.id
    return " ".join(a.name.split()).casefold() == " ".join(b.name.split()).casefold()


def _reason(engineer: EngineerInfo, replaced: Sequence[str], decision: Decision) -> str:
    nationalities = (
        ", ".join(sorted({c.country for c in engineer.citizenships})) or "no citizenship"
    )
    text = f"{engineer.name} ({nationalities}) clears every rule in force for this visit"
    if replaced:
        text += f" in place of {', '.join(replaced)}"
    covered = sorted({f.covered_by_licence for f in decision.findings if f.covered_by_licence})
    if covered:
        text += f"; licence requirements covered by {', '.join(covered)}"
    return text + "."


def suggest_engineers(
    document: VisitDocument,
    candidates: Sequence[EngineerInfo],
    ruleset: CompiledRuleSet,
    *,
    screening: Sequence[ScreeningHit] = (),
    screening_by_candidate: Mapping[int, Sequence[ScreeningHit]] | None = None,
    licences: Sequence[LicenceSpec] = (),
    lists_version: str | None = None,
    list_is_stale: bool = False,
    list_problems: Sequence[ListProblem] = (),
    decided_at: datetime | None = None,
) -> list[Suggestion]:
    """Candidates (not already on the visit) with whom the visit would be cleared, best first.

    `screening` is the screening of the visit's own parties (as for `evaluate`): an owner hit
    holds the visit whoever goes. `screening_by_candidate` maps a candidate's index in
    `candidates` to the hits on that candidate; their `party` strings are ignored.
    Order: fewest findings (licence-covered ones included), then name, then candidate index.
    """
    original = evaluate(
        document,
        ruleset,
        screening=screening,
        licences=licences,
        lists_version=lists_version,
        list_is_stale=list_is_stale,
        list_problems=list_problems,
    )
    blocking = {
        f.engineer
        for f in original.findings
        if f.engineer is not None and f.holds and effect_rank(f.effect) > 0
    }
    kept = [i for i, e in enumerate(document.engineers) if e.name not in blocking]
    replaced = [e.name for e in document.engineers if e.name in blocking]
    base = dataclasses.replace(document, engineers=tuple(document.engineers[i] for i in kept))
    base_screening = _remap(screening, {old: new for new, old in enumerate(kept)})

    run = VisitRun(
        base,
        ruleset,
        screening=base_screening,
        list_missing=lists_version is None,
        list_stale=list_is_stale,
    )
    shared = run.all_findings(base.engineers, lists_version, list_is_stale, list_problems)

    visit = document.visit
    slot = len(base.engineers)
    suggestions: list[Suggestion] = []
    for index, candidate in enumerate(candidates):
        if any(_same_person(candidate, e) for e in document.engineers):
            continue
        location = (
            document.facility.country
            if visit.mode == "on_site"
            else candidate.location or document.vendor.country
        )
        engineer = dataclasses.replace(candidate, location=location)
        hits = [
            dataclasses.replace(h, party=engineer_party(slot))
            for h in (screening_by_candidate or {}).get(index, ())
        ]
        pending = [*shared, *run.engineer_findings(engineer, hits)]
        candidate_document = dataclasses.replace(base, engineers=(*base.engineers, engineer))
        decision = decide_pending(
            pending,
            candidate_document,
            ruleset,
            licences=licences,
            screening=[*base_screening, *hits],
            lists_version=lists_version,
            decided_at=decided_at,
        )
        if decision.status == "cleared":
            suggestions.append(
                Suggestion(index, engineer, decision, _reason(engineer, replaced, decision))
            )
    suggestions.sort(
        key=lambda s: (len(s.decision.findings), s.engineer.name.casefold(), s.candidate_index)
    )
    return suggestions


def without_engineer(
    document: VisitDocument,
    index: int,
    ruleset: CompiledRuleSet,
    *,
    screening: Sequence[ScreeningHit] = (),
    licences: Sequence[LicenceSpec] = (),
    lists_version: str | None = None,
    list_is_stale: bool = False,
    list_problems: Sequence[ListProblem] = (),
    decided_at: datetime | None = None,
) -> Decision:
    """The decision for the same visit without the engineer at `index` ("would it clear without X?")."""
    if not 0 <= index < len(document.engineers):
        raise IndexError(f"no engineer at index {index}")
    if len(document.engineers) == 1:
        raise DocumentError(
            "A visit needs at least one engineer.",
            {"engineers": ["a visit needs at least one engineer; cannot remove the only one"]},
        )
    kept = [i for i in range(len(document.engineers)) if i != index]
    reduced = dataclasses.replace(document, engineers=tuple(document.engineers[i] for i in kept))
    return evaluate(
        reduced,
        ruleset,
        screening=_remap(screening, {old: new for new, old in enumerate(kept)}),
        licences=licences,
        lists_version=lists_version,
        list_is_stale=list_is_stale,
        list_problems=list_problems,
        decided_at=decided_at,
    )
