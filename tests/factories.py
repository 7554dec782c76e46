"""factory_boy factories for the dispatch domain (they write through the ORM directly: tests of
the services call the services themselves)."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from dispatch.models import (
    Citizenship,
    Customer,
    Engineer,
    Facility,
    Residency,
    Tool,
    UserProfile,
    Vendor,
)


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor

    name = factory.Sequence(lambda n: f"Vendor {n} B.V.")
    country = "NL"


class EngineerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Engineer
        skip_postgeneration_save = True

    vendor = factory.SubFactory(VendorFactory)
    name = factory.Sequence(lambda n: f"Engineer {n}")
    employee_id = factory.Sequence(lambda n: f"E-{n:05d}")
    home_country = "NL"

    @factory.post_generation
    def citizenships(self, create, extracted, **kwargs):
        for item in extracted if extracted is not None else ["NL"]:
            country, since = (item, None) if isinstance(item, str) else item
            Citizenship.objects.create(engineer=self, country=country, since=since)

    @factory.post_generation
    def residencies(self, create, extracted, **kwargs):
        for country, since, until in extracted or []:
            Residency.objects.create(engineer=self, country=country, since=since, until=until)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Example Semiconductor {n} Co., Ltd.")
    country = "CN"


class FacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Facility

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"Fab {n} building A")
    city = "Shanghai"
    country = "CN"
    products = ["logic"]
    logic_node_nm = 28
    non_planar = False


class ToolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tool

    facility = factory.SubFactory(FacilityFactory)
    oem = factory.SubFactory(VendorFactory)
    model = "TWINSCAN NXT:1980i"
    serial_number = factory.Sequence(lambda n: f"SN-{n:06d}")
    classifications = {"US": ["3B001.f"], "NL": ["3B001.f.4"]}
    # A recorded determination, as the tests of the person and item rules assume; the tests of
    # the derivation pass subject_to_ear=None and the inputs.
    subject_to_ear = False
    ear_justification = "Determination on file (test data)."


def make_user(
    username: str, *, role: str | None = None, vendor: Vendor | None = None, superuser: bool = False
):
    user = get_user_model().objects.create_user(
        username=username,
        password="pw-" + username,
        email=f"{username}@example.com",
        is_staff=True,
        is_superuser=superuser,
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    UserProfile.objects.create(user=user, vendor=vendor)
    return user


def window(start: str | None = None, days: int = 3) -> tuple[dt.date, dt.date]:
    """A visit's first and last day: from ``start``, or by default a week from today (a visit is
    filed before it starts, so a fixed date in a test would expire)."""
    s = dt.date.fromisoformat(start) if start else upcoming(7)
    return s, s + dt.timedelta(days=days - 1)


def upcoming(days: int) -> dt.date:
    """The date ``days`` from today in the site's zone (the day filing compares a start with)."""
    from dispatch.services.visits import site_today

    return site_today() + dt.timedelta(days=days)
