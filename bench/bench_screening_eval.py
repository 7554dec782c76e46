"""Recall and precision of screening on the labelled yardstick:
`python bench/bench_screening_eval.py [--json OUT] [--misses N]`.

Builds a ScreeningIndex over the full 2022 Consolidated Screening List (tests/data), runs every
query of tests/data/screening_eval/ (built by scripts/build_screening_eval.py) at the default
threshold, and reports recall, precision, F1, hard negatives hit, recall per variant class, median
and p95 time per name, index build time and the index's memory. The same figures for a full-scan
rapidfuzz baseline (``token_sort_ratio`` >= 88 over every name and alias, rapidfuzz's default
processing) are reported beside them. Targets (issue 15): recall and precision >= 0.95, at most
1 % of hard negatives hit, median <= 0.2 ms and p95 <= 1 ms a name, index built in <= 5 s.

Scoring is defined in compliance/screening/yardstick.py; ``--misses N`` prints N missed queries per
class, to see what the matcher does not yet catch.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from rapidfuzz import fuzz, process, utils  # noqa: E402

from compliance.screening import DEFAULT_THRESHOLD, ScreeningIndex, parse_csl_file  # noqa: E402
from compliance.screening.yardstick import Outcome, evaluate, load  # noqa: E402

LIST_FILE = REPO_ROOT / "tests" / "data" / "csl-full-2022-05-16.csv.gz"
YARDSTICK = REPO_ROOT / "tests" / "data" / "screening_eval"
BASELINE_CUTOFF = 88
TARGETS = {
    "recall": 0.95,
    "precision": 0.95,
    "negatives_hit_share": 0.01,
    "median_ms": 0.2,
    "p95_ms": 1.0,
    "build_s": 5.0,
}


def traced_peak(build):  # type: ignore[no-untyped-def]
    """Peak bytes allocated while ``build()`` runs (a second build: tracing slows it down)."""
    tracemalloc.start()
    build()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def product(entries):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    index = ScreeningIndex.build(entries)
    build_s = time.perf_counter() - started
    peak = traced_peak(lambda: ScreeningIndex.build(entries))

    def search(text: str) -> list[str]:
        return [m.entry_id for m in index.search(text, threshold=DEFAULT_THRESHOLD)]

    return search, build_s, peak


def baseline(entries):  # type: ignore[no-untyped-def]
    def build() -> tuple[list[str], list[str]]:
        choices: list[str] = []
        owners: list[str] = []
        for entry in entries:
            for text in (entry.name, *entry.alt_names):
                choices.append(utils.default_process(text))
                owners.append(entry.entry_id)
        return choices, owners

    started = time.perf_counter()
    choices, owners = build()
    build_s = time.perf_counter() - started
    peak = traced_peak(build)

    def search(text: str) -> list[str]:
        found = process.extract(
            utils.default_process(text),
            choices,
            scorer=fuzz.token_sort_ratio,
            score_cutoff=BASELINE_CUTOFF,
            limit=10,
        )
        return list(dict.fromkeys(owners[i] for _, _, i in found))

    return search, build_s, peak


def report(name: str, outcome: Outcome, build_s: float, peak: int) -> dict[str, object]:
    figures = outcome.summary()
    figures["build_s"] = round(build_s, 3)
    figures["build_peak_mib"] = round(peak / 2**20, 1)
    print(f"{name}")
    print(
        f"  recall {figures['recall']:.3f}  precision {figures['precision']:.3f}  "
        f"F1 {figures['f1']:.3f}  hard negatives hit {outcome.negatives_hit}/{outcome.negatives}  "
        f"wrong hits {outcome.wrong}"
    )
    print(
        f"  median {figures['median_ms']} ms  p95 {figures['p95_ms']} ms a name  "
        f"build {figures['build_s']} s  build peak {figures['build_peak_mib']} MiB"
    )
    for variant, recall in figures["recall_by_class"].items():  # type: ignore[union-attr]
        print(f"    {variant:<28} {recall:.3f}")
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--misses", type=int, default=0)
    args = parser.parse_args()
    entries = list(parse_csl_file(LIST_FILE).entries)
    queries = load(YARDSTICK)
    print(
        f"{sum(q.positive for q in queries)} positives, "
        f"{sum(not q.positive for q in queries)} hard negatives, {len(entries)} list entries"
    )
    results: dict[str, object] = {"targets": TARGETS}
    for name, make in (("product", product), ("rapidfuzz_full_scan", baseline)):
        search, build_s, peak = make(entries)
        evaluate(queries[:50], search)  # warm-up
        outcome = evaluate(queries, search)
        results[name] = report(name, outcome, build_s, peak)
        if name == "product" and args.misses:
            shown: dict[str, int] = {}
            for q in outcome.misses:
                if shown.get(q.variant, 0) < args.misses:
                    shown[q.variant] = shown.get(q.variant, 0) + 1
                    print(f"    miss [{q.variant}] {q.text!r} <- {q.source!r}")
            for q, hit in outcome.false_alarms[: args.misses * 3]:
                print(f"    false alarm [{q.variant}] {q.text!r} -> {hit[:2]}")
    figures = results["product"]
    assert isinstance(figures, dict)
    results["met"] = {
        "recall": figures["recall"] >= TARGETS["recall"],
        "precision": figures["precision"] >= TARGETS["precision"],
        "negatives_hit_share": figures["negatives_hit_share"] <= TARGETS["negatives_hit_share"],
        "median_ms": figures["median_ms"] <= TARGETS["median_ms"],
        "p95_ms": figures["p95_ms"] <= TARGETS["p95_ms"],
        "build_s": figures["build_s"] <= TARGETS["build_s"],
    }
    print(
        "targets met: "
        + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in results["met"].items())
    )  # type: ignore[union-attr]
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
