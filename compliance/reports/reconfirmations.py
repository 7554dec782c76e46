"""The weekly report's re-confirmations: re-checks that gave a visit's current decision again and
were stored compactly (``compliance.checks.compact``), counted by how they were made, by trigger,
by the outcome they re-confirm and by the versions they were made under, with a replay sample.

Each counts as a decision of the week that says "same as decision #N under versions X": the
report's decision counts (section 2) are full decisions only, and this section adds the rest.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from compliance.checks.compact import reconfirmation_replay
from compliance.models import Effect, Reconfirmation, Trigger
from compliance.reports.sections import _evenly_spaced, iso_in_week
from compliance.reports.weeks import ReportWeek


def reconfirmations_section(week: ReportWeek, sample_size: int) -> dict[str, Any]:
    rows = Reconfirmation.objects.filter(
        confirmed_at__gte=week.starts_at, confirmed_at__lt=week.ends_at
    )
    grouped = (
        rows.values("basis", "trigger", "decision__outcome", "rules_version", "lists_version")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_basis = dict.fromkeys(Reconfirmation.Basis.values, 0)
    by_trigger = dict.fromkeys(Trigger.values, 0)
    by_outcome = dict.fromkeys(Effect.values, 0)
    versions: dict[tuple[str, str], int] = {}
    total = 0
    for row in grouped:
        n = row["n"]
        total += n
        by_basis[row["basis"]] = by_basis.get(row["basis"], 0) + n
        by_trigger[row["trigger"]] = by_trigger.get(row["trigger"], 0) + n
        outcome = row["decision__outcome"]
        by_outcome[outcome] = by_outcome.get(outcome, 0) + n
        key = (row["rules_version"], row["lists_version"])
        versions[key] = versions.get(key, 0) + n
    ids = list(rows.order_by("id").values_list("id", flat=True))
    sample = (
        Reconfirmation.objects.filter(pk__in=_evenly_spaced(ids, sample_size))
        .select_related("decision__ruleset", "ruleset")
        .order_by("id")
    )
    items = []
    for reconfirmation in sample:
        replay = reconfirmation_replay(reconfirmation)
        items.append(
            {
                "reconfirmation": reconfirmation.pk,
                "decision": reconfirmation.decision_id,
                "visit": reconfirmation.visit_id,
                "at": iso_in_week(reconfirmation.confirmed_at, week),
                "basis": reconfirmation.basis,
                "outcome": reconfirmation.decision.outcome,
                "rules_version": reconfirmation.rules_version,
                "lists_version": reconfirmation.lists_version,
                "reproduced": replay.identical,
                "differences": list(replay.differences),
            }
        )
    reproduced = sum(1 for i in items if i["reproduced"])
    return {
        "total": total,
        "by_basis": by_basis,
        "by_trigger": by_trigger,
        "by_outcome": by_outcome,
        "by_versions": [
            {"rules_version": r, "lists_version": lv, "reconfirmations": n}
            for (r, lv), n in sorted(versions.items())
        ],
        "replay": {
            "eligible": total,
            "sampled": len(items),
            "reproduced": reproduced,
            "not_reproduced": len(items) - reproduced,
            "items": items,
        },
    }
