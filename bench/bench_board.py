"""Dispatch board: ``python bench/bench_board.py [--json OUT]``.

Times ``compliance.services.board.dispatch_board`` (what the ``/board/`` page computes) in-process
against the benchmark database: a vendor with 52 active engineers (``setup_db.py``) x 30 days at
one of its fab buildings with one of its tools there, everything included: the check context, the
documents, the screening of the owner and of every engineer, the licences, one engine evaluation
per (engineer facts, day) and the cells. Run ``--repeat`` times after a warm-up; the median and the
worst are reported.

Floor, in the same run: the engine alone, ``engine.evaluate`` of one prepared visit document per
cell, i.e. what computing the grid cell by cell with the check's own entry point costs without
any database, screening or sharing (50 engineers x 30 days = 1,500 evaluations).

Targets: <= 1 s for 50 engineers x 30 days (median), and no cell left unavailable.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

TARGET_MS = 1000.0
ENGINEERS = 50
DAYS = 30


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=c.env_int("BENCH_BOARD_REPEAT", 7))
    parser.add_argument("--json", default=str(c.RESULTS / "board.json"))
    args = parser.parse_args(argv)

    c.django_setup()
    from django.db.models import Count
    from django.utils import timezone

    from compliance import engine
    from compliance.checks.inputs import check_context
    from compliance.selectors import visit_document
    from compliance.services.board import UNAVAILABLE, dispatch_board
    from dispatch.models import Engineer, Tool

    active = dict(
        Engineer.objects.filter(is_active=True)
        .values("vendor_id")
        .annotate(n=Count("pk"))
        .values_list("vendor_id", "n")
    )
    vendors = sorted(v for v, n in active.items() if n >= ENGINEERS)
    if not vendors:
        raise SystemExit(f"no vendor with {ENGINEERS} active engineers: run setup_db.py")
    start = timezone.localdate() + dt.timedelta(days=1)

    def board_of(vendor_id: int, tool: Tool) -> object:
        return dispatch_board(
            vendor_id=vendor_id,
            facility_id=tool.facility_id,
            tool_ids=[tool.pk],
            activity="maintenance",
            mode="on_site",
            start=start,
            days=DAYS,
        )

    # The vendor and tool whose board has the most kinds of outcome (untimed; also the warm-up
    # of compiled rules, screening index and rule windows).
    choices = []
    for vendor_id in vendors:
        for tool in (
            Tool.objects.filter(oem_id=vendor_id, facility__isnull=False)
            .select_related("facility", "oem")
            .order_by("pk")[:6]
        ):
            kinds = sum(1 for n in board_of(vendor_id, tool).counts().values() if n)
            choices.append((-kinds, vendor_id, tool.pk, tool))
    if not choices:
        raise SystemExit("no vendor has a tool at a facility: run setup_db.py")
    _, vendor_id, _, tool = min(choices, key=lambda x: x[:3])

    def board() -> object:
        return board_of(vendor_id, tool)

    board()  # warm-up: compiled rules, screening index, rule windows
    timings = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        result = board()
        timings.append(time.perf_counter() - t0)
    counts = result.counts()
    engineers = len(result.rows)

    # Floor: engine.evaluate per cell on prepared documents (no database, no screening).
    ctx = check_context()
    people = list(
        Engineer.objects.filter(vendor_id=vendor_id, is_active=True)
        .prefetch_related("citizenships", "residencies")
        .order_by("name", "pk")[:ENGINEERS]
    )

    class Shape:
        def __init__(self, engineer: Engineer) -> None:
            self.pk = None
            self.activity, self.mode = "maintenance", "on_site"
            self.start_date = self.end_date = start
            self.vendor, self.facility = tool.oem, tool.facility
            self.tools = _All([tool])
            self.engineers = _All([engineer])

    parsed = [engine.parse_document(visit_document(Shape(e))) for e in people]
    t0 = time.perf_counter()
    for doc in parsed:
        for i in range(DAYS):
            day = start + dt.timedelta(days=i)
            engine.evaluate(
                dataclasses.replace(
                    doc, visit=dataclasses.replace(doc.visit, start_date=day, end_date=day)
                ),
                ctx.compiled,
                lists_version=ctx.lists_version,
            )
    floor = time.perf_counter() - t0

    med = statistics.median(timings) * 1000
    out = {
        "vendor": tool.oem.name,
        "facility": tool.facility.name,
        "tool": f"{tool.model} {tool.serial_number}",
        "engineers": engineers,
        "days": DAYS,
        "cells": engineers * DAYS,
        "outcomes": counts,
        "median_ms": round(med, 1),
        "max_ms": round(max(timings) * 1000, 1),
        "repeat": args.repeat,
        "floor_engine_per_cell_ms": round(floor * 1000, 1),
        "floor_cells": len(parsed) * DAYS,
        "ratio": round(med / (floor * 1000), 2) if floor else None,
        "target_ms": TARGET_MS,
        "meets_target": med <= TARGET_MS and counts.get(UNAVAILABLE, 0) == 0,
    }
    c.log(
        f"board: {engineers} engineers x {DAYS} days in {med:.0f} ms median "
        f"(max {out['max_ms']} ms); engine cell by cell {out['floor_engine_per_cell_ms']} ms; "
        f"outcomes {counts}"
    )
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n")
    return 0


class _All:
    def __init__(self, items: list) -> None:
        self.items = items

    def all(self) -> list:
        return self.items


if __name__ == "__main__":
    raise SystemExit(main())
