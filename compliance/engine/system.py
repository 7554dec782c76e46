"""Findings the engine raises itself: fail-closed holds, screening hits and separation of duties.

Each carries jurisdiction SYSTEM and effect review, with the internal control or practice that
requires the hold as its citation (DESIGN sec. 6, 10).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Final

from .coverage import PendingFinding, licence_covers
from .decision import Decision, FactValue, Finding, LicenceSpec, ScreeningHit
from .document import VisitDocument

__all__ = [
    "OWNER_PARTY",
    "SYSTEM_ERROR",
    "SYSTEM_NO_SCREENING_LIST",
    "SYSTEM_RULE_ERROR",
    "SYSTEM_SCREENING_HIT",
    "SYSTEM_SCREENING_PARTY",
    "SYSTEM_SEPARATION_OF_DUTIES",
    "SYSTEM_STALE_LIST",
    "engineer_party",
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
    return system_finding(
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
