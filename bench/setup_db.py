"""Fresh benchmark database and Redis: ``python bench/setup_db.py``.

Drops and creates the database of ``BENCH_DATABASE_URL`` (default
postgres://postgres@127.0.0.1:5432/dispatch_bench), migrates it, loads the rule packs and the
sample screening list and the demo data through the product's own commands (embedded mode: the
demo visits are checked in-process), then adds the reference data the benchmarks need, through
the product's services:

- every vendor gets ``BENCH_ENGINEERS_PER_VENDOR`` (52) active engineers with realistic
  citizenships, some dual nationals and some US permanent residents (so that a visit of two
  engineers has exactly 50 candidates for suggestions);
- every fab building gets two tools of every vendor, classified as that vendor's real tools are;
- one service manager per vendor (``bench.<n>`` / ``bench-pass-<n>``) for the API benchmarks.

Finally it flushes the Redis database of ``REDIS_URL`` (default redis://127.0.0.1:6379/15).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c
from _names import FIRST_NAMES, LAST_NAMES

SEED = 8
SAMPLE_LIST = c.ROOT / "compliance" / "screening" / "data" / "sample_csl.csv"
# Citizenship mix per vendor country: (country, weight).
NATIONALITIES = {
    "NL": [("NL", 70), ("DE", 6), ("BE", 5), ("CN", 5), ("IN", 5), ("US", 4), ("TW", 3), ("KR", 2)],
    "US": [("US", 70), ("IN", 8), ("CN", 7), ("MX", 3), ("TW", 4), ("KR", 3), ("IL", 2), ("CA", 3)],
    "JP": [("JP", 85), ("CN", 5), ("TW", 4), ("KR", 4), ("US", 2)],
    "CN": [("CN", 85), ("SG", 5), ("TW", 4), ("MY", 4), ("US", 2)],
    "TW": [("TW", 85), ("US", 7), ("CN", 4), ("JP", 4)],
    "KR": [("KR", 90), ("US", 5), ("CN", 3), ("JP", 2)],
    "DE": [("DE", 75), ("AT", 6), ("NL", 5), ("FR", 5), ("CN", 4), ("US", 5)],
}
# Tool archetypes per vendor: (model, classifications, subject to the EAR).
NL_DUV = {"US": ["3B001.f"], "NL": ["3B001.f.4"]}
NL_EUV = {"US": ["3B001.f"], "NL": ["3B001.f.1"]}
TOOLS = {
    "ASML Netherlands B.V.": [("TWINSCAN NXT:2050i", NL_DUV, False), ("YieldStar 385", {}, False)],
    "ASML US, LLC": [("TWINSCAN NXE:3800E", NL_EUV, False), ("HMI eScan 1100", {}, False)],
    "Tokyo Electron Limited": [
        ("Tactras Vigus", {"JP": ["METI-23:etching"]}, False),
        ("TELINDY PLUS", {"JP": ["METI-23:heat_treatment"]}, False),
    ],
    "Lam Research Corporation": [
        ("Kiyo F Series", {"US": ["3B001.c"]}, True),
        ("Striker ALD", {"US": ["3B001.d"]}, True),
    ],
    "Lam Research (Shanghai) Co., Ltd.": [
        ("Vantex", {"US": ["3B001.c"]}, True),
        ("Coronus bevel clean", {"US": [], "NL": [], "JP": [], "KR": []}, True),
    ],
    "Applied Materials, Inc.": [
        ("Centura Sym3 Y", {"US": ["3B001.c"]}, True),
        ("Endura Clover MRAM PVD", {"US": ["3B001.d"]}, True),
    ],
    "Applied Materials Taiwan Branch": [
        ("Producer GT", {"US": ["3B001.d"]}, True),
        ("VeritySEM 10", {"US": ["3B002"]}, True),
    ],
    "KLA Corporation": [
        ("Surfscan SP7", {"US": ["3B002"]}, True),
        ("Archer 750", {"US": ["3B002"]}, True),
    ],
    "SEMES Co., Ltd.": [
        ("Wet cleaning station (bench)", {"KR": ["NCT:semiconductor"]}, False),
        ("Photo track (bench)", {"KR": ["NCT:semiconductor"]}, False),
    ],
    "Carl Zeiss SMT GmbH": [
        ("AIMS EUV", {"US": [], "NL": [], "JP": [], "KR": []}, False),
        ("MeRiT neXT", {"US": [], "NL": [], "JP": [], "KR": []}, False),
    ],
}


def _maintenance_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or "/" in name:
        raise SystemExit(f"BENCH_DATABASE_URL must name a database: {url!r}")
    return name, urlunsplit(parts._replace(path="/postgres"))


def recreate_database() -> None:
    import psycopg

    name, maintenance = _maintenance_url(c.database_url())
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"unexpected database name {name!r}")
    conninfo = maintenance.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def manage(*args: str) -> None:
    subprocess.run(
        [c.PYTHON, "manage.py", *args], cwd=c.ROOT, env=c.app_env(eager=True), check=True
    )


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([k for k, _ in weighted], weights=[w for _, w in weighted])[0]


def add_reference_data(engineers_per_vendor: int) -> dict[str, int]:
    """Engineers, tools and service managers, through the product's services (in-process)."""
    c.django_setup(eager=True)
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from dispatch import services
    from dispatch.models import Engineer, Facility, Tool, UserProfile, Vendor
    from dispatch.roles import Role

    rng = random.Random(SEED)
    counts = {"engineers": 0, "tools": 0, "users": 0}
    vendors = list(Vendor.objects.order_by("pk"))
    names = [f"{f} {ln}" for f in FIRST_NAMES for ln in LAST_NAMES]
    for vendor in vendors:
        existing = set(Engineer.objects.filter(vendor=vendor).values_list("name", flat=True))
        pool = [n for n in names if n not in existing]
        rng.shuffle(pool)
        needed = engineers_per_vendor - len(existing)
        mix = NATIONALITIES.get(vendor.country, NATIONALITIES["US"])
        for i in range(max(0, needed)):
            nat = _pick(rng, mix)
            born = dt.date(1965, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 35))
            citizenships = [{"country": nat, "since": born.isoformat()}]
            if rng.random() < 0.08:  # dual nationals
                other = _pick(rng, mix)
                if other != nat:
                    citizenships.append({"country": other, "since": born.isoformat()})
            residencies = []
            if nat != "US" and rng.random() < 0.07:  # US green-card holders (U.S. persons)
                since = dt.date(2010, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 12))
                until = None if rng.random() < 0.8 else since + dt.timedelta(days=365 * 4)
                residencies.append(
                    {
                        "country": "US",
                        "since": since.isoformat(),
                        "until": until.isoformat() if until else None,
                    }
                )
            home = vendor.country if rng.random() < 0.9 else nat
            services.engineer_create(
                vendor=vendor.pk,
                name=pool[i],
                employee_id=f"BENCH-{vendor.pk}-{i:04d}",
                home_country=home,
                citizenships=citizenships,
                permanent_residencies=residencies,
            )
            counts["engineers"] += 1
    for facility in Facility.objects.order_by("pk"):
        for vendor in vendors:
            for j, (model, classes, ear) in enumerate(TOOLS.get(vendor.name, [])):
                serial = f"BENCH-{facility.pk}-{vendor.pk}-{j}"
                if Tool.objects.filter(oem=vendor, serial_number=serial).exists():
                    continue
                services.tool_create(
                    facility=facility.pk,
                    oem=vendor.pk,
                    model=model,
                    serial_number=serial,
                    classifications=classes,
                    # A recorded determination with the inputs it rests on, so the generated
                    # decisions are what they were before the status was derived.
                    subject_to_ear=ear,
                    ear_justification="Benchmark data: determination on file.",
                    origin="US" if ear else vendor.country,
                    us_content_percent=None if ear else 0,
                    made_with_us_technology=None if ear else False,
                )
                counts["tools"] += 1
    user_model = get_user_model()
    group = Group.objects.get(name=Role.SERVICE_MANAGER)
    for vendor in vendors:
        username = f"bench.{vendor.pk}"
        if user_model.objects.filter(username=username).exists():
            continue
        user = user_model.objects.create_user(
            username=username,
            password=f"bench-pass-{vendor.pk}",
            email=f"{username}@example.com",
            is_staff=True,
        )
        user.groups.add(group)
        UserProfile.objects.update_or_create(user=user, defaults={"vendor": vendor})
        counts["users"] += 1
    return counts


def flush_redis() -> None:
    c.redis_client().flushdb()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--engineers-per-vendor", type=int, default=c.env_int("BENCH_ENGINEERS_PER_VENDOR", 52)
    )
    parser.add_argument(
        "--screening-list",
        default=os.environ.get("BENCH_SCREENING_LIST", str(SAMPLE_LIST)),
        help="screening list to import (default: the sample list)",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    c.log(f"database {c.database_url()}: drop, create, migrate")
    recreate_database()
    flush_redis()
    manage("migrate", "--noinput", "-v", "0")
    manage("load_rulepacks")
    manage("import_sample_lists", "--csl", args.screening_list)
    manage("load_demo")
    counts = add_reference_data(args.engineers_per_vendor)
    flush_redis()
    c.log(f"reference data added: {counts}; setup took {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
