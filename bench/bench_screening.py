"""Benchmark of restricted-party screening: `python bench/bench_screening.py [--json OUT] [--calibrate]`.

Builds a ScreeningIndex over the full 2022 Consolidated Screening List (../shared/data, 14,160 rows;
a synthetic list of the same size when that file is absent) and every other source the checks use
(the full UN list and the EU, UK and METI samples; `--csl-only` leaves them out), screens a few hundred realistic names
(list names with one typo, list names as written, unrelated companies, engineers' names) with the
index and with the exhaustive `full_scan`, checks both return the same hits, and prints the median
time per name, their ratio and the index build time. Targets: <= 0.2 ms median per name across all
sources (<= 1 ms for the CSL alone) on one core,
>= 10x faster than the full scan, identical hits.

For context it also times `rapidfuzz.process.extract` with `token_sort_ratio` over all joined names:
a C-level scan with a different, weaker scoring (it is not the same search), i.e. roughly the fastest
a scan over every name can go.

`--calibrate` prints the evidence for the threshold: for thresholds 0.80-0.96, the share of one-typo
list names that still hit their own entry, and the share of unrelated names that hit anything.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import string
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import ParamSpec, TypeVar

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _names import FIRST_NAMES, LAST_NAMES  # noqa: E402
from rapidfuzz import fuzz, process  # noqa: E402

from compliance.screening import ListEntry, ScreeningIndex, formats, parse_csl_file  # noqa: E402
from compliance.screening.names import searchable_names  # noqa: E402
from compliance.screening.normalise import normalise_name  # noqa: E402

# The project's copy (tests/data) is always there; ../shared/data is read when the copy is absent.
FULL_LIST = next(
    (
        path
        for path in (
            REPO_ROOT / "tests" / "data" / "csl-full-2022-05-16.csv.gz",
            REPO_ROOT.parent / "shared" / "data" / "csl-full-2022-05-16.csv.gz",
        )
        if path.exists()
    ),
    REPO_ROOT / "tests" / "data" / "csl-full-2022-05-16.csv.gz",
)
SEED = 20220516
_DATA = REPO_ROOT / "compliance" / "screening" / "data"
# The other sources: the full UN list and the samples of the EU, UK and METI lists.
OTHER_SOURCES = {
    "un-sc": ("un-xml", _DATA / "un-sc-consolidated-2026-02-27.xml.gz"),
    "eu-fsf": ("eu-xml", _DATA / "eu-fsf-sample.xml"),
    "uk-fcdo": ("uk-xml", _DATA / "uk-sanctions-sample.xml"),
    "jp-eul": ("jp-eul", _DATA / "jp-eul-sample.xlsx"),
}

# Real companies of the industry and beyond, none of them on the 2022 CSL.
UNRELATED_COMPANIES = (
    "Applied Materials, Inc.",
    "Lam Research Corporation",
    "KLA Corporation",
    "Tokyo Electron Limited",
    "ASML Netherlands B.V.",
    "ASM International N.V.",
    "SCREEN Semiconductor Solutions Co., Ltd.",
    "Hitachi High-Tech Corporation",
    "Kokusai Electric Corporation",
    "Canon Inc.",
    "Nikon Corporation",
    "Advantest Corporation",
    "Teradyne, Inc.",
    "Onto Innovation Inc.",
    "Entegris, Inc.",
    "Axcelis Technologies, Inc.",
    "Veeco Instruments Inc.",
    "Ultra Clean Holdings, Inc.",
    "Ichor Systems",
    "MKS Instruments, Inc.",
    "Advanced Energy Industries, Inc.",
    "Edwards Vacuum LLC",
    "Pfeiffer Vacuum GmbH",
    "Carl Zeiss SMT GmbH",
    "TRUMPF GmbH + Co. KG",
    "Cymer LLC",
    "Gigaphoton Inc.",
    "Lasertec Corporation",
    "DISCO Corporation",
    "Ebara Corporation",
    "ULVAC, Inc.",
    "Shin-Etsu Chemical Co., Ltd.",
    "SUMCO Corporation",
    "Siltronic AG",
    "GlobalWafers Co., Ltd.",
    "Samsung Electronics Co., Ltd.",
    "SK hynix Inc.",
    "Micron Technology, Inc.",
    "Kioxia Corporation",
    "Western Digital Corporation",
    "Intel Corporation",
    "Taiwan Semiconductor Manufacturing Company Limited",
    "United Microelectronics Corporation",
    "Vanguard International Semiconductor Corporation",
    "Powerchip Semiconductor Manufacturing Corporation",
    "Nanya Technology Corporation",
    "Winbond Electronics Corporation",
    "Macronix International Co., Ltd.",
    "GlobalFoundries Inc.",
    "GlobalFoundries Dresden Module One LLC & Co. KG",
    "Infineon Technologies AG",
    "STMicroelectronics N.V.",
    "NXP Semiconductors N.V.",
    "Robert Bosch GmbH",
    "Texas Instruments Incorporated",
    "Analog Devices, Inc.",
    "onsemi",
    "Renesas Electronics Corporation",
    "Sony Semiconductor Solutions Corporation",
    "ROHM Co., Ltd.",
    "Tower Semiconductor Ltd.",
    "X-FAB Silicon Foundries SE",
    "SkyWater Technology Foundry",
    "Wolfspeed, Inc.",
    "Qualcomm Incorporated",
    "Broadcom Inc.",
    "NVIDIA Corporation",
    "Advanced Micro Devices, Inc.",
    "MediaTek Inc.",
    "Realtek Semiconductor Corp.",
    "Novatek Microelectronics Corp.",
    "ASE Technology Holding Co., Ltd.",
    "Amkor Technology, Inc.",
    "Siemens AG",
    "Koninklijke Philips N.V.",
    "Toyota Motor Corporation",
    "Deutsche Bank AG",
    "Nestle S.A.",
    "Unilever PLC",
    "Volkswagen AG",
    "Hitachi, Ltd.",
    "Panasonic Holdings Corporation",
    "Mitsubishi Electric Corporation",
    "Fujitsu Limited",
    "Toshiba Corporation",
    "LG Electronics Inc.",
    "Hyundai Motor Company",
    "Hon Hai Precision Industry Co., Ltd.",
    "Jabil Inc.",
    "Flex Ltd.",
    "Air Liquide S.A.",
    "Linde plc",
    "Merck KGaA",
    "BASF SE",
    "JSR Corporation",
    "Tokyo Ohka Kogyo Co., Ltd.",
    "Sumitomo Chemical Co., Ltd.",
    "Resonac Holdings Corporation",
    "Kulicke and Soffa Industries, Inc.",
    "BE Semiconductor Industries N.V.",
    "Nova Ltd.",
    "Camtek Ltd.",
    "FormFactor, Inc.",
    "Cohu, Inc.",
    "PDF Solutions, Inc.",
    "Synopsys, Inc.",
    "Cadence Design Systems, Inc.",
    "Arm Limited",
    "Imec vzw",
    "Fraunhofer-Gesellschaft",
    "Oxford Instruments plc",
    "Aixtron SE",
    "Suss MicroTec SE",
    "EV Group E. Thallner GmbH",
    "Mattson Technology, Inc.",
    "Plasma-Therm LLC",
    "Hua Hong Semiconductor Limited",
    "Nexchip Semiconductor Corporation",
)


def typo(word: str, rng: random.Random) -> str:
    """One keyboard slip inside `word`: a wrong, missing, extra or swapped letter."""
    position = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("substitute", "delete", "insert", "swap"))
    letter = rng.choice(string.ascii_lowercase)
    if kind == "substitute":
        return word[:position] + letter + word[position + 1 :]
    if kind == "delete":
        return word[:position] + word[position + 1 :]
    if kind == "insert":
        return word[:position] + letter + word[position:]
    return word[: position - 1] + word[position] + word[position - 1] + word[position + 1 :]


def with_typo(text: str, rng: random.Random) -> str | None:
    words = text.split(" ")
    long_words = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    if not long_words:
        return None
    i = rng.choice(long_words)
    words[i] = typo(words[i], rng)
    return " ".join(words)


def list_name_queries(
    entries: Sequence[ListEntry], count: int, rng: random.Random, *, misspell: bool
) -> list[tuple[str, str]]:
    """(query, entry id) pairs drawn from the list's own names and aliases."""
    queries: list[tuple[str, str]] = []
    while len(queries) < count:
        entry = rng.choice(entries)
        name = rng.choice(searchable_names(entry)).text
        query = with_typo(name, rng) if misspell else name.lower()
        if query:
            queries.append((query, entry.entry_id))
    return queries


def person_names(count: int, rng: random.Random) -> list[str]:
    return [f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}" for _ in range(count)]


def synthetic_entries(count: int, rng: random.Random) -> list[ListEntry]:
    """A list of `count` invented entries with aliases, for machines without the real file."""
    syllables = [
        "an",
        "bei",
        "chen",
        "da",
        "er",
        "fa",
        "guo",
        "hua",
        "jin",
        "kai",
        "long",
        "ming",
        "nan",
        "ou",
        "ping",
        "qin",
        "rong",
        "shan",
        "tian",
        "wei",
        "xin",
        "yang",
        "zhong",
    ]
    words = [
        "Technology",
        "Electronics",
        "Trading",
        "Industrial",
        "Research Institute",
        "Semiconductor",
        "Microelectronics",
        "Aviation",
        "Shipping",
        "Import and Export",
        "Machinery",
        "Optics",
    ]

    def word() -> str:
        return "".join(rng.choice(syllables) for _ in range(rng.randint(2, 3))).capitalize()

    entries = []
    for n in range(count):
        name = f"{word()} {word()} {rng.choice(words)} Co., Ltd."
        entries.append(
            ListEntry(
                entry_id=f"EL:syn{n}",
                list_code="EL",
                source="Entity List (EL) - synthetic",
                name=name,
                alt_names=(f"{word()} {rng.choice(words)}",),
                entity_type="Entity",
                programs=(),
                countries=("CN",),
                addresses=("Beijing, CN",),
                federal_register_notice="",
                start_date="",
                license_requirement="",
                license_policy="",
                remarks="",
                source_list_url="",
                source_information_url="",
            )
        )
    return entries


P = ParamSpec("P")
R = TypeVar("R")


def timed(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> tuple[R, float]:
    """The result of the call and its duration in microseconds."""
    start = time.perf_counter_ns()
    result = function(*args, **kwargs)
    return result, (time.perf_counter_ns() - start) / 1000


def calibrate(index: ScreeningIndex, entries: Sequence[ListEntry], rng: random.Random) -> None:
    thresholds = [0.80, 0.82, 0.84, 0.86, 0.88, 0.90, 0.92, 0.94, 0.96]
    typo_queries = list_name_queries(entries, 1000, rng, misspell=True)
    own_scores = []
    for query, entry_id in typo_queries:
        matches = index.search(query, threshold=0.7, limit=100)
        own_scores.append(max((m.score for m in matches if m.entry_id == entry_id), default=0.0))
    unrelated = list(UNRELATED_COMPANIES) + person_names(300, rng)
    best_unrelated = []
    for query in unrelated:
        matches = index.search(query, threshold=0.7, limit=1)
        best_unrelated.append(
            (matches[0].score, query, matches[0].matched_name) if matches else (0.0, query, "")
        )
    print("\nthreshold  one-typo list names found  unrelated names with a hit")
    for t in thresholds:
        found = sum(s >= t for s in own_scores) / len(own_scores)
        false = sum(s >= t for s, _, _ in best_unrelated) / len(best_unrelated)
        print(f"  {t:.2f}        {found:6.1%}                    {false:6.1%}")
    print("\nunrelated names scoring >= 0.80 (score, screened name, list name):")
    for score, query, matched in sorted(best_unrelated, reverse=True):
        if score >= 0.80:
            print(f"  {score:.2f}  {query!r} ~ {matched!r}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="write the figures to this JSON file")
    parser.add_argument("--calibrate", action="store_true", help="print the threshold evidence")
    parser.add_argument("--queries", type=int, default=400, help="number of names to screen")
    parser.add_argument(
        "--csl-only", action="store_true", help="the US CSL alone, without the other sources"
    )
    args = parser.parse_args(argv)
    rng = random.Random(SEED)

    if FULL_LIST.exists():
        parsed, parse_us = timed(parse_csl_file, FULL_LIST)
        entries: list[ListEntry] = list(parsed.entries)
        list_source = FULL_LIST.name
    else:
        entries, parse_us = list(synthetic_entries(14_000, rng)), 0.0
        list_source = "synthetic (../shared/data/csl-full-2022-05-16.csv.gz not found)"
    per_source = {"us-csl": len(entries)}
    if not args.csl_only:
        # Every other source, as the checks screen them: one index over all lists in force.
        for source, (form, path) in OTHER_SOURCES.items():
            other = formats.parse(form, path)
            entries.extend(other.entries)
            per_source[source] = len(other.entries)
        list_source += " + " + ", ".join(p.name for _, p in OTHER_SOURCES.values())
    index, build_us = timed(ScreeningIndex.build, entries)

    quarter = args.queries // 4
    queries = [q for q, _ in list_name_queries(entries, quarter + quarter // 2, rng, misspell=True)]
    queries += [q for q, _ in list_name_queries(entries, quarter // 2, rng, misspell=False)]
    queries += [rng.choice(UNRELATED_COMPANIES) for _ in range(quarter)]
    queries += person_names(args.queries - len(queries), rng)

    for query in queries:  # warm caches (normalisation) alike for both paths
        index.search(query)
    index_us: list[float] = []
    scan_us: list[float] = []
    reference_us: list[float] = []
    mismatches: list[str] = []
    hits = 0
    joined_names = [" ".join(n.tokens) for entry in entries for n in searchable_names(entry)]
    for query in queries:
        runs = [timed(index.search, query, limit=50) for _ in range(3)]
        found = runs[0][0]
        index_us.append(statistics.median(us for _, us in runs))
        expected, us = timed(index.full_scan, query, limit=50)
        scan_us.append(us)
        _, us = timed(
            process.extract,
            " ".join(normalise_name(query)),
            joined_names,
            scorer=fuzz.token_sort_ratio,
            score_cutoff=88,
            limit=None,
        )
        reference_us.append(us)
        hits += bool(found)
        if found != expected:
            mismatches.append(query)

    median_us = statistics.median(index_us)
    ratio = statistics.median(scan_us) / median_us
    result = {
        "list": list_source,
        "entries": len(entries),
        "entries_per_source": per_source,
        "searchable_names": index.name_count,
        "distinct_tokens": index.token_count,
        "parse_seconds": round(parse_us / 1e6, 3),
        "build_seconds": round(build_us / 1e6, 3),
        "queries": len(queries),
        "queries_with_hits": hits,
        "median_us": round(median_us, 1),
        "p90_us": round(statistics.quantiles(index_us, n=10)[-1], 1),
        "max_us": round(max(index_us), 1),
        "full_scan_median_us": round(statistics.median(scan_us), 1),
        "ratio": round(ratio, 1),
        "same_hits": not mismatches,
        "mismatches": mismatches,
        "reference_rapidfuzz_token_sort_scan_median_us": round(statistics.median(reference_us), 1),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    print(
        f"list: {result['list']} ({result['entries']} entries, {result['searchable_names']} names)"
    )
    print(f"index build: {result['build_seconds']} s (parse {result['parse_seconds']} s)")
    print(
        f"screen one name, median: {result['median_us']} us (p90 {result['p90_us']} us, "
        f"max {result['max_us']} us) over {len(queries)} names, {hits} with hits"
    )
    print(f"full scan, median: {result['full_scan_median_us']} us; ratio {result['ratio']}x")
    print(f"same hits as the full scan: {result['same_hits']}")
    print(
        f"reference, rapidfuzz.process.extract token_sort_ratio over all names (not the same "
        f"search): {result['reference_rapidfuzz_token_sort_scan_median_us']} us"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    if args.calibrate:
        calibrate(index, entries, rng)
    # Across every source, one name in at most 0.2 ms median (1 ms for the CSL alone, as before).
    targets_met = median_us <= (1000 if args.csl_only else 200) and ratio >= 10 and not mismatches
    return 0 if targets_met else 1


if __name__ == "__main__":
    raise SystemExit(main())
