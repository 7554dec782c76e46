"""Licence coverage: which `licence_required` findings a licence on file covers (DESIGN sec. 4).

A covered finding stays in the decision with `covered_by_licence` set, so the record shows both
the requirement and the licence relied on. Matching is deliberately strict; when in doubt a
finding stays uncovered and the visit stays on hold:

- the licence is not revoked, and its authority equals the rule's `licence_authority`;
- its holder is the vendor (case-insensitive);
- it names the facility or the facility owner (a licence naming no facility covers nothing),
  or, for a bulk licence, the facility's country is among the countries it lists;
- the visit activity is among its activities (empty = any activity);
- for a finding about a tool: *every* code the tool carries in the rule's jurisdiction falls
  under one of its classification prefixes (empty = any). Requiring every code, not just one,
  keeps a licence for 3B991 from covering a tool that is also 3B001. A tool with no code in that
  jurisdiction is not covered by a licence that lists classifications;
- if it names engineers: the finding's engineer is among them; a finding about the visit as a
  whole (no engineer) needs every engineer on the visit to be named;
- the whole visit lies within valid_from..valid_until (inclusive).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from .decision import Finding, LicenceSpec
from .document import CodeMap, VisitDocument

__all__ = [
    "PendingFinding",
    "PrefixSet",
    "apply_licences",
    "code_matches",
    "licence_covers",
    "licence_mismatch",
]


@dataclass(frozen=True)
class PendingFinding:
    """A finding before licence coverage, with the index of the tool it is about."""

    finding: Finding
    tool_index: int | None = None
    # The classifications of the shipped item a finding is about (item rules), if any.
    item_codes: CodeMap | None = None


def code_matches(code: str, prefix: str) -> bool:
    """True if `prefix` is `code` or a whole-segment prefix of it ('.' and ':' separate segments).

    "3B001" matches "3B001.f.4"; "3B001.f.4" does not match "3B001.f.40". Case does not count:
    "3b001.F.4" is the same code (a code typed in another case must never miss a rule).
    """
    if not prefix:
        return False
    code, prefix = code.casefold(), prefix.casefold()
    if not code.startswith(prefix):
        return False
    if len(code) == len(prefix) or prefix[-1] in ".:":
        return True
    return code[len(prefix)] in ".:"


class PrefixSet:
    """A set of classification prefixes that answers "does this code match any of them?".

    Equivalent to `any(code_matches(code, p) for p in prefixes)` (a test checks it), but a few
    set lookups per code: `whole` holds prefixes that must match whole segments ("3B001"),
    `open` those ending in a separator that match any continuation ("METI-23:"). Case does not
    count: prefixes are kept casefolded and each code is casefolded before the lookups.
    """

    __slots__ = ("open", "whole")

    def __init__(self, prefixes: Sequence[str]) -> None:
        folded = [p.casefold() for p in prefixes if p]
        self.whole = frozenset(p for p in folded if p[-1] not in ".:")
        self.open = frozenset(p for p in folded if p[-1] in ".:")

    def matches(self, code: str) -> bool:
        whole, open_ = self.whole, self.open
        code = code.casefold()
        if code in whole:
            return True
        for i, char in enumerate(code):
            if char in ".:" and (code[:i] in whole or code[: i + 1] in open_):
                return True
        return False


def _fold(value: str) -> str:
    return " ".join(value.split()).casefold()


def _classification_label(jurisdiction: str) -> str:
    return "ECCN" if jurisdiction == "US" else f"{jurisdiction} classification"


def licence_mismatch(
    licence: LicenceSpec, pending: PendingFinding, document: VisitDocument
) -> str | None:
    """The first condition of the module docstring that keeps `licence` from covering the
    finding, in plain words; None when it covers it. `licence_covers` is this returning None."""
    finding = pending.finding
    visit = document.visit
    if licence.revoked:
        return "Revoked"
    if finding.effect != "licence_required" or finding.licence_authority is None:
        return "The finding is not one a licence can cover"
    if _fold(licence.authority) != _fold(finding.licence_authority):
        return (
            f"Authority {licence.authority} does not match the finding's authority "
            f"{finding.licence_authority}"
        )
    if _fold(licence.holder) != _fold(document.vendor.name):
        return f"Held by {licence.holder}, not {document.vendor.name}"
    places = {_fold(f) for f in licence.facilities}
    place_named = (
        _fold(document.facility.name) in places or _fold(document.facility.owner) in places
    )
    if not place_named and document.facility.country not in licence.countries:
        if licence.countries:
            return (
                f"Covers {', '.join(licence.countries)}, not {document.facility.country} "
                f"({document.facility.name})"
            )
        issued = ", ".join(licence.facilities) or "no facility"
        return f"Issued for {issued}, not {document.facility.name} ({document.facility.owner})"
    if licence.activities and visit.activity not in licence.activities:
        return f"Covers {', '.join(licence.activities)}, not the visit's activity {visit.activity}"
    subject_codes = (
        pending.item_codes
        if pending.item_codes is not None
        else document.tools[pending.tool_index].classifications
        if pending.tool_index is not None
        else None
    )
    if licence.classifications and subject_codes is not None:
        codes = subject_codes.get(finding.jurisdiction, ())
        label = _classification_label(finding.jurisdiction)
        if not codes:
            return (
                f"Covers only {', '.join(licence.classifications)}; the {finding.tool or 'item'} "
                f"has no {label}"
            )
        missing = [c for c in codes if not any(code_matches(c, p) for p in licence.classifications)]
        if missing:
            return f"Does not cover {label} {', '.join(missing)}"
    if licence.engineers:
        named = {_fold(e) for e in licence.engineers}
        people = (
            [finding.engineer]
            if finding.engineer is not None
            else [e.name for e in document.engineers]
        )
        absent = [p for p in people if _fold(p) not in named]
        if absent:
            return f"Does not name {', '.join(absent)}"
    if licence.valid_from > visit.start_date:
        return f"Starts {licence.valid_from}, after the visit starts {visit.start_date}"
    if licence.valid_until < visit.end_date:
        return f"Ends {licence.valid_until}, before the visit ends {visit.end_date}"
    return None


def licence_covers(licence: LicenceSpec, pending: PendingFinding, document: VisitDocument) -> bool:
    return licence_mismatch(licence, pending, document) is None


def apply_licences(
    pending: Sequence[PendingFinding], document: VisitDocument, licences: Sequence[LicenceSpec]
) -> list[Finding]:
    # Deterministic choice when several licences would cover: lowest number first.
    # A withheld licence (recorded by someone who requested or edited the visit) covers nothing.
    ordered = sorted(
        (lic for lic in licences if not lic.withheld_by), key=lambda lic: (lic.number, str(lic.id))
    )
    result: list[Finding] = []
    for p in pending:
        finding = p.finding
        if finding.effect == "licence_required":
            for licence in ordered:
                if licence_covers(licence, p, document):
                    finding = dataclasses.replace(finding, covered_by_licence=licence.number)
                    break
        result.append(finding)
    return result
