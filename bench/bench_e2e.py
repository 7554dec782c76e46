"""End to end: visits filed through the API, checked by a real worker pool on Redis and PostgreSQL.

    python bench/bench_e2e.py [--json OUT] [--tag NAME]

A gunicorn server (``BENCH_WEB_WORKERS`` x ``BENCH_WEB_THREADS``, 2 x 4) and a Celery worker
(``-Q compliance -c 2 --prefetch-multiplier 1``) run as subprocesses against the benchmark
database and Redis. Service managers log in through ``POST /api/v1/auth/token/`` and file visits
through ``POST /api/v1/visits/``; each visit is checked by ``compliance.tasks.check_visit``, as in
production.

1. Floor: ``BENCH_NOOP_TASKS`` (2000) ``compliance.tasks.noop`` messages are queued while the
   worker's consumer is paused; the consumer is resumed and the time to drain the queue gives the
   no-op throughput of this broker and pool.
2. Drain (for information): ``BENCH_E2E_VISITS`` (1000) visits are filed through the API (8
   concurrent clients) while the consumer is paused; it is resumed and the time until every one
   of them has its decision gives decisions per second, drained by the same pool as the floor.
3. Sustained: ``BENCH_E2E_SUSTAINED_VISITS`` (300) visits filed as fast as 8 clients can while
   the pool decides: visits / (last decision - first submission), against the no-op floor.
4. The 401 path: ``POST /api/v1/visits/`` without a token, open-loop at ``BENCH_E2E_RATE`` (50)
   per second for ``BENCH_E2E_FLOOR_SECONDS`` (5) s: what the server answers without application
   work, at the rate of step 5.
5. Latency: visits filed open-loop at ``BENCH_E2E_RATE`` per second for ``BENCH_E2E_SECONDS``
   (20) s; submit-to-decision latency is the time from sending the POST to the
   ``decision_recorded`` audit event (written in the decision's transaction); the POST's own
   response time is measured on the same requests.
6. Profiles: a gunicorn worker and a pool process are sampled while visits are filed at the same
   rate for ``BENCH_E2E_PROFILE_SECONDS`` (6) s and decided; not measured, since the sampler
   takes CPU of its own on the same cores. A pool process is also sampled during step 2
   (``profiling.py``); ``--tag`` names the result's profiles (the PgBouncer run uses its own).

Targets (ratios to floors of the same run, so that they hold on any machine of this kind):
sustained filing and deciding >= 25 % of the no-op floor; POST p95 at 50/s <= 10x the 401 path's
p95; submit-to-decision p95 <= 2x the POST p95, and no visit left undecided.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c
import _http as h
import profiling

TARGET_SUSTAINED_FLOOR_SHARE = 0.25
TARGET_POST_RATIO = 10.0  # POST p95 / 401 p95
TARGET_LATENCY_RATIO = 2.0  # submit-to-decision p95 / POST p95


def pending(ids: list[int]) -> int:
    from dispatch.models import Visit

    n = 0
    for i in range(0, len(ids), 5000):
        n += Visit.objects.filter(
            pk__in=ids[i : i + 5000], check_requested_at__isnull=False
        ).count()
    return n


def wait_decided(ids: list[int], *, timeout: float) -> tuple[float, int]:
    """Wait until every visit of ``ids`` has its decision; returns (time, visits still pending)."""
    deadline = time.monotonic() + timeout
    while True:
        left = pending(ids)
        if left == 0 or time.monotonic() > deadline:
            return time.perf_counter(), left
        time.sleep(0.05)


def decided_at(ids: list[int]) -> dict[int, float]:
    """Per visit: the time its first decision was recorded (the audit event, same transaction)."""
    from compliance.models import AuditEvent

    out: dict[int, float] = {}
    for i in range(0, len(ids), 5000):
        rows = (
            AuditEvent.objects.filter(
                event_type="decision_recorded",
                object_type="dispatch.Visit",
                object_id__in=[str(x) for x in ids[i : i + 5000]],
            )
            .order_by("pk")
            .values_list("object_id", "created_at")
        )
        for object_id, created in rows:
            out.setdefault(int(object_id), created.timestamp())
    return out


async def submit_many(base: str, ref: h.Reference, n: int, clients: int, seed: int) -> list:
    rng = random.Random(seed)
    vendors = sorted(ref.tokens)
    payloads = [(v, h.visit_payload(ref, rng, v)) for v in (rng.choice(vendors) for _ in range(n))]
    samples: list[h.Sample] = []
    queue: asyncio.Queue = asyncio.Queue()
    for p in payloads:
        queue.put_nowait(p)
    async with h.client_session(clients) as session:

        async def client() -> None:
            while not queue.empty():
                vendor, payload = queue.get_nowait()
                samples.append(
                    await h.request(
                        session,
                        "POST",
                        f"{base}/api/v1/visits/",
                        kind="create",
                        token=ref.tokens[vendor],
                        json_body=payload,
                    )
                )

        await asyncio.gather(*(client() for _ in range(clients)))
    return samples


async def submit_at_rate(
    base: str, ref: h.Reference, rate: float, seconds: float, seed: int, *, anonymous: bool = False
) -> list:
    """POSTs at a fixed rate (open loop); ``anonymous``: without a token (the 401 path)."""
    rng = random.Random(seed)
    vendors = sorted(ref.tokens)
    n = int(rate * seconds)
    async with h.client_session(200) as session:
        t0 = time.perf_counter()
        tasks = []
        for i in range(n):
            delay = t0 + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            vendor = rng.choice(vendors)
            tasks.append(
                asyncio.create_task(
                    h.request(
                        session,
                        "POST",
                        f"{base}/api/v1/visits/",
                        kind="floor" if anonymous else "create",
                        token=None if anonymous else ref.tokens[vendor],
                        json_body=h.visit_payload(ref, rng, vendor),
                    )
                )
            )
        return list(await asyncio.gather(*tasks))


def created_ids(samples: list[h.Sample]) -> list[int]:
    return [s.visit_id for s in samples if s.visit_id is not None]


def errors(samples: list[h.Sample]) -> int:
    return sum(1 for s in samples if s.status != 201)


def _profile_web(web: c.WebServer, name: str, seconds: int) -> profiling.Recording | None:
    pids = web.worker_pids()
    return profiling.Recording(pids[0], name, seconds=seconds).start() if pids else None


def _finish(profile: profiling.Recording | None) -> dict[str, Any] | None:
    return profile.finish(stop=True) if profile else None


def _ratio(value: float | None, floor: float | None) -> float | None:
    if value is None or not floor:
        return None
    return round(value / floor, 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=c.env_int("BENCH_E2E_VISITS", 1000))
    parser.add_argument(
        "--sustained", type=int, default=c.env_int("BENCH_E2E_SUSTAINED_VISITS", 300)
    )
    parser.add_argument("--noop", type=int, default=c.env_int("BENCH_NOOP_TASKS", 2000))
    parser.add_argument("--rate", type=float, default=c.env_float("BENCH_E2E_RATE", 50))
    parser.add_argument("--seconds", type=float, default=c.env_float("BENCH_E2E_SECONDS", 20))
    parser.add_argument(
        "--floor-seconds", type=float, default=c.env_float("BENCH_E2E_FLOOR_SECONDS", 5)
    )
    parser.add_argument(
        "--profile-seconds", type=float, default=c.env_float("BENCH_E2E_PROFILE_SECONDS", 6)
    )
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--tag", default="e2e", help="prefix of the profiles' names")
    parser.add_argument("--json", default=str(c.RESULTS / "e2e.json"))
    args = parser.parse_args(argv)

    c.django_setup()
    from django.conf import settings

    from compliance.tasks import noop

    r = c.redis_client()
    r.delete(c.QUEUE, "unacked", "unacked_index")
    worker = c.Worker(concurrency=2)
    web = c.WebServer()
    out: dict[str, Any] = {
        "web": {"workers": web.workers, "threads": web.threads},
        "database": {
            "port": settings.DATABASES["default"].get("PORT"),
            "pooler": getattr(settings, "DB_POOLER", "") or None,
            "conn_max_age": settings.DATABASES["default"].get("CONN_MAX_AGE"),
        },
    }
    try:
        worker.start()
        web.start()
        worker.wait_ready()
        web.wait_ready()
        base = web.base_url
        ref = h.load_reference()

        async def login() -> dict[int, str]:
            async with h.client_session(4) as session:
                return await h.fetch_tokens(session, base, sorted(ref.engineers))

        ref.tokens = asyncio.run(login())

        # Warm-up: every gunicorn thread and pool process has served and checked something.
        warm = asyncio.run(submit_at_rate(base, ref, 20, 3, seed=1))
        c.wait_until(lambda: pending(created_ids(warm)) == 0, timeout=60, what="warm-up")
        c.log(f"warm-up: {len(created_ids(warm))} visits decided")

        # 1. Floor: no-op tasks drained by the same pool.
        worker.cancel_consumer()
        for _ in range(args.noop):
            noop.delay()
        c.wait_until(lambda: c.queue_depth(r)[0] >= args.noop, timeout=60, what="noop queued")
        t0 = time.perf_counter()
        worker.add_consumer()
        t1 = c.wait_queue_empty(r, timeout=120)
        noop_rate = args.noop / (t1 - t0)
        c.log(f"floor: {args.noop} no-op tasks in {t1 - t0:.2f}s = {noop_rate:.0f}/s")

        # 2. Drain: visits filed through the API, drained by the pool.
        worker.cancel_consumer()
        t_sub = time.perf_counter()
        subs = asyncio.run(submit_many(base, ref, args.visits, args.clients, seed=2))
        sub_seconds = time.perf_counter() - t_sub
        ids = created_ids(subs)
        c.wait_until(lambda: c.queue_depth(r)[0] >= len(ids), timeout=60, what="visits queued")
        c.log(
            f"filed {len(ids)} visits through the API in {sub_seconds:.1f}s "
            f"({len(ids) / sub_seconds:.0f}/s, {errors(subs)} errors); draining"
        )
        pool_profile = profiling.Recording(worker.pool_pids()[0], f"{args.tag}-pool", seconds=60)
        t0 = time.perf_counter()
        worker.add_consumer()
        pool_profile.start()
        t1, left = wait_decided(ids, timeout=180)
        dps = (len(ids) - left) / (t1 - t0)
        c.log(f"drain: {len(ids)} decisions in {t1 - t0:.2f}s = {dps:.0f}/s")
        pool_summary = pool_profile.finish(stop=True)

        # 3. Sustained: filing and deciding at once on the same machine.
        t_first = time.time()
        subs3 = asyncio.run(submit_many(base, ref, args.sustained, args.clients, seed=3))
        ids3 = created_ids(subs3)
        wait_decided(ids3, timeout=120)
        done3 = decided_at(ids3)
        sustained = len(done3) / (max(done3.values()) - t_first) if done3 else 0.0
        c.log(f"sustained: {len(ids3)} filed and decided at {sustained:.0f}/s")

        # 4. The 401 path at the rate of step 5.
        floor4 = asyncio.run(
            submit_at_rate(base, ref, args.rate, args.floor_seconds, seed=5, anonymous=True)
        )
        unauth = c.summary_ms(s.seconds for s in floor4 if s.status == 401)
        unauth_errors = sum(1 for s in floor4 if s.status != 401)
        c.log(f"401 path at {args.rate:.0f}/s: {unauth} ({unauth_errors} other answers)")

        # 5. Latency at a fixed submission rate.
        subs4 = asyncio.run(submit_at_rate(base, ref, args.rate, args.seconds, seed=4))
        ids4 = created_ids(subs4)
        _, undecided = wait_decided(ids4, timeout=120)
        decided = decided_at(ids4)
        latencies = [
            decided[s.visit_id] - s.sent_at
            for s in subs4
            if s.visit_id is not None and s.visit_id in decided
        ]
        lat = c.summary_ms(latencies)
        post = c.summary_ms(s.seconds for s in subs4 if s.status == 201)
        c.log(f"latency at {args.rate:.0f}/s: {lat}; POST alone: {post}")

        # 6. Profiles (not measured: the sampler takes CPU of its own): a gunicorn worker and a
        # pool process while visits are filed at the same rate and decided.
        web_profile = _profile_web(web, f"{args.tag}-web", seconds=120)
        filing_pool = profiling.Recording(
            worker.pool_pids()[0], f"{args.tag}-filing-pool", seconds=120
        ).start()
        subs6 = asyncio.run(submit_at_rate(base, ref, args.rate, args.profile_seconds, seed=6))
        wait_decided(created_ids(subs6), timeout=120)
        filing_web_summary = _finish(web_profile)
        filing_pool_summary = filing_pool.finish(stop=True)

        sustained_share = sustained / noop_rate
        post_ratio = _ratio(post.get("p95_ms"), unauth.get("p95_ms"))
        latency_ratio = _ratio(lat.get("p95_ms"), post.get("p95_ms"))
        met = {
            "sustained_floor_share": sustained_share >= TARGET_SUSTAINED_FLOOR_SHARE,
            "post_ratio": post_ratio is not None and post_ratio <= TARGET_POST_RATIO,
            "latency_ratio": latency_ratio is not None
            and latency_ratio <= TARGET_LATENCY_RATIO
            and not undecided,
        }
        out.update(
            {
                "noop_tasks": args.noop,
                "noop_per_second": round(noop_rate, 1),
                "visits": len(ids),
                "submit_seconds": round(sub_seconds, 2),
                "submit_per_second": round(len(ids) / sub_seconds, 1),
                "submit_errors": errors(subs),
                "drain_seconds": round(t1 - t0, 2),
                "decisions_per_second": round(dps, 1),
                "floor_share": round(dps / noop_rate, 3),
                "sustained_visits": len(ids3),
                "sustained_per_second": round(sustained, 1),
                "sustained_floor_share": round(sustained_share, 3),
                "sustained_errors": errors(subs3),
                "unauthenticated": unauth,
                "unauthenticated_other_answers": unauth_errors,
                "latency_rate_per_second": args.rate,
                "latency_seconds": args.seconds,
                "latency_visits": len(ids4),
                "latency_errors": errors(subs4),
                "latency_undecided": undecided,
                "drain_undecided": left,
                "latency": lat,
                "post_response": post,
                "post_ratio": post_ratio,
                "latency_ratio": latency_ratio,
                "profile": pool_summary,
                "profiles": {
                    "drain_pool": pool_summary,
                    "filing_web": filing_web_summary,
                    "filing_pool": filing_pool_summary,
                },
                "target_sustained_floor_share": TARGET_SUSTAINED_FLOOR_SHARE,
                "target_post_ratio": TARGET_POST_RATIO,
                "target_latency_ratio": TARGET_LATENCY_RATIO,
                "met": met,
                "meets_targets": all(met.values()),
            }
        )
    finally:
        web.stop()
        worker.stop()
        r.delete(c.QUEUE, "unacked", "unacked_index")
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    import json

    path.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
