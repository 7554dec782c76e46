"""Celery application: one ``compliance`` queue, JSON only, late acks, prefetch 1.

Settings live in ``config.settings`` under the ``CELERY_`` prefix.
"""

import gc
import logging
import os

from celery import Celery, signals
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("dispatch_compliance")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
@signals.task_postrun.connect
def _close_old_connections(task: object = None, **kwargs: object) -> None:
    """Drop a connection that is too old or broken (e.g. after a PostgreSQL restart) between tasks;
    healthy ones are reused (CELERY_DB_REUSE_MAX). Not for tasks run in-process (embedded mode):
    they share the caller's connection and may run inside its transaction."""
    request = getattr(task, "request", None)
    if request is not None and getattr(request, "is_eager", False):
        return
    close_old_connections()


@signals.worker_process_init.connect
def _warm_up(**kwargs: object) -> None:
    """Build the rules and the screening index in force before the first task, then move the
    pool process's long-lived heap (Django, the rules, the index: millions of objects) out of
    the garbage collector's sight, so that full collections stop walking it on every chunk.
    Frozen objects are still freed by reference counting; a failure here only costs the
    first task the build."""
    try:
        # a worker (celery -A config.celery_app) loads this module before Django is set up
        from compliance.checks.inputs import check_context

        check_context()
    except Exception:
        logging.getLogger(__name__).warning("Warm-up of the check context failed", exc_info=True)
    finally:
        close_old_connections()
    gc.collect()
    gc.freeze()
