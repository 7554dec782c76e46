from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "compliance"
    verbose_name = "Compliance"

    def ready(self) -> None:
        # The Celery app reads Django's settings, so it is loaded once they are, before any task
        # is sent (a task sent through Celery's default app would go to no broker at all).
        import config.celery_app  # noqa: F401
