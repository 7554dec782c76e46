"""What the engine returns (DESIGN sec. 4) and the plain inputs that accompany a document.

Everything here is a frozen dataclass; `Decision.to_dict()` gives the stored/API shape and
`decision_from_dict()` reads it back, so a stored decision can be compared with a replay.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final

__all__ = [
    "EFFECTS",
    "SCREENING_NOTICE",
    "STATUSES",
    "Decision",
    "Finding",
    "LicenceSpec",
    "ScreeningHit",
    "approval_stands",
    "decision_from_dict",
    "effect_rank",
    "status_for",
]

# Ordered from least to most severe; the outcome is the most severe uncovered effect.
EFFECTS: Final = ("clear", "review", "licence_required", "prohibited")
STATUSES: Final = ("cleared", "on_hold", "blocked")
_RANK: Final = {effect: i for i, effect in enumerate(EFFECTS)}

SCREENING_NOTICE: Final = (
    "This match is an aid, not a determination: confirm it against the official list "
    "before acting on it."
)

# JSON-safe values a finding records about the facts that triggered it.
FactValue = str | int | float | bool | None | list[str]


def effect_rank(effect: str) -> int:
    return _RANK[effect]


def _approval_key(finding: Mapping[str, Any]) -> str:
    return json.dumps(
        [finding.get(k) for k in ("rule", "jurisdiction", "effect", "engineer", "tool")]
        + [finding.get("facts") or {}],
        sort_keys=True,
        default=str,
    )


def approval_stands(
    approved: Sequence[Mapping[str, Any]], current: Sequence[Mapping[str, Any]]
) -> bool:
    """Whether an approval of the decision with findings `approved` still covers a new decision
    with findings `current` (stored/API dicts).

    It does only when the findings are the same ones (rule, jurisdiction, effect, engineer, tool
    and the facts that triggered them; wording aside) and no finding that a licence covered when
    it was approved has lost that cover. A finding that has since become covered is no change the
    approver did not already accept.
    """

    def covered(findings: Sequence[Mapping[str, Any]]) -> dict[str, bool]:
        out: dict[str, bool] = {}
        for f in findings:
            key = _approval_key(f)
            out[key] = out.get(key, False) or bool(f.get("covered_by_licence"))
        return out

    before, after = covered(approved), covered(current)
    if before.keys() != after.keys():
        return False
    return not any(was and not after[key] for key, was in before.items())


def status_for(outcome: str) -> str:
    if outcome == "clear":
        return "cleared"
    if outcome == "prohibited":
        return "blocked"
    return "on_hold"


@dataclass(frozen=True)
class ScreeningHit:
    """A screening match supplied by the caller (the matcher lives outside the engine).

    `party` is "facility.owner" (the owner or one of its aliases matched) or "engineers[i]"
    (index into the document's engineers). `false_positive` is true when an approver has
    dismissed this match for this party and the entry has not changed since; `false_positive_by`
    names who. `withheld_by` names the approver whose false-positive mark does not count for this
    visit because they requested or edited it (separation of duties): the hit stays live.
    """

    party: str
    name: str
    list_code: str
    entry_id: str
    entry_name: str
    score: float
    explanation: str = ""
    entry_hash: str = ""
    false_positive: bool = False
    false_positive_by: str = ""
    withheld_by: str = ""
    # The entry's licence review policy as the list states it (Entity List), or "".
    licence_policy: str = ""
    # What a hit on this list means for the visit (sources.yaml, decided by the caller): the
    # effect, the rule id and title of its finding, the legal basis and who licenses it. Empty
    # for a list whose codes the rule packs judge (the CSL).
    list_effect: str = ""
    list_rule: str = ""
    list_title: str = ""
    list_jurisdiction: str = ""
    list_citation: str = ""
    list_authority: str = ""
    list_confidence: str = ""
    list_source_url: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "party": self.party,
            "name": self.name,
            "list": self.list_code,
            "entry": self.entry_name,
            "entry_id": self.entry_id,
            "score": self.score,
            "explanation": self.explanation,
            "false_positive": self.false_positive,
            "entry_hash": self.entry_hash,
            "notice": SCREENING_NOTICE,
        }
        # Who supplied (or failed to supply) the release basis; absent when nobody did, so
        # decisions stored before these fields existed replay to the same dict.
        if self.false_positive_by:
            out["false_positive_by"] = self.false_positive_by
        if self.withheld_by:
            out["withheld_by"] = self.withheld_by
        if self.licence_policy:
            out["licence_policy"] = self.licence_policy
        if self.list_effect:
            out["basis"] = {"effect": self.list_effect, "citation": self.list_citation}
        return out


@dataclass(frozen=True)
class LicenceSpec:
    """A licence (or licence-like authorisation such as a VEU) on file.

    Empty `activities`, `classifications` or `engineers` mean "any". `valid_until` is
    inclusive. `classifications` are code prefixes matched on whole segments ("3B001" covers
    "3B001.f" but not "3B0015").
    """

    id: str | int | None
    authority: str
    number: str
    holder: str
    valid_from: date
    valid_until: date
    facilities: tuple[str, ...] = ()
    activities: tuple[str, ...] = ()
    classifications: tuple[str, ...] = ()
    engineers: tuple[str, ...] = ()
    revoked: bool = False
    # A bulk licence covers the destination countries it lists instead of named facilities
    # (e.g. METI's simplified bulk licences, DOMAIN sec. 8); empty for any other licence.
    countries: tuple[str, ...] = ()
    # Who recorded or changed the licence; `withheld_by` names one of them who requested or edited
    # the visit being decided, so the licence does not count for it (separation of duties).
    recorded_by: tuple[str, ...] = ()
    withheld_by: str = ""


@dataclass(frozen=True)
class Finding:
    rule: str
    jurisdiction: str
    citation: str
    effect: str
    engineer: str | None
    tool: str | None
    message: str
    facts: Mapping[str, FactValue] = field(default_factory=dict, hash=False)
    covered_by_licence: str | None = None
    title: str = ""
    source_url: str | None = None
    confidence: str = "high"
    licence_authority: str | None = None

    @property
    def holds(self) -> bool:
        """True when this finding counts towards the outcome (not covered by a licence)."""
        return self.covered_by_licence is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "jurisdiction": self.jurisdiction,
            "citation": self.citation,
            "effect": self.effect,
            "engineer": self.engineer,
            "tool": self.tool,
            "message": self.message,
            "facts": {
                k: list(v) if isinstance(v, list | tuple) else v for k, v in self.facts.items()
            },
            "covered_by_licence": self.covered_by_licence,
            "title": self.title,
            "source_url": self.source_url,
            "confidence": self.confidence,
            "licence_authority": self.licence_authority,
        }

    def sort_key(self) -> tuple[int, str, str, str, str]:
        # Most severe first; then stable textual keys so replays give identical output.
        return (-_RANK[self.effect], self.rule, self.engineer or "", self.tool or "", self.message)


@dataclass(frozen=True)
class Decision:
    status: str
    outcome: str
    findings: tuple[Finding, ...]
    screening: tuple[ScreeningHit, ...]
    rules_version: str | None
    lists_version: str | None
    as_of: date
    decided_at: datetime | None = None

    @classmethod
    def from_findings(
        cls,
        findings: Sequence[Finding],
        *,
        screening: Sequence[ScreeningHit],
        rules_version: str | None,
        lists_version: str | None,
        as_of: date,
        decided_at: datetime | None,
    ) -> Decision:
        """Sort, de-duplicate and derive outcome and status (DESIGN sec. 4)."""
        ordered = tuple(sorted(_unique(findings), key=Finding.sort_key))
        outcome = "clear"
        for f in ordered:
            if f.holds and _RANK[f.effect] > _RANK[outcome]:
                outcome = f.effect
        hits = tuple(
            sorted(screening, key=lambda h: (h.party, h.list_code, h.entry_id, h.name, -h.score))
        )
        return cls(
            status=status_for(outcome),
            outcome=outcome,
            findings=ordered,
            screening=hits,
            rules_version=rules_version,
            lists_version=lists_version,
            as_of=as_of,
            decided_at=decided_at,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "outcome": self.outcome,
            "findings": [f.to_dict() for f in self.findings],
            "screening": [h.to_dict() for h in self.screening],
            "rules_version": self.rules_version,
            "lists_version": self.lists_version,
            "as_of": self.as_of.isoformat(),
            "decided_at": self.decided_at.isoformat() if self.decided_at is not None else None,
        }


def _unique(findings: Sequence[Finding]) -> list[Finding]:
    """Drop exact duplicates (two identical tools on one visit yield identical findings)."""
    seen: dict[tuple[str, str, str | None, str | None, str, str | None], list[Finding]] = {}
    out: list[Finding] = []
    for f in findings:
        same = seen.setdefault(
            (f.rule, f.effect, f.engineer, f.tool, f.message, f.covered_by_licence), []
        )
        if any(other.facts == f.facts for other in same):
            continue
        same.append(f)
        out.append(f)
    return out


def _str_or_none(d: Mapping[str, Any], key: str) -> str | None:
    value = d.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{key} must be a string or null")
    return value


def decision_from_dict(d: Mapping[str, Any]) -> Decision:
    """Read back `Decision.to_dict()` output; raises ValueError on a malformed dict."""
    try:
        findings = tuple(
            Finding(
                rule=f["rule"],
                jurisdiction=f["jurisdiction"],
                citation=f["citation"],
                effect=f["effect"],
                engineer=_str_or_none(f, "engineer"),
                tool=_str_or_none(f, "tool"),
                message=f["message"],
                facts={
                    k: list(v) if isinstance(v, list) else v
                    for k, v in (f.get("facts") or {}).items()
                },
                covered_by_licence=_str_or_none(f, "covered_by_licence"),
                title=f.get("title", ""),
                source_url=_str_or_none(f, "source_url"),
                confidence=f.get("confidence", "high"),
                licence_authority=_str_or_none(f, "licence_authority"),
            )
            for f in d["findings"]
        )
        screening = tuple(
            ScreeningHit(
                party=h["party"],
                name=h["name"],
                list_code=h["list"],
                entry_id=h["entry_id"],
                entry_name=h["entry"],
                score=float(h["score"]),
                explanation=h.get("explanation", ""),
                entry_hash=h.get("entry_hash", ""),
                false_positive=bool(h.get("false_positive", False)),
                false_positive_by=h.get("false_positive_by", ""),
                withheld_by=h.get("withheld_by", ""),
            )
            for h in d.get("screening", ())
        )
        decided_at = d.get("decided_at")
        decision = Decision(
            status=d["status"],
            outcome=d["outcome"],
            findings=findings,
            screening=screening,
            rules_version=_str_or_none(d, "rules_version"),
            lists_version=_str_or_none(d, "lists_version"),
            as_of=date.fromisoformat(d["as_of"]),
            decided_at=datetime.fromisoformat(decided_at) if decided_at is not None else None,
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"not a stored decision: {exc!r}") from exc
    for f in decision.findings:
        if f.effect not in EFFECTS:
            raise ValueError(f"unknown effect {f.effect!r} in finding {f.rule}")
    if decision.outcome not in EFFECTS or decision.status not in STATUSES:
        raise ValueError("unknown outcome or status")
    return decision
