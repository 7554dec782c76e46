"""Suggestions: ``python bench/bench_suggestions.py [--json OUT]``.

Times ``compliance.services.suggestions.visit_suggestions`` (what ``GET /api/v1/visits/{id}/suggestions/``
serves) in-process against the benchmark database, for visits of 2 engineers of a vendor with
52 active engineers, i.e. 50 candidate engineers each: the check context, the visit document,
the candidates' documents, their screening, licences and one engine batch.

Floor, in the same run and on the same visits: the engine part alone,
``engine.suggest_engineers`` on the same parsed document, candidates, hits and licences.

Target: <= 50 ms per visit (median; p95 is reported too).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

TARGET_MS = 50.0
CANDIDATES = 50


def engine_inputs(visit: Any) -> Any:
    """What ``visit_suggestions`` hands to the engine, prepared by the same service (not timed)."""
    from compliance import services

    return services.suggestion_inputs(visit_id=visit.pk)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=c.env_int("BENCH_SUGGESTION_VISITS", 30))
    parser.add_argument("--json", default=str(c.RESULTS / "suggestions.json"))
    args = parser.parse_args(argv)

    c.django_setup()
    from django.db.models import Count

    from compliance import engine, services
    from dispatch.models import Engineer, Visit

    active = dict(
        Engineer.objects.filter(is_active=True)
        .values("vendor_id")
        .annotate(n=Count("pk"))
        .values_list("vendor_id", "n")
    )
    vendors = [v for v, n in active.items() if n == CANDIDATES + 2]
    if not vendors:
        raise SystemExit(f"no vendor with {CANDIDATES + 2} active engineers: run setup_db.py")
    visits = list(
        Visit.objects.filter(vendor_id__in=vendors)
        .annotate(n=Count("engineers"))
        .filter(n=2)
        .order_by("pk")[: args.visits + 5]
    )
    for visit in visits[:5]:  # warm-up: caches of rule windows, screening normalisation
        services.visit_suggestions(visit=visit)
    timed = visits[5:]
    full: list[float] = []
    floor: list[float] = []
    candidates = set()
    for visit in timed:
        t0 = time.perf_counter()
        out = services.visit_suggestions(visit=visit)
        full.append(time.perf_counter() - t0)
        inputs = engine_inputs(visit)
        candidates.add(len(inputs.candidates))
        t0 = time.perf_counter()
        engine.suggest_engineers(
            inputs.parsed,
            inputs.infos,
            inputs.compiled,
            screening=inputs.screening,
            screening_by_candidate=inputs.screening_by_candidate,
            **inputs.common,
        )
        floor.append(time.perf_counter() - t0)
    med = statistics.median(full) * 1000
    floor_med = statistics.median(floor) * 1000
    result = {
        "visits": len(timed),
        "candidates_per_visit": sorted(candidates),
        "suggested_last": len(out["candidates"]),
        "median_ms": round(med, 2),
        "p95_ms": round(c.percentile([x * 1000 for x in full], 95), 2),
        "floor_engine_median_ms": round(floor_med, 2),
        "ratio": round(med / floor_med, 2),
        "target_ms": TARGET_MS,
        "meets_target": med <= TARGET_MS,
    }
    c.log(
        f"suggestions: median {med:.1f} ms (p95 {result['p95_ms']} ms) for "
        f"{sorted(candidates)} candidates; engine alone {floor_med:.1f} ms"
    )
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
