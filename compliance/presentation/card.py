"""The decision card: a stored decision told so it can be read in thirty seconds.

One verdict line (the status and what holds the visit, in plain words), the findings that hold it
with duplicates merged (one per rule and party; screening hits grouped per list entry with the
best-scoring matched name), who acts next and by when against the travel date, the last approval
or rejection, and the details (facts, versions, every hit) for whoever needs them.

Built from the decision's stored result and document only: what the card says is what the engine
decided, never a re-evaluation.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils import timezone

from compliance.models import Approval

EFFECT_RANK = {"clear": 0, "review": 1, "licence_required": 2, "prohibited": 3}
_INDEXED = re.compile(r"^(?P<base>[a-z_.]+)\[(?P<i>\d+)\]$")
_PARTY_ROLES = {"end_user": "End user", "consignee": "Consignee", "intermediary": "Intermediary"}


def _person(user: Any) -> str:
    if user is None:
        return "someone"
    return (user.get_full_name() or user.get_username()).strip()


def _and(words: Iterable[str]) -> str:
    items = [w for w in dict.fromkeys(words) if w]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def party_label(party: str, document: Mapping[str, Any]) -> str:
    """``facility.owner`` → "The facility owner (SMIC)"; ``engineers[0]`` → the engineer's name."""
    facility = document.get("facility") or {}
    if party == "facility.owner":
        return f"The facility owner ({facility.get('owner') or 'unnamed'})"
    found = _INDEXED.match(party or "")
    if found:
        base, i = found["base"], int(found["i"])
        if base == "engineers":
            people = document.get("engineers") or []
            if i < len(people) and isinstance(people[i], Mapping):
                return f"Engineer {people[i].get('name') or i + 1}"
        if base == "facility.owners":
            owners = facility.get("owners") or []
            if i < len(owners) and isinstance(owners[i], Mapping):
                return f"Owner {owners[i].get('name') or i + 1} (stake)"
        if base == "facility.parties":
            parties = facility.get("parties") or []
            if i < len(parties) and isinstance(parties[i], Mapping):
                role = _PARTY_ROLES.get(str(parties[i].get("role")), "Party")
                return f"{role} {parties[i].get('name') or i + 1}"
    return party or "The visit"


def _is_screening(finding: Mapping[str, Any]) -> bool:
    facts = finding.get("facts") or {}
    return bool(facts.get("entry_id")) and bool(facts.get("party"))


def _fact_lines(facts: Mapping[str, Any]) -> list[str]:
    lines = []
    for key, value in facts.items():
        if isinstance(value, list | tuple):
            shown = ", ".join(str(v) for v in value) or "none"
        elif value is None or value == "":
            shown = "not given"
        else:
            shown = str(value)
        lines.append(f"{key.replace('_', ' ')}: {shown}")
    return lines


def merged_findings(
    result: Mapping[str, Any], document: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(findings that hold the visit, findings covered by a licence), one per rule × party.

    Screening findings of one rule and party become one item listing the list entries it may
    match, best score first; each entry carries the best-scoring of the party's matched names.
    """
    names: dict[tuple[str, str], tuple[float, str]] = {}
    for hit in result.get("screening") or []:
        key = (str(hit.get("party")), str(hit.get("entry_id")))
        score = float(hit.get("score") or 0)
        if key not in names or score > names[key][0]:
            names[key] = (score, str(hit.get("name") or ""))
    items: dict[tuple[Any, ...], dict[str, Any]] = {}
    for f in result.get("findings") or []:
        facts = f.get("facts") or {}
        screening = _is_screening(f)
        party = str(facts.get("party") or "") if screening else ""
        covered = f.get("covered_by_licence") or ""
        key = (f.get("rule"), f.get("engineer") or "", f.get("tool") or "", party, bool(covered))
        item = items.get(key)
        if item is None:
            if screening:
                who = party_label(party, document)
            else:
                who = " · ".join(x for x in (f.get("engineer"), f.get("tool")) if x)
                if not who and facts.get("owner"):
                    who = f"The facility owner ({facts['owner']})"
            item = items[key] = {
                "rule": f.get("rule"),
                "title": f.get("title") or f.get("rule"),
                "effect": f.get("effect"),
                "jurisdiction": f.get("jurisdiction") or "",
                "citation": f.get("citation") or "",
                "source_url": f.get("source_url") or "",
                "confidence": f.get("confidence") or "",
                "who": who or "The visit as a whole",
                "message": f.get("message") or "",
                "facts": _fact_lines(facts) if not screening else [],
                "covered_by_licence": covered,
                "count": 0,
                "entries": [],
                "screening": screening,
            }
        item["count"] += 1
        if EFFECT_RANK.get(str(f.get("effect")), 0) > EFFECT_RANK.get(str(item["effect"]), 0):
            item["effect"] = f.get("effect")
        if screening:
            entry_id = str(facts.get("entry_id"))
            score, name = names.get((party, entry_id), (float(facts.get("score") or 0), ""))
            item["entries"].append(
                {
                    "list": facts.get("list") or "",
                    "entry": facts.get("entry") or entry_id,
                    "entry_id": entry_id,
                    "name": name,
                    "score": max(score, float(facts.get("score") or 0)),
                }
            )
    for item in items.values():
        item["entries"].sort(key=lambda e: (-e["score"], e["list"], e["entry"]))
        if item["screening"] and item["entries"]:
            best = item["entries"][0]
            item["message"] = (
                f"may match {_plural(len(item['entries']), 'list entry', 'list entries')}; "
                f"best: {best['list']} “{best['entry']}” (score {best['score']:.2f}). "
                "Confirm each against the official list, or mark it as a false positive."
            )
    ordered = sorted(
        items.values(),
        key=lambda i: (-EFFECT_RANK.get(str(i["effect"]), 0), i["jurisdiction"], i["title"]),
    )
    return (
        [i for i in ordered if not i["covered_by_licence"]],
        [i for i in ordered if i["covered_by_licence"]],
    )


def _hold_reasons(blocking: list[dict[str, Any]]) -> str:
    prohibited = [i for i in blocking if i["effect"] == "prohibited"]
    licence = [i for i in blocking if i["effect"] == "licence_required"]
    screening = [i for i in blocking if i["screening"]]
    review = [i for i in blocking if i["effect"] == "review" and not i["screening"]]
    parts = []
    if prohibited:
        parts.append(f"prohibited under {_and(i['jurisdiction'] for i in prohibited)} rules")
    if licence:
        parts.append(f"a licence is needed under {_and(i['jurisdiction'] for i in licence)} rules")
    if screening:
        entries = sum(len(i["entries"]) for i in screening)
        parties = _plural(len(screening), "party", "parties")
        parts.append(
            f"{_plural(entries, 'possible list match', 'possible list matches')} of {parties} to confirm"
        )
    if review:
        parts.append(f"{_plural(len(review), 'finding')} to review")
    return _and(parts)


def _travel(visit: Any, today: dt.date) -> dict[str, Any]:
    days = (visit.start_date - today).days
    if visit.end_date < today:
        when = f"the trip ended {_plural((today - visit.end_date).days, 'day')} ago"
    elif days < 0:
        when = f"the trip started {_plural(-days, 'day')} ago"
    elif days == 0:
        when = "the trip starts today"
    else:
        when = f"the trip starts in {_plural(days, 'day')}"
    return {
        "start": visit.start_date,
        "end": visit.end_date,
        "days": days,
        "text": when,
        "ended": visit.end_date < today,
        "urgent": 0 <= days <= 3,
    }


def _next_step(
    visit: Any, status: str, blocking: list[dict[str, Any]], travel: dict[str, Any]
) -> dict[str, str]:
    requester = _person(visit.requested_by)
    if status == "pending":
        return {"who": "The compliance check", "what": "runs now; this page updates by itself."}
    if status == "on_hold":
        if travel["ended"]:
            return {
                "who": "An approver or the requester",
                "what": "should reject or cancel it: the visit's dates have passed.",
            }
        needs = any(i["effect"] == "licence_required" for i in blocking)
        how = "approve it with a licence that covers it" if needs else "approve it"
        return {
            "who": "An approver",
            "what": f"must {how} or reject it before travel on "
            f"{visit.start_date:%-d %b %Y} ({travel['text']}). Neither {requester} nor anyone "
            "who edited the visit may decide it.",
        }
    if status == "blocked":
        return {
            "who": requester,
            "what": "can change the engineers, tools or dates, or cancel the visit: a prohibited "
            "visit cannot be approved.",
        }
    if status in ("cleared", "approved"):
        return {
            "who": "Nobody",
            "what": f"needs to act: the engineers may travel on {visit.start_date:%-d %b %Y}. "
            "A change to the lists, the rules or the licences re-checks the visit.",
        }
    if status == "rejected":
        return {"who": requester, "what": "can re-file it as a new visit if the trip is needed."}
    return {"who": "Nobody", "what": "needs to act: the visit is closed."}


def decision_card(visit: Any, *, user: Any = None) -> dict[str, Any] | None:
    """The card for the visit's current decision, or None before the first decision."""
    decision = visit.current_decision
    if decision is None:
        return None
    result = decision.result or {}
    document = decision.document or {}
    blocking, covered = merged_findings(result, document)
    status = visit.status
    today = timezone.localdate()
    travel = _travel(visit, today)
    last = (
        Approval.objects.filter(visit=visit)
        .select_related("actor", "licence")
        .order_by("-created_at", "-pk")
        .first()
    )
    reasons = _hold_reasons(blocking)
    label = visit.get_status_display()
    if status == "pending":
        verdict = "Being checked: the decision appears here in a moment."
    elif status == "cleared":
        verdict = "Cleared: no rule holds this visit."
        if covered:
            licences = _and(i["covered_by_licence"] for i in covered)
            verdict = f"Cleared: what needs a licence is covered by licence {licences}."
    elif status in ("on_hold", "blocked"):
        verdict = f"{label}: {reasons or 'a finding needs review'}."
        if status == "blocked":
            verdict += " It cannot be approved."
    elif status in ("approved", "rejected") and last is not None:
        verdict = f"{label} by {_person(last.actor)}"
        verdict += f" with licence {last.licence.number}." if last.licence_id else "."
    else:
        verdict = f"{label}."
    hits = sorted(
        result.get("screening") or [], key=lambda h: (-float(h.get("score") or 0), h.get("list"))
    )
    return {
        "status": status,
        "status_label": label,
        "outcome": result.get("outcome") or decision.outcome,
        "verdict": verdict,
        "reasons": reasons,
        "blocking": blocking,
        "covered": covered,
        "next": _next_step(visit, status, blocking, travel),
        "travel": travel,
        "last_action": None
        if last is None
        else {
            "action": last.get_action_display(),
            "actor": _person(last.actor),
            "at": last.created_at,
            "justification": last.justification,
            "licence": last.licence.number if last.licence_id else "",
            "for_current": last.decision_id == decision.pk,
        },
        "decision": {
            "id": decision.pk,
            "decided_at": decision.decided_at,
            "trigger": decision.get_trigger_display(),
            "change_reason": decision.change_reason,
            "rules_version": decision.rules_version,
            "lists_version": decision.lists_version,
            "as_of": decision.as_of,
            "findings": len(result.get("findings") or []),
        },
        "hits": [
            {**h, "who": party_label(str(h.get("party") or ""), document), "score": h.get("score")}
            for h in hits
        ],
        "tz": timezone.get_current_timezone_name(),
    }
