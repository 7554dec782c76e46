"""Every benchmark in one run (``make bench``): results in bench/results/, table in
docs/benchmarks.md.

    python bench/run_all.py

Steps (each a script of its own under bench/, run as a subprocess):

1. ``setup_db.py``: drop and create the database of ``BENCH_DATABASE_URL`` (default
   postgres://postgres@127.0.0.1:5432/dispatch_bench), migrate, rule packs, sample screening
   list, demo and benchmark reference data; flush the Redis database of ``REDIS_URL`` (default
   redis://127.0.0.1:6379/15).
2. ``datagen.py``: ``BENCH_RECHECK_VISITS`` (100,000) open visits with realistic shapes and a real
   decision each (bulk COPY), so that every later benchmark runs on a database of that size.
3. ``bench_engine.py`` and ``bench_screening.py`` (the benchmarks of the earlier issues, with
   ``--json``), ``bench_screening_eval.py`` (recall and precision on the labelled yardstick).
4. ``bench_suggestions.py``, ``bench_board.py``, ``bench_e2e.py``, ``bench_api_load.py``.
5. ``bench_pgbouncer.py``: ``bench_e2e.py`` again, with the web server and the worker going
   through a PgBouncer of the benchmark's own in transaction pooling mode (skipped, not failed,
   when pgbouncer is not installed).
6. ``bench_recheck.py --memory``: the re-check after a one-rule change, then of every open visit,
   with the worker's memory sampled throughout; it runs last and gets what is left of the time
   budget (``BENCH_BUDGET_SECONDS``, 840): what cannot finish reports the rate reached and the
   projected time instead.
7. ``report.py``: docs/benchmarks.md with the machine it ran on.

Exit status: 0 when every step ran (a missed target is reported, not fatal; ``--strict`` makes it
1), 1 when a step failed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

SETTINGS = (
    "BENCH_DATABASE_URL",
    "REDIS_URL",
    "BENCH_RECHECK_VISITS",
    "BENCH_E2E_VISITS",
    "BENCH_E2E_RATE",
    "BENCH_E2E_SECONDS",
    "BENCH_API_CLIENTS",
    "BENCH_API_SECONDS",
    "BENCH_SCREENING_QUERIES",
    "BENCH_BUDGET_SECONDS",
    "BENCH_WEB_WORKERS",
    "BENCH_WEB_THREADS",
    "BENCH_PGBOUNCER_POOL_SIZE",
    "COMPLIANCE_RECHECK_CHUNK_SIZE",
    "DB_CONN_MAX_AGE",
)


def load_avg() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def machine() -> dict[str, Any]:
    import psutil

    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "load_before": load_avg(),
    }
    try:
        import psycopg

        url = c.database_url().rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as conn:
            info["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]
    except Exception as exc:
        info["postgresql"] = f"unreachable: {exc}"
    try:
        info["redis"] = c.redis_client().info("server")["redis_version"]
    except Exception as exc:
        info["redis"] = f"unreachable: {exc}"
    return info


def step(name: str, argv: list[str], *, timeout: float, steps: list[dict[str, Any]]) -> bool:
    c.log(f"=== {name}")
    record: dict[str, Any] = {"name": name, "load_before": load_avg()}
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            [c.PYTHON, *argv], cwd=c.ROOT, timeout=timeout, env=os.environ.copy(), check=False
        )
        # bench_screening.py exits 1 when a target is missed: its JSON says so.
        ok = proc.returncode == 0 or (name == "screening" and proc.returncode == 1)
        if not ok:
            record["error"] = f"exit {proc.returncode}"
    except subprocess.TimeoutExpired:
        ok = False
        record["error"] = f"timed out after {timeout:.0f}s"
    record.update(ok=ok, seconds=round(time.perf_counter() - t0, 1), load_after=load_avg())
    steps.append(record)
    c.log(f"=== {name}: {'ok' if ok else 'FAILED ' + record['error']} in {record['seconds']}s")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    started = time.perf_counter()
    budget = c.env_float("BENCH_BUDGET_SECONDS", 840)
    os.environ.setdefault("BENCH_DATABASE_URL", c.DEFAULT_DATABASE_URL)
    os.environ.setdefault("REDIS_URL", c.DEFAULT_REDIS_URL)
    c.require_loopback(c.database_url())
    c.require_loopback(c.redis_url())

    # Results of an earlier run must not be mistaken for this one's.
    c.RESULTS.mkdir(parents=True, exist_ok=True)
    for old in c.RESULTS.glob("*.json"):
        old.unlink()
    info = machine()
    (c.RESULTS / "machine.json").write_text(json.dumps(info, indent=2) + "\n")
    c.log(f"machine: {info}")
    for key in ("postgresql", "redis"):
        if str(info[key]).startswith("unreachable"):
            c.log(f"{key} is {info[key]}: start it (see .ci/run) and run again")
            return 1

    steps: list[dict[str, Any]] = []
    b = "bench/"
    r = str(c.RESULTS) + "/"
    ok = step("setup", [b + "setup_db.py"], timeout=300, steps=steps)
    if ok:
        ok = step("datagen", [b + "datagen.py"], timeout=600, steps=steps)
    step("engine", [b + "bench_engine.py", "--json", r + "engine.json"], timeout=120, steps=steps)
    queries = str(c.env_int("BENCH_SCREENING_QUERIES", 200))
    step(
        "screening",
        [b + "bench_screening.py", "--json", r + "screening.json", "--queries", queries],
        timeout=300,
        steps=steps,
    )
    step(
        "screening_eval",
        [b + "bench_screening_eval.py", "--json", r + "screening_eval.json"],
        timeout=300,
        steps=steps,
    )
    if ok:
        step("suggestions", [b + "bench_suggestions.py"], timeout=180, steps=steps)
        step("board", [b + "bench_board.py"], timeout=180, steps=steps)
        step("e2e", [b + "bench_e2e.py"], timeout=420, steps=steps)
        step("api_load", [b + "bench_api_load.py"], timeout=240, steps=steps)
        step("e2e_pgbouncer", [b + "bench_pgbouncer.py"], timeout=420, steps=steps)
        left = budget - (time.perf_counter() - started)
        recheck_timeout = max(60.0, left - 60)
        step(
            "recheck+memory",
            [b + "bench_recheck.py", "--memory", "--timeout", f"{recheck_timeout:.0f}"],
            timeout=recheck_timeout + 240,
            steps=steps,
        )
    run = {
        "total_seconds": round(time.perf_counter() - started, 1),
        "steps": steps,
        "settings": {k: os.environ[k] for k in SETTINGS if k in os.environ},
    }
    (c.RESULTS / "run.json").write_text(json.dumps(run, indent=2) + "\n")
    subprocess.run([c.PYTHON, b + "report.py"], cwd=c.ROOT, check=False)
    c.log(f"total {run['total_seconds']:.0f}s; see docs/benchmarks.md")
    failed = [s["name"] for s in steps if not s["ok"]]
    if failed:
        c.log(f"failed steps: {', '.join(failed)}")
        return 1
    if args.strict:
        import report

        return 0 if all(row.met != "**no**" for row in report.rows()) else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
