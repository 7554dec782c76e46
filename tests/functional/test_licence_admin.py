"""A revoked licence is final in the admin too: nothing on it can be edited, so nothing un-revokes it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from compliance import services
from compliance.models import AuditEvent, Licence
from tests.factories import FacilityFactory, VendorFactory, make_user

pytestmark = pytest.mark.django_db


def test_clearing_the_revocation_in_the_admin_changes_nothing(rules):
    approver = make_user("approver", role="approver")
    licence = services.licence_create(
        user=approver,
        authority="BIS",
        number="D777",
        holder=VendorFactory().pk,
        valid_from=dt.date.today(),
        valid_until=dt.date.today() + dt.timedelta(days=90),
        facilities=[FacilityFactory().pk],
    )
    services.licence_revoke(licence=licence, user=approver, reason="Superseded.")
    events = AuditEvent.objects.count()
    client = Client()
    client.force_login(make_user("boss", superuser=True))
    page = client.get(f"/admin/compliance/licence/{licence.pk}/change/")
    assert page.status_code == 200
    assert b'name="revoked_at' not in page.content and b'name="number"' not in page.content
    response = client.post(
        f"/admin/compliance/licence/{licence.pk}/change/",
        {"number": "D777", "authority": "BIS", "revoked_at_0": "", "revoked_at_1": ""},
    )
    assert response.status_code in (200, 302)
    stored = Licence.objects.get(pk=licence.pk)
    assert stored.revoked_at is not None and stored.revocation_reason == "Superseded."
    assert AuditEvent.objects.filter(event_type="licence_changed").count() == 2
    assert AuditEvent.objects.count() >= events


def test_who_recorded_a_licence_cannot_be_typed_in_the_admin(rules):
    client = Client()
    client.force_login(make_user("boss", superuser=True))
    page = client.get("/admin/compliance/licence/add/")
    assert page.status_code == 200
    assert b'name="recorded_by"' not in page.content
