"""Wait for the queue to drain, then count lost, duplicated and irreproducible decisions."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django

django.setup()

from django.db import close_old_connections
from django.db.models import Count, Q

from compliance.checks.evaluate import decision_replay
from dispatch.models import Visit

parser = argparse.ArgumentParser()
parser.add_argument("--wait", type=int, default=300)
parser.add_argument("--ids", default="")
args = parser.parse_args()
accepted = {int(x) for x in args.ids.split(",") if x}

deadline = time.monotonic() + args.wait
while time.monotonic() < deadline:
    close_old_connections()
    try:
        pending = Visit.objects.filter(
            Q(check_requested_at__isnull=False) | Q(current_decision__isnull=True)
        ).count()
    except Exception:  # the database may still be coming back
        pending = -1
    if pending == 0:
        break
    time.sleep(2)

visits = Visit.objects.all()
stored = set(visits.values_list("pk", flat=True))
without = visits.filter(current_decision__isnull=True).count()
duplicated = (
    visits.annotate(
        n=Count("decisions", filter=Q(decisions__trigger="submission", decisions__error=""))
    )
    .filter(n__gt=1)
    .count()
)
differs = 0
for visit in visits.select_related("current_decision__ruleset").exclude(
    current_decision__isnull=True
):
    if not decision_replay(visit.current_decision).identical:
        differs += 1
print(
    json.dumps(
        {
            "stored_visits": len(stored),
            "accepted_missing": len(accepted - stored),
            "without_decision": without,
            "more_than_one_current_decision": duplicated,
            "outcome_differs_from_offline_evaluation": differs,
            "unanswered_checks": visits.filter(check_requested_at__isnull=False).count(),
        }
    )
)
