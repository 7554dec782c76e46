from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_roles(sender, **kwargs):  # type: ignore[no-untyped-def]
    # cycle: apps.py loads before the app registry; roles needs the auth models
    from dispatch.roles import roles_ensure

    roles_ensure()


class DispatchConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dispatch"
    verbose_name = "Dispatch"

    def ready(self) -> None:
        # cycle: apps.py loads before the app registry; accounts needs the auth and token models
        from dispatch.accounts import connect_token_revocation

        # The role groups exist on every database after migrate, not only where demo data is loaded.
        post_migrate.connect(_ensure_roles, dispatch_uid="dispatch.ensure_roles")
        # API tokens end with the password, the active flag and the last role they were issued for.
        connect_token_revocation()
