"""What a rule-set change re-checks: the open visits a changed rule can reach get a full check;
every other open visit whose current decision is known to hold under the previous rule set is
re-confirmed under the new one without evaluation (``compliance.checks.compact``).

A visit is re-confirmed without evaluation only when all of these hold; otherwise it is checked:

- no check request is open on it (an edit, a list import or a licence change is being checked);
- its current decision is a real one (no error, no stale or missing list) made, or re-confirmed,
  under the rule set being replaced, with the lists in force now, and no list is stale now;
- no changed rule, in its old or its new version, can reach it (``compliance.engine.reach``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef
from django.utils import timezone

from compliance import runtime
from compliance.checks import requests
from compliance.checks.compact import OutOfReach, reconfirm_out_of_reach
from compliance.checks.inputs import CheckContext
from compliance.checks.lists import ListsInForce, sources_in_force
from compliance.engine import reach
from compliance.models import Reconfirmation, RuleSet, Trigger
from dispatch.models import OPEN_STATUSES, Visit

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecheckPlan:
    checked: int  # queued for a full check
    reconfirmed: int  # re-confirmed without evaluation
    changed_rules: tuple[str, ...]
    everything: bool


def _codes(classifications: Any) -> set[tuple[str, str]]:
    if not isinstance(classifications, dict):
        return set()
    return {
        (str(j), str(code))
        for j, codes in classifications.items()
        if isinstance(codes, list | tuple)
        for code in codes
    }


def _shapes(rows: list[dict[str, Any]]) -> dict[int, reach.VisitShape]:
    """The reach shape of each visit row, with its tools' and items' classifications."""
    ids = [r["pk"] for r in rows]
    codes: dict[int, set[tuple[str, str]]] = {pk: set() for pk in ids}
    through = Visit.tools.through
    seen: dict[int, set[tuple[str, str]]] = {}  # a tool's codes, parsed once
    for i in range(0, len(ids), 20000):
        for visit_id, tool_id, classifications in through.objects.filter(
            visit_id__in=ids[i : i + 20000]
        ).values_list("visit_id", "tool_id", "tool__classifications"):
            if tool_id not in seen:
                seen[tool_id] = _codes(classifications)
            codes[visit_id] |= seen[tool_id]
    out = {}
    for r in rows:
        for item in r["items"] or []:
            if isinstance(item, dict):
                codes[r["pk"]] |= _codes(item.get("classifications"))
        out[r["pk"]] = reach.VisitShape(
            activity=r["activity"],
            facility_country=r["facility__country"],
            start=r["start_date"],
            end=r["end_date"],
            codes=frozenset(codes[r["pk"]]),
        )
    return out


def _change(previous: RuleSet | None, ruleset: RuleSet) -> reach.RuleChange:
    try:
        old = runtime.compiled_ruleset(previous) if previous is not None else None
        return reach.rule_change(old, runtime.compiled_ruleset(ruleset))
    except Exception:  # a set that no longer compiles: re-check everything (fail closed)
        logger.exception("Could not compare rule sets %s and %s", previous, ruleset)
        return reach.RuleChange(True, (), ())


def visits_recheck_for_rule_change(*, previous: RuleSet | None, ruleset: RuleSet) -> RecheckPlan:
    """Ask for the checks a switch from ``previous`` to ``ruleset`` needs, and re-confirm the
    rest; inside the activation's transaction (after ``ruleset`` became the active one)."""
    today = timezone.localdate()
    open_visits = Visit.objects.filter(status__in=OPEN_STATUSES, end_date__gte=today)
    change = _change(previous, ruleset)
    lists = ListsInForce(sources=sources_in_force(), index=None, now=timezone.now())
    lists_ok = all(
        s.snapshot is not None and not s.is_stale(lists.now)
        for s in lists.sources.values()
        if s.enabled
    )
    if change.everything or previous is None or not lists_ok:
        count = requests.visits_request_check(visits=open_visits, trigger=Trigger.RULE_CHANGE)
        return RecheckPlan(count, 0, change.changed, True)
    held_under_previous = Exists(
        Reconfirmation.objects.filter(
            decision_id=OuterRef("current_decision_id"), ruleset_id=previous.pk
        )
    )
    rows = list(
        open_visits.filter(
            check_requested_at__isnull=True,
            current_decision__isnull=False,
            current_decision__error="",
            current_decision__list_is_stale=False,
            current_decision__list_problem_sources="",
            current_decision__lists_version=lists.version or "",
        )
        .annotate(held=held_under_previous)
        .order_by("pk")
        .values(
            "pk",
            "activity",
            "facility__country",
            "start_date",
            "end_date",
            "items",
            "current_decision_id",
            "current_decision__input_digest",
            "current_decision__ruleset_id",
            "held",
        )
    )
    eligible = [r for r in rows if r["current_decision__ruleset_id"] == previous.pk or r["held"]]
    shapes = _shapes(eligible)
    out_of_reach = [
        OutOfReach(r["pk"], r["current_decision_id"], r["current_decision__input_digest"])
        for r in eligible
        if not change.may_reach(shapes[r["pk"]])
    ]
    ctx = CheckContext(ruleset=ruleset, compiled=runtime.compiled_ruleset(ruleset), lists=lists)
    # Re-confirmed first: a visit whose decision changed meanwhile is left out, and checked.
    reconfirmed, left_out = reconfirm_out_of_reach(
        candidates=out_of_reach, ruleset=ruleset, ctx=ctx, trigger=Trigger.RULE_CHANGE
    )
    skip = {o.visit_id for o in out_of_reach} - set(left_out)
    check_ids = [
        pk for pk in open_visits.order_by("pk").values_list("pk", flat=True) if pk not in skip
    ]
    checked = requests.visits_request_check_ids(check_ids, trigger=Trigger.RULE_CHANGE)
    return RecheckPlan(checked, reconfirmed, change.changed, False)
