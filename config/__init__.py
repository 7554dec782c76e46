"""The project package: settings, URLs, the Celery app and the shared kernel (errors, text, API
base).

The Celery app (``config.celery_app``) is loaded when Django starts, by ``ComplianceConfig.ready``,
so every task sent goes through it. It is not imported here: the pure modules of this package
(``config.text``) are read by the engine, which must import without Django or Celery.
"""
