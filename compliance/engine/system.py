"""Findings the engine raises itself: fail-closed holds, screening hits and separation of duties.

Each carries jurisdiction SYSTEM and effect review, with the internal control or practice that
requires the hold as its citation (DESIGN sec. 6, 10).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Final

from .coverage import PendingFinding, licence_covers
from .decision import Decision, FactValue, Finding, LicenceSpec, ScreeningHit
from .document import VisitDocument

__all__ = [
    "OWNER_PARTY",
    "SYSTEM_ERROR",
    "SYSTEM_LIST_MISSING",
    "SYSTEM_NO_SCREENING_LIST",
    "SYSTEM_RULE_ERROR",
    "SYSTEM_SCREENING_HIT",
    "SYSTEM_SCREENING_PARTY",
    "SYSTEM_SEPARATION_OF_DUTIES",
    "SYSTEM_STALE_LIST",
    "ListProblem",
    "engineer_party",
    "list_findings",
    "separation_findings",
    "system_error_decision",
]

OWNER_PARTY: Final = "facility.owner"
ENGINEER_PARTY_PATH: Final = re.compile(r"engineers\[(0|[1-9][0-9]*)\]")
# An owner of the facility owner (facility.owners[i]), screened like the owner.
STAKE_PARTY_PATH: Final = re.compile(r"facility\.owners\[(0|[1-9][0-9]*)\]")
# A purchaser, consignee, end user or operator (facility.parties[i]), screened like the owner.
VISIT_PARTY_PATH: Final = re.compile(r"facility\.parties\[(0|[1-9][0-9]*)\]")

SYSTEM_RULE_ERROR: Final = "SYSTEM-RULE-ERROR"
SYSTEM_NO_SCREENING_LIST: Final = "SYSTEM-NO-SCREENING-LIST"
SYSTEM_STALE_LIST: Final = "SYSTEM-STALE-LIST"
SYSTEM_LIST_MISSING: Final = "SYSTEM-LIST-MISSING"
SYSTEM_SCREENING_HIT: Final = "SYSTEM-SCREENING-HIT"
SYSTEM_SCREENING_PARTY: Final = "SYSTEM-SCREENING-PARTY"
SYSTEM_ERROR: Final = "SYSTEM-ERROR"
SYSTEM_SEPARATION_OF_DUTIES: Final = "SYSTEM-SEPARATION-OF-DUTIES"

_FAIL_CLOSED: Final = "Internal control: fail closed (an unchecked visit is never cleared)"
SCREENING_PRACTICE: Final = (
    "Internal control: screen every party against a current restricted-party list "
    "(Supplement No. 4 to 15 CFR Part 744 and the Consolidated Screening List)"
)
CSL_URL: Final = "https://www.trade.gov/consolidated-screening-list"
_FOUR_EYES: Final = (
    "Internal control: separation of duties (nobody releases a visit they requested or edited)"
)


def engineer_party(index: int) -> str:
    """The `ScreeningHit.party` string for the engineer at `index` in the document."""
    return f"engineers[{index}]"


def system_finding(
    code: str,
    title: str,
    message: str,
    facts: Mapping[str, FactValue],
    *,
    engineer: str | None = None,
    tool: str | None = None,
    citation: str = _FAIL_CLOSED,
    source_url: str | None = None,
) -> Finding:
    return Finding(
        rule=code,
        jurisdiction="SYSTEM",
        citation=citation,
        effect="review",
        engineer=engineer,
        tool=tool,
        message=message,
        facts=dict(facts),
        title=title,
        source_url=source_url,
        confidence="high",
    )


def separation_findings(
    screening: Sequence[ScreeningHit],
    licences: Sequence[LicenceSpec],
    pending: Sequence[PendingFinding],
    document: VisitDocument,
) -> list[PendingFinding]:
    """A review finding for each release basis that does not count for this visit because the
    person who supplied it requested or edited the visit: every withheld false-positive mark, and
    every withheld licence that would cover a requirement no other licence on file covers."""
    out: list[PendingFinding] = []
    counted = [lic for lic in licences if not lic.withheld_by]

    def needed(licence: LicenceSpec) -> bool:
        return any(
            licence_covers(licence, p, document)
            and not any(licence_covers(other, p, document) for other in counted)
            for p in pending
        )

    for hit in screening:
        if hit.withheld_by:
            out.append(
                PendingFinding(
                    system_finding(
                        SYSTEM_SEPARATION_OF_DUTIES,
                        "A false-positive mark does not count for this visit",
                        f"{hit.withheld_by} marked the {hit.list_code} hit {hit.entry_name!r} for "
                        f"{hit.name!r} as a false positive, but {hit.withheld_by} requested or "
                        "edited this visit, so the mark does not count here. Another approver "
                        "must confirm it.",
                        {
                            "basis": "false_positive_mark",
                            "supplied_by": hit.withheld_by,
                            "party": hit.party,
                            "entry_id": hit.entry_id,
                        },
                        citation=_FOUR_EYES,
                    )
                )
            )
    for licence in licences:
        if licence.withheld_by and needed(licence):
            out.append(
                PendingFinding(
                    system_finding(
                        SYSTEM_SEPARATION_OF_DUTIES,
                        "A licence does not count for this visit",
                        f"Licence {licence.authority} {licence.number} was recorded or changed by "
                        f"{licence.withheld_by}, who requested or edited this visit, so it covers "
                        "nothing here. Another approver must confirm it.",
                        {
                            "basis": "licence",
                            "supplied_by": licence.withheld_by,
                            "licence": f"{licence.authority} {licence.number}",
                        },
                        citation=_FOUR_EYES,
                    )
                )
            )
    return out


def rule_error_finding(
    code: str, title: str, exc: BaseException, engineer: str | None, tool: str | None
) -> Finding:
    error = f"{type(exc).__name__}: {exc}"[:300]
    subjects = [f"engineer {engineer}" if engineer else "", f"tool {tool}" if tool else ""]
    about = " for " + " and ".join(s for s in subjects if s) if any(subjects) else ""
    return system_finding(
        SYSTEM_RULE_ERROR,
        "A rule could not be evaluated",
        f"Rule {code} ({title}) could not be evaluated{about}: {error}. The visit is held for "
        "review until the rule or the data is corrected.",
        {"failed_rule": code, "error": error},
        engineer=engineer,
        tool=tool,
    )


def hit_finding(hit: ScreeningHit, engineer: str | None) -> Finding:
    who = f"Engineer {engineer}" if engineer is not None else "The facility owner"
    if STAKE_PARTY_PATH.fullmatch(hit.party):
        who = "An owner of the facility owner"
    elif VISIT_PARTY_PATH.fullmatch(hit.party):
        who = "A party of the visit"
    generic = system_finding(
        SYSTEM_SCREENING_HIT,
        "Possible restricted-party match",
        f"{who} ({hit.name!r}) may match {hit.list_code} entry {hit.entry_name!r} "
        f"(score {hit.score:.2f}). {hit.explanation} Confirm against the official list; mark it "
        "as a false positive if it is a different party.".replace("  ", " "),
        {
            "party": hit.party,
            "list": hit.list_code,
            "entry_id": hit.entry_id,
            "entry": hit.entry_name,
            "score": hit.score,
        },
        engineer=engineer,
        citation=SCREENING_PRACTICE,
        source_url=CSL_URL,
    )
    if hit.list_effect not in ("review", "licence_required", "prohibited"):
        return generic
    # A list whose meaning the caller states (sources.yaml): its effect and legal basis.
    return replace(
        generic,
        rule=hit.list_rule or SYSTEM_SCREENING_HIT,
        jurisdiction=hit.list_jurisdiction or "SCREENING",
        citation=hit.list_citation or SCREENING_PRACTICE,
        effect=hit.list_effect,
        message=generic.message.replace(
            " Confirm against", f" {hit.list_title}: {hit.list_citation}. Confirm against", 1
        ),
        title=hit.list_title or generic.title,
        source_url=hit.list_source_url or None,
        confidence=hit.list_confidence or "high",
        licence_authority=hit.list_authority or None,
    )


def stray_hit_finding(hit: ScreeningHit) -> Finding:
    return system_finding(
        SYSTEM_SCREENING_PARTY,
        "Screening hit for an unknown party",
        f"A screening hit names party {hit.party!r} ({hit.name!r}, {hit.list_code} entry "
        f"{hit.entry_name!r}), which is not a party of this visit document. The visit is held "
        "so that the hit can be checked.",
        {"party": hit.party, "list": hit.list_code, "entry_id": hit.entry_id},
        citation=SCREENING_PRACTICE,
        source_url=CSL_URL,
    )


def system_error_decision(
    document_or_none: VisitDocument | None,
    error: str,
    *,
    rules_version: str | None,
    lists_version: str | None,
    as_of: date,
    decided_at: datetime | None,
) -> Decision:
    """The decision to store when the check itself failed: on hold, with a SYSTEM-ERROR finding."""
    del document_or_none  # accepted so callers can pass what they have; the error is what matters
    text = " ".join(str(error).split())[:500] or "unknown error"
    finding = system_finding(
        SYSTEM_ERROR,
        "The compliance check failed",
        f"The compliance check could not be completed: {text}. The visit stays on hold until a "
        "re-check succeeds.",
        {"error": text},
    )
    return Decision.from_findings(
        [finding],
        screening=(),
        rules_version=rules_version,
        lists_version=lists_version,
        as_of=as_of,
        decided_at=decided_at,
    )


@dataclass(frozen=True)
class ListProblem:
    """A list source that binds the visit but had no snapshot ("missing"), or whose snapshot was
    not confirmed current within its maximum age ("stale"), as the caller judged it."""

    source: str
    name: str
    state: str
    version: str = ""
    max_age_days: float = 0
    url: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "name": self.name,
            "state": self.state,
            "version": self.version,
            "max_age_days": self.max_age_days,
            "url": self.url,
        }


def list_findings(
    lists_version: str | None, list_is_stale: bool, problems: Sequence[ListProblem] = ()
) -> list[PendingFinding]:
    """The holds for the lists' state: none loaded, a binding source missing or stale."""
    out: list[PendingFinding] = []
    if lists_version is None:
        out.append(
            PendingFinding(
                system_finding(
                    SYSTEM_NO_SCREENING_LIST,
                    "No restricted-party list loaded",
                    "No restricted-party list snapshot is loaded, so no party of this visit "
                    "has been screened. The visit is held until a list is imported and the "
                    "visit is re-checked.",
                    {},
                    citation=SCREENING_PRACTICE,
                    source_url=CSL_URL,
                )
            )
        )
        return out
    for p in problems:
        if p.state == "missing":
            code, title = SYSTEM_LIST_MISSING, f"{p.name}: no snapshot loaded"
            text = (
                f"The {p.name} binds this visit but no snapshot of it is loaded, so no party "
                "has been screened against it. The visit is held until it is imported or "
                "fetched and the visit is re-checked."
            )
        else:
            code, title = SYSTEM_STALE_LIST, f"{p.name} is stale"
            text = (
                f"The {p.name} snapshot {p.version} has not been confirmed current within "
                f"{p.max_age_days:g} days, so screening may miss recent listings. The visit is "
                "held until a current list arrives and the visit is re-checked."
            )
        out.append(
            PendingFinding(
                system_finding(
                    code,
                    title,
                    text,
                    {"source": p.source, "lists_version": p.version or lists_version},
                    citation=SCREENING_PRACTICE,
                    source_url=p.url or None,
                )
            )
        )
    if list_is_stale and not problems:
        out.append(
            PendingFinding(
                system_finding(
                    SYSTEM_STALE_LIST,
                    "Restricted-party list is stale",
                    f"The restricted-party list snapshot {lists_version} is older than the "
                    "allowed age, so screening may miss recent listings. The visit is held "
                    "until a current list is imported and the visit is re-checked.",
                    {"lists_version": lists_version},
                    citation=SCREENING_PRACTICE,
                    source_url=CSL_URL,
                )
            )
        )
    return out
