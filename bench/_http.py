"""A small asyncio HTTP client (aiohttp) for the API benchmarks, and realistic visit payloads.

Loopback only: every URL is checked to point at 127.0.0.1 before a request is made.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass, field
from typing import Any

import _common as c
from datagen import ACTIVITIES, ENGINEER_COUNTS, TOOL_COUNTS

TIMEOUT_S = 15.0


@dataclass
class Sample:
    kind: str
    sent_at: float  # wall clock (time.time()) when the request was sent
    seconds: float  # response time
    status: int  # HTTP status, 0 on a client-side error (timeout, connection)
    visit_id: int | None = None
    error: str = ""


@dataclass
class Reference:
    """Per vendor: its service manager's token, active engineers, and its tools per building."""

    tokens: dict[int, str] = field(default_factory=dict)
    engineers: dict[int, list[int]] = field(default_factory=dict)
    tools: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    facilities: list[int] = field(default_factory=list)
    visits: dict[int, list[int]] = field(default_factory=dict)


def load_reference(*, visits_per_vendor: int = 0) -> Reference:
    """Reference data from the benchmark database (Django must be set up)."""
    from dispatch.models import Engineer, Facility, Tool, Vendor, Visit

    ref = Reference()
    for vendor_id in Vendor.objects.values_list("pk", flat=True):
        ref.engineers[vendor_id] = list(
            Engineer.objects.filter(vendor_id=vendor_id, is_active=True).values_list(
                "pk", flat=True
            )
        )
        if visits_per_vendor:
            ref.visits[vendor_id] = list(
                Visit.objects.filter(vendor_id=vendor_id)
                .order_by("?")
                .values_list("pk", flat=True)[:visits_per_vendor]
            )
    for facility_id, oem_id, pk in Tool.objects.values_list("facility_id", "oem_id", "pk"):
        ref.tools.setdefault((facility_id, oem_id), []).append(pk)
    ref.facilities = list(Facility.objects.values_list("pk", flat=True))
    return ref


async def fetch_tokens(session: Any, base_url: str, vendor_ids: list[int]) -> dict[int, str]:
    """Each vendor's service manager logs in through POST /api/v1/auth/token/."""
    c.require_loopback(base_url)
    tokens = {}
    for vendor_id in vendor_ids:
        async with session.post(
            f"{base_url}/api/v1/auth/token/",
            json={"username": f"bench.{vendor_id}", "password": f"bench-pass-{vendor_id}"},
        ) as resp:
            if resp.status != 200:
                raise RuntimeError(f"login of bench.{vendor_id}: HTTP {resp.status}")
            tokens[vendor_id] = (await resp.json())["token"]
    return tokens


def visit_payload(ref: Reference, rng: random.Random, vendor_id: int) -> dict[str, Any]:
    """A visit as a service manager would file it: same shapes as datagen.py."""
    facilities = [f for f in ref.facilities if ref.tools.get((f, vendor_id))]
    facility = rng.choice(facilities)
    tools = ref.tools[(facility, vendor_id)]
    n_tools = min(len(tools), rng.choices(*TOOL_COUNTS)[0])
    activities, weights = zip(*ACTIVITIES, strict=True)
    activity = rng.choices(activities, weights)[0]
    start = dt.date.today() + dt.timedelta(days=rng.randint(1, 180))
    return {
        "vendor": vendor_id,
        "facility": facility,
        "engineers": rng.sample(ref.engineers[vendor_id], rng.choices(*ENGINEER_COUNTS)[0]),
        "tools": rng.sample(tools, n_tools),
        "activity": activity,
        "mode": "remote" if activity == "remote_support" else "on_site",
        "start_date": start.isoformat(),
        "end_date": (start + dt.timedelta(days=rng.randint(0, 9))).isoformat(),
        "purpose": f"{activity.replace('_', ' ').capitalize()} (bench, API)",
    }


async def request(
    session: Any,
    method: str,
    url: str,
    *,
    kind: str,
    token: str | None = None,
    json_body: Any = None,
) -> Sample:
    headers = {"Authorization": f"Token {token}"} if token else {}
    sent_at = time.time()
    t0 = time.perf_counter()
    try:
        async with session.request(method, url, json=json_body, headers=headers) as resp:
            body = await resp.read()
            seconds = time.perf_counter() - t0
            visit_id = None
            if kind == "create" and resp.status == 201:
                import json

                visit_id = json.loads(body)["id"]
            return Sample(kind, sent_at, seconds, resp.status, visit_id)
    except (TimeoutError, OSError, Exception) as exc:
        return Sample(kind, sent_at, time.perf_counter() - t0, 0, error=type(exc).__name__)


def client_session(limit: int) -> Any:
    import aiohttp

    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=limit, force_close=False),
        timeout=aiohttp.ClientTimeout(total=TIMEOUT_S),
    )
