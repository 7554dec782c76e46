"""End to end through PgBouncer: ``python bench/bench_pgbouncer.py [--json OUT]``.

The benchmark starts a PgBouncer of its own in transaction pooling mode (``_pgbouncer.py``:
127.0.0.1:6432, ``pool_mode = transaction``, ``default_pool_size`` ``BENCH_PGBOUNCER_POOL_SIZE``
(8)) in front of the benchmark database, and runs ``bench_e2e.py`` with the web server's, the
worker's and its own ``DATABASE_URL`` pointing at PgBouncer and ``DB_POOLER=pgbouncer`` (the
product's setting for a transaction pooler: no server-side cursors, no prepared statements). The
figures and targets are those of ``bench_e2e.py`` (with a shorter drain,
``BENCH_PGBOUNCER_E2E_VISITS`` (500) visits, and 1,000 no-op tasks for the floor); PgBouncer's
``SHOW POOLS`` is sampled throughout, so that the result also says how many client connections
shared how many server connections, and how long a client waited for one.

When pgbouncer is not installed the result records that and the step succeeds (it is skipped,
not failed).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c
import _pgbouncer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", default=str(c.RESULTS / "e2e_pgbouncer.json"))
    args = parser.parse_args(argv)
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    if _pgbouncer.executable() is None:
        reason = "pgbouncer is not installed (Debian: apt-get install pgbouncer)"
        c.log(f"skipped: {reason}")
        path.write_text(json.dumps({"skipped": reason}, indent=2) + "\n")
        return 0

    server_url = c.database_url()
    bouncer = _pgbouncer.PgBouncer(server_url)
    result: dict[str, Any] = {}
    try:
        bouncer.start()
        bouncer.wait_ready()
        c.log(
            f"pgbouncer on {bouncer.client_url} (transaction pooling, "
            f"{bouncer.pool_size} server connections) in front of {server_url}"
        )
        # Before Django is set up: this process, the web server and the worker all go through it.
        os.environ["BENCH_DATABASE_URL"] = bouncer.client_url
        os.environ["DB_POOLER"] = "pgbouncer"
        bouncer.sample_pools()
        import bench_e2e

        # The drain is for information only: a shorter one leaves the budget to the re-check.
        drain = str(c.env_int("BENCH_PGBOUNCER_E2E_VISITS", 500))
        status = bench_e2e.main(
            ["--json", str(path), "--tag", "e2e-pgbouncer", "--visits", drain, "--noop", "1000"]
        )
        result = json.loads(path.read_text()) if path.exists() else {}
        result["pgbouncer"] = {
            "listen": f"127.0.0.1:{bouncer.port}",
            "pool_mode": "transaction",
            "server": server_url,
            **bouncer.pool_figures(),
        }
    finally:
        bouncer.stop()
    path.write_text(json.dumps(result, indent=2) + "\n")
    c.log(f"pgbouncer: {result.get('pgbouncer')}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
