"""Health for a load balancer (``/healthz``: is this web process able to serve?) and for operators
(``/healthz/system``, staff only: are workers and beat alive, how deep is the queue, how old is the
oldest unanswered check?)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import redis
from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from config.celery_app import app
from dispatch.models import OPEN_STATUSES, Visit

BEAT_HEARTBEAT_KEY = "dispatch:beat:heartbeat"


def _database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
        return True, "ok"
    except Exception as exc:
        return False, f"{type(exc).__name__}: {exc}"


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    ok, detail = _database_ok()
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "database": detail}, status=200 if ok else 503
    )


def system_status() -> dict[str, Any]:
    """Workers, beat, queue depth and the oldest unanswered check (used by the page and the admin)."""
    db_ok, db_detail = _database_ok()
    status: dict[str, Any] = {
        "database": db_detail,
        "mode": "celery" if settings.REDIS_URL else "embedded",
    }
    if db_ok:
        oldest = (
            Visit.objects.filter(check_requested_at__isnull=False, status__in=OPEN_STATUSES)
            .order_by("check_requested_at")
            .values_list("check_requested_at", flat=True)
            .first()
        )
        status["unanswered_checks"] = Visit.objects.filter(
            check_requested_at__isnull=False, status__in=OPEN_STATUSES
        ).count()
        status["oldest_unanswered_check_seconds"] = (
            int((timezone.now() - oldest).total_seconds()) if oldest else 0
        )
        # Per list source: fresh, stale, missing or off (a stale or missing source holds every
        # visit it binds, so it is reported here rather than failing the health check).
        from compliance.checks.lists import list_freshness

        status["lists"] = list_freshness()
        status["lists_ok"] = all(s["state"] in ("fresh", "off") for s in status["lists"])
    if not settings.REDIS_URL:
        status.update({"workers": "in-process", "beat": "not used", "queue_depth": 0, "ok": db_ok})
        return status
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
        )
        status["queue_depth"] = client.llen("compliance")
        beat = client.get(BEAT_HEARTBEAT_KEY)
        beat_age = timezone.now().timestamp() - float(beat) if beat else None
        status["beat_last_seen_seconds"] = int(beat_age) if beat_age is not None else None
        status["beat"] = "alive" if beat_age is not None and beat_age < 180 else "not seen"
    except Exception as exc:
        status.update(
            {"queue_depth": None, "beat": f"unknown ({type(exc).__name__})", "broker": str(exc)}
        )
    try:
        replies = app.control.ping(timeout=1.0) or []
        status["workers"] = sorted(name for reply in replies for name in reply)
    except Exception as exc:
        status["workers"] = []
        status["broker"] = f"{type(exc).__name__}: {exc}"
    status["ok"] = bool(db_ok and status.get("workers") and status.get("beat") == "alive")
    return status


@never_cache
@staff_member_required
def system_health(request: HttpRequest) -> JsonResponse:
    status = system_status()
    return JsonResponse(
        status, status=200 if status.get("ok") else 503, json_dumps_params={"default": str}
    )


def beat_heartbeat() -> None:
    """Called by the sweeper that beat schedules every minute."""
    if not settings.REDIS_URL:
        return
    redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).set(
        BEAT_HEARTBEAT_KEY,
        timezone.now().timestamp(),
        ex=int(dt.timedelta(hours=1).total_seconds()),
    )
