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

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

KEY = "compliance:check-batch"
# Ids left behind (their visit decided by their own message) are popped and skipped by later
# batches; with no traffic at all the list expires.
TTL_SECONDS = 3600


class CheckBatches:
    """The Redis list of visits offered for batching, behind one typed client.

    The client connects on first use to ``settings.REDIS_URL`` and is kept for the process;
    ``reset()`` drops it (a changed URL, a test). Every operation is best effort: an unreachable
    Redis turns batching off, never a check."""

    def __init__(self, key: str = KEY, ttl_seconds: int = TTL_SECONDS) -> None:
        self.key = key
        self.ttl_seconds = ttl_seconds
        self._client: redis.Redis | None = None

    @staticmethod
    def enabled() -> bool:
        return bool(settings.REDIS_URL) and not settings.CELERY_TASK_ALWAYS_EAGER

    def reset(self) -> None:
        self._client = None

    def client(self) -> redis.Redis:
        if self._client is None:
            self._client = redis.Redis.from_url(
                settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2
            )
        return self._client

    def push(self, visit_ids: list[int]) -> None:
        """Offer visits to the next batches (best effort: each visit also has its own message)."""
        if not visit_ids or not self.enabled():
            return
        try:
            pipe = self.client().pipeline(transaction=False)
            pipe.rpush(self.key, *visit_ids)
            pipe.expire(self.key, self.ttl_seconds)
            pipe.execute()
        except Exception:
            logger.warning("Could not offer visits %s for batching", visit_ids[:10], exc_info=True)

    def take(self, count: int) -> list[int]:
        """Up to ``count`` visit ids offered by other requests (empty when batching is off)."""
        if count <= 0 or not self.enabled():
            return []
        try:
            popped = self.client().lpop(self.key, count)
            return [int(i) for i in popped or []]
        except Exception:  # Redis down or older than 6.2 (LPOP with a count), or a stray entry
            logger.warning("Could not take visits for batching", exc_info=True)
            return []

    def batch_for(self, visit_id: int) -> list[int]:
        """The visit of a message and the visits offered meanwhile, without duplicates."""
        size = settings.COMPLIANCE["CHECK_BATCH_SIZE"]
        offered = self.take(size - 1)
        if visit_id in offered:  # its own offer was taken: one more slot for another visit
            offered += self.take(1)
        return list(dict.fromkeys([visit_id, *offered]))


# The process's batches; the functions below are the interface the pipeline and tasks use.
batches = CheckBatches()


def enabled() -> bool:
    return batches.enabled()


def push(visit_ids: list[int]) -> None:
    batches.push(visit_ids)


def take(count: int) -> list[int]:
    return batches.take(count)


def batch_for(visit_id: int) -> list[int]:
    return batches.batch_for(visit_id)
