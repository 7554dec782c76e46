"""Batching of single-visit checks through a Redis list.

Each filed or edited visit gets its own ``check_visit`` message (durable: acknowledged late and
delivered again when a worker dies) and its id is also pushed onto a Redis list. The task that
takes a message checks its own visit plus up to ``CHECK_BATCH_SIZE - 1`` ids popped from the list,
in one ``visits_check`` call: under load one task decides many visits in a fixed number of
queries, and the messages of visits already decided find nothing left to do. The list is only an
accelerator: a lost list (Redis restarted) or a popped id whose task died still has its own
message, and the sweeper re-enqueues any visit whose check request is still open.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

KEY = "compliance:check-batch"
# Ids left behind (their visit decided by their own message) are popped and skipped by later
# batches; with no traffic at all the list expires.
TTL_SECONDS = 3600
_client: Any = None


def enabled() -> bool:
    return bool(settings.REDIS_URL) and not settings.CELERY_TASK_ALWAYS_EAGER


def _redis() -> Any:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2
        )
    return _client


def push(visit_ids: list[int]) -> None:
    """Offer visits to the next batches (best effort: each visit also has its own message)."""
    if not visit_ids or not enabled():
        return
    try:
        pipe = _redis().pipeline(transaction=False)
        pipe.rpush(KEY, *visit_ids)
        pipe.expire(KEY, TTL_SECONDS)
        pipe.execute()
    except Exception:
        logger.warning("Could not offer visits %s for batching", visit_ids[:10], exc_info=True)


def take(count: int) -> list[int]:
    """Up to ``count`` visit ids offered by other requests (empty when batching is off)."""
    if count <= 0 or not enabled():
        return []
    try:
        return [int(i) for i in _redis().lpop(KEY, count) or []]
    except Exception:  # Redis down or older than 6.2 (LPOP with a count), or a stray entry
        logger.warning("Could not take visits for batching", exc_info=True)
        return []


def batch_for(visit_id: int) -> list[int]:
    """The visit of a message and the visits offered meanwhile, without duplicates."""
    size = settings.COMPLIANCE["CHECK_BATCH_SIZE"]
    offered = take(size - 1)
    if visit_id in offered:  # its own offer was taken: one more slot for another visit
        offered += take(1)
    return list(dict.fromkeys([visit_id, *offered]))
