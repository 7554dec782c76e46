"""API under load: ``python bench/bench_api_load.py [--json OUT]``.

``BENCH_API_CLIENTS`` (100) concurrent clients (asyncio + aiohttp, loopback only) use the API of a
gunicorn server (``BENCH_WEB_WORKERS`` x ``BENCH_WEB_THREADS``, 2 x 4) for ``BENCH_API_SECONDS``
(40) s, with a Celery worker checking what they file. Each client is one service manager (token from
``POST /api/v1/auth/token/``) who repeatedly lists visits (``GET /api/v1/visits/``, first pages and
a status filter, 45 %), opens one (``GET /api/v1/visits/{id}/``, 45 %) or files one
(``POST /api/v1/visits/``, 10 %), thinking ``BENCH_API_THINK`` (0.5-1.5 s, uniform) between
requests, as a person at a screen does. The database holds the benchmark's 100,000+ visits.

Floor: the same clients and think times on the same server for ``BENCH_API_FLOOR_SECONDS`` (10)
s, against a request the framework answers without application work (no token: 401 from
``GET /api/v1/visits/``).

Target (a ratio to the floor of the same run, so that it holds on any machine of this kind): read
p95 <= 15x the 401 path's p95, and zero errors (any status other than 200/201, or no answer).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c
import _http as h
import profiling

TARGET_READ_RATIO = 15.0  # read p95 / 401 p95
MIX = (("list", 45), ("detail", 45), ("create", 10))


async def run_clients(
    base: str,
    ref: h.Reference,
    *,
    clients: int,
    seconds: float,
    think: tuple[float, float],
    floor: bool,
    seed: int,
) -> list[h.Sample]:
    vendors = sorted(ref.tokens)
    samples: list[h.Sample] = []
    deadline = time.perf_counter() + seconds
    kinds, weights = zip(*MIX, strict=True)
    async with h.client_session(clients) as session:

        async def client(i: int) -> None:
            rng = random.Random(seed * 1000 + i)
            vendor = vendors[i % len(vendors)]
            token = ref.tokens[vendor]
            await asyncio.sleep(rng.uniform(0, think[1]))  # staggered start
            while time.perf_counter() < deadline:
                if floor:
                    samples.append(
                        await h.request(session, "GET", f"{base}/api/v1/visits/", kind="floor")
                    )
                else:
                    kind = rng.choices(kinds, weights)[0]
                    if kind == "list":
                        query = rng.choice(["", "", "", "?page=2", "?status=on_hold", "?page=3"])
                        samples.append(
                            await h.request(
                                session,
                                "GET",
                                f"{base}/api/v1/visits/{query}",
                                kind="list",
                                token=token,
                            )
                        )
                    elif kind == "detail":
                        pk = rng.choice(ref.visits[vendor])
                        samples.append(
                            await h.request(
                                session,
                                "GET",
                                f"{base}/api/v1/visits/{pk}/",
                                kind="detail",
                                token=token,
                            )
                        )
                    else:
                        samples.append(
                            await h.request(
                                session,
                                "POST",
                                f"{base}/api/v1/visits/",
                                kind="create",
                                token=token,
                                json_body=h.visit_payload(ref, rng, vendor),
                            )
                        )
                await asyncio.sleep(rng.uniform(*think))

        await asyncio.gather(*(client(i) for i in range(clients)))
    return samples


def figures(samples: list[h.Sample], *, ok: tuple[int, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind in sorted({s.kind for s in samples}):
        mine = [s for s in samples if s.kind == kind]
        errs = [s for s in mine if s.status not in ok]
        out[kind] = {
            **c.summary_ms(s.seconds for s in mine),
            "errors": len(errs),
            "error_kinds": sorted({s.error or str(s.status) for s in errs})[:5],
        }
    reads = [s for s in samples if s.kind in ("list", "detail")]
    if reads:
        out["reads"] = {
            **c.summary_ms(s.seconds for s in reads),
            "errors": sum(1 for s in reads if s.status not in ok),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=c.env_int("BENCH_API_CLIENTS", 100))
    parser.add_argument("--seconds", type=float, default=c.env_float("BENCH_API_SECONDS", 40))
    parser.add_argument(
        "--floor-seconds", type=float, default=c.env_float("BENCH_API_FLOOR_SECONDS", 10)
    )
    parser.add_argument("--think", type=float, default=c.env_float("BENCH_API_THINK", 1.0))
    parser.add_argument("--no-worker", action="store_true", help="web server alone")
    parser.add_argument("--json", default=str(c.RESULTS / "api_load.json"))
    args = parser.parse_args(argv)
    think = (args.think * 0.5, args.think * 1.5)

    c.django_setup()
    r = c.redis_client()
    r.delete(c.QUEUE, "unacked", "unacked_index")
    web = c.WebServer()
    worker = None if args.no_worker else c.Worker(concurrency=2)
    out: dict[str, Any] = {
        "clients": args.clients,
        "seconds": args.seconds,
        "think_seconds": list(think),
        "mix": dict(MIX),
        "web": {"server": "gunicorn gthread", "workers": web.workers, "threads": web.threads},
        "with_worker": worker is not None,
    }
    try:
        web.start()
        if worker:
            worker.start()
            worker.wait_ready()
        web.wait_ready()
        base = web.base_url
        ref = h.load_reference(visits_per_vendor=500)
        from dispatch.models import Visit

        out["visits_in_database"] = Visit.objects.count()

        async def login() -> dict[int, str]:
            async with h.client_session(4) as session:
                return await h.fetch_tokens(session, base, sorted(ref.engineers))

        ref.tokens = asyncio.run(login())
        # Warm-up: a few seconds at a tenth of the clients.
        asyncio.run(
            run_clients(
                base,
                ref,
                clients=max(1, args.clients // 10),
                seconds=3,
                think=(0.05, 0.1),
                floor=False,
                seed=1,
            )
        )
        floor = asyncio.run(
            run_clients(
                base,
                ref,
                clients=args.clients,
                seconds=args.floor_seconds,
                think=think,
                floor=True,
                seed=2,
            )
        )
        out["floor"] = figures(floor, ok=(401,))
        c.log(f"floor (401, no application work): {out['floor']['floor']}")
        gunicorn_workers = web.worker_pids()
        profile = (
            profiling.Recording(gunicorn_workers[0], "api-web", seconds=15)
            if gunicorn_workers
            else None
        )
        if profile:
            profile.start()
        t0 = time.perf_counter()
        samples = asyncio.run(
            run_clients(
                base,
                ref,
                clients=args.clients,
                seconds=args.seconds,
                think=think,
                floor=False,
                seed=3,
            )
        )
        elapsed = time.perf_counter() - t0
        out["profile"] = profile.finish() if profile else None
        out["load"] = figures(samples, ok=(200, 201))
        out["requests"] = len(samples)
        out["requests_per_second"] = round(len(samples) / elapsed, 1)
        reads = out["load"].get("reads", {})
        errors = sum(v.get("errors", 0) for k, v in out["load"].items() if k != "reads")
        out["errors"] = errors
        out["read_p95_ms"] = reads.get("p95_ms")
        out["floor_p95_ms"] = out["floor"]["floor"].get("p95_ms")
        floor_p95 = out["floor_p95_ms"]
        ratio = (reads.get("p95_ms") or 0) / floor_p95 if floor_p95 else None
        out["read_ratio"] = round(ratio, 2) if ratio is not None else None
        out["target_read_ratio"] = TARGET_READ_RATIO
        out["meets_targets"] = ratio is not None and ratio <= TARGET_READ_RATIO and errors == 0
        for kind, v in out["load"].items():
            c.log(f"{kind:>7}: {v}")
    finally:
        web.stop()
        if worker:
            worker.stop()
        r.delete(c.QUEUE, "unacked", "unacked_index")
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
