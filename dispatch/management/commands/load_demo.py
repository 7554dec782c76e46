"""Load realistic demo data (idempotent): vendors, engineers, customers, fab buildings, tools, users,
licences and visits. Facility capabilities are illustrative, not assessments of real companies."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from compliance.models import Licence
from compliance.services import licence_changed
from dispatch import services
from dispatch.demo.data import (
    CUSTOMERS,
    DEMO_USERS,
    ENGINEERS,
    FACILITIES,
    LICENCES,
    TOOLS,
    VENDORS,
    VISITS,
)
from dispatch.models import Customer, Engineer, Facility, Tool, UserProfile, Vendor, Visit


class Command(BaseCommand):
    help = "Load demo data (idempotent) and print the demo logins."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--print-users", action="store_true", help="Only print the demo logins."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["print_users"]:
            self._print_users()
            return
        with transaction.atomic():
            created = self._load()
        self.stdout.write(
            self.style.SUCCESS(
                "Demo data loaded: " + ", ".join(f"{v} {k}" for k, v in created.items()) + "."
            )
        )
        self._print_users()

    def _print_users(self) -> None:
        self.stdout.write("  Demo logins (username / password — role):")
        for u in DEMO_USERS:
            vendor = f", {u['vendor']}" if u.get("vendor") else ""
            self.stdout.write(
                f"    {u['username']:<16} / {u['password']:<20} — {u['role']}{vendor}"
            )

    def _load(self) -> dict[str, int]:
        created = {
            "vendors": 0,
            "engineers": 0,
            "customers": 0,
            "facilities": 0,
            "tools": 0,
            "users": 0,
            "licences": 0,
            "visits": 0,
        }
        vendors: dict[str, Vendor] = {}
        for v in VENDORS:
            obj = Vendor.objects.filter(name=v["name"]).first()
            if obj is None:
                obj = services.vendor_create(**v)
                created["vendors"] += 1
            vendors[v["key"] if "key" in v else v["name"]] = obj
        vendors = {v.name: v for v in Vendor.objects.all()}
        for e in ENGINEERS:
            vendor = vendors[e["vendor"]]
            if not Engineer.objects.filter(vendor=vendor, employee_id=e["employee_id"]).exists():
                services.engineer_create(**{**e, "vendor": vendor.pk})
                created["engineers"] += 1
        for c in CUSTOMERS:
            if not Customer.objects.filter(name=c["name"]).exists():
                services.customer_create(**c)
                created["customers"] += 1
        customers = {c.name: c for c in Customer.objects.all()}
        for f in FACILITIES:
            customer = customers[f["customer"]]
            if not Facility.objects.filter(customer=customer, name=f["name"]).exists():
                services.facility_create(**{**f, "customer": customer.pk})
                created["facilities"] += 1
        facilities = {f.name: f for f in Facility.objects.all()}
        for t in TOOLS:
            oem = vendors[t["oem"]]
            if not Tool.objects.filter(oem=oem, serial_number=t["serial_number"]).exists():
                services.tool_create(
                    **{**t, "oem": oem.pk, "facility": facilities[t["facility"]].pk}
                )
                created["tools"] += 1
        created["users"] = self._users(vendors)
        created["licences"] = self._licences(vendors, facilities, customers)
        created["visits"] = self._visits(vendors, facilities)
        return created

    def _users(self, vendors: dict[str, Vendor]) -> int:
        user_model = get_user_model()
        n = 0
        for u in DEMO_USERS:
            user = user_model.objects.filter(username=u["username"]).first()
            if user is None:
                user = user_model.objects.create_user(
                    username=u["username"],
                    password=u["password"],
                    email=u["email"],
                    first_name=u.get("first_name", ""),
                )
                n += 1
            user.is_staff = True
            user.is_superuser = u["role"] == "superuser"
            user.save()
            if u["role"] != "superuser":
                user.groups.add(Group.objects.get(name=u["role"]))
            UserProfile.objects.update_or_create(
                user=user, defaults={"vendor": vendors[u["vendor"]] if u.get("vendor") else None}
            )
        return n

    def _licences(
        self,
        vendors: dict[str, Vendor],
        facilities: dict[str, Facility],
        customers: dict[str, Customer],
    ) -> int:
        n = 0
        for lic in LICENCES:
            if Licence.objects.filter(authority=lic["authority"], number=lic["number"]).exists():
                continue
            obj = Licence.objects.create(
                authority=lic["authority"],
                kind=lic.get("kind", "licence"),
                number=lic["number"],
                holder=vendors[lic["holder"]] if lic.get("holder") else None,
                valid_from=dt.date.fromisoformat(lic["valid_from"]),
                valid_until=dt.date.fromisoformat(lic["valid_until"]),
                activities=lic.get("activities", []),
                classifications=lic.get("classifications", []),
                conditions=lic.get("conditions", ""),
            )
            obj.facilities.set([facilities[f] for f in lic.get("facilities", [])])
            obj.owners.set([customers[c] for c in lic.get("owners", [])])
            licence_changed(licence=obj, created=True)
            n += 1
        return n

    def _visits(self, vendors: dict[str, Vendor], facilities: dict[str, Facility]) -> int:
        user_model = get_user_model()
        today = timezone.localdate()
        n = 0
        for v in VISITS:
            purpose = v["purpose"]
            if Visit.objects.filter(purpose=purpose).exists():
                continue
            vendor = vendors[v["vendor"]]
            facility = facilities[v["facility"]]
            engineers = list(
                Engineer.objects.filter(vendor=vendor, employee_id__in=v["engineers"]).values_list(
                    "pk", flat=True
                )
            )
            tools = list(
                Tool.objects.filter(facility=facility, serial_number__in=v["tools"]).values_list(
                    "pk", flat=True
                )
            )
            start = today + dt.timedelta(days=v["starts_in_days"])
            services.visit_create(
                requested_by=user_model.objects.get(username=v["requested_by"]),
                vendor=vendor.pk,
                facility=facility.pk,
                engineers=engineers,
                tools=tools,
                activity=v["activity"],
                mode=v.get("mode", "on_site"),
                start_date=start,
                end_date=start + dt.timedelta(days=v.get("days", 3) - 1),
                purpose=purpose,
                parties=v.get("parties", []),
                items=v.get("items"),
            )
            n += 1
        return n
