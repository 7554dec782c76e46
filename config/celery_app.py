"""Celery application: one ``compliance`` queue, JSON only, late acks, prefetch 1.

Settings live in ``config.settings`` under the ``CELERY_`` prefix.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("dispatch_compliance")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
