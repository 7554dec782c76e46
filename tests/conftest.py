"""Suite-wide fixtures.

PostgreSQL and Redis: when DATABASE_URL / REDIS_URL are set, tests marked ``needs_postgres`` /
``needs_redis`` run against them and FAIL if they are unreachable. When unset (the embedded
default), those tests are deselected, never skipped.
"""

from __future__ import annotations

import os

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    deselected = []
    kept = []
    for item in items:
        if (item.get_closest_marker("needs_redis") and not os.environ.get("REDIS_URL")) or (
            item.get_closest_marker("needs_postgres")
            and not os.environ.get("DATABASE_URL", "").startswith("postgres")
        ):
            deselected.append(item)
        else:
            kept.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
        print(
            f"\n{len(deselected)} tests need PostgreSQL/Redis (set DATABASE_URL and REDIS_URL); deselected on the embedded default."
        )


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Throttle counters live in the cache: every test starts with none."""
    from django.core.cache import cache

    cache.clear()
