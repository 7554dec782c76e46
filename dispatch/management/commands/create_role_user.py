from __future__ import annotations

import getpass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from dispatch.models import UserProfile, Vendor
from dispatch.roles import Role
from dispatch.services import user_access_record


class Command(BaseCommand):
    help = "Create a user in one role (service_manager needs --vendor)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument(
            "--vendor", type=int, help="Vendor id (service managers belong to one vendor)."
        )
        parser.add_argument("--password", help="Password (asked for when omitted).")
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **o: Any) -> None:
        user_model = get_user_model()
        if user_model.objects.filter(username=o["username"]).exists():
            raise CommandError(f"A user named {o['username']!r} already exists.")
        vendor = None
        if o["role"] == Role.SERVICE_MANAGER:
            if o["vendor"] is None:
                raise CommandError("--vendor is required for a service manager.")
            vendor = Vendor.objects.filter(pk=o["vendor"]).first()
            if vendor is None:
                raise CommandError(f"No vendor with id {o['vendor']}.")
        password = o["password"] or getpass.getpass("Password: ")
        if not password:
            raise CommandError("A password is required.")
        try:
            # The unsaved user lets the validators compare the password with the name and email.
            validate_password(password, user_model(username=o["username"], email=o["email"]))
        except ValidationError as exc:
            raise CommandError(
                "--password is not accepted: " + " ".join(exc.messages) + " No user was created."
            ) from exc
        with transaction.atomic():
            user = user_model.objects.create_user(
                username=o["username"], password=password, email=o["email"], is_staff=True
            )
            user.groups.add(Group.objects.get(name=o["role"]))
            UserProfile.objects.create(user=user, vendor=vendor)
            user_access_record(user=user, actor=None, old=None)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {user.username} ({o['role']}{', ' + vendor.name if vendor else ''})."
            )
        )
