"""Changes of who may file, approve or audit are audited: roles, vendor, superuser/active status."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from compliance.models import AuditEvent
from dispatch.models import UserProfile
from tests.factories import VendorFactory, make_user

pytestmark = pytest.mark.django_db


def _events():
    return list(AuditEvent.objects.filter(event_type="access_changed").order_by("pk"))


def _user_form(user, **overrides):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on" if user.is_active else "",
        "is_staff": "on" if user.is_staff else "",
        "is_superuser": "on" if user.is_superuser else "",
        "groups": [str(g.pk) for g in user.groups.all()],
        "user_permissions": [],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v != ""}


@pytest.fixture
def root(client, rules):
    user = make_user("root", superuser=True)
    client.force_login(user)
    return user


def test_granting_a_role_in_the_user_admin_is_audited_with_the_actor(client, root):
    target = make_user("someone", role="service_manager", vendor=VendorFactory())
    approver = Group.objects.get(name="approver")
    groups = [str(g.pk) for g in target.groups.all()] + [str(approver.pk)]
    url = reverse("admin:auth_user_change", args=[target.pk])
    response = client.post(url, _user_form(target, groups=groups))
    assert response.status_code == 302, response.content[:500]
    (event,) = _events()
    assert event.actor_name == "root" and event.object_id == str(target.pk)
    assert event.old == {"roles": ["service_manager"]}
    assert event.new == {"roles": ["approver", "service_manager"]}


def test_saving_a_user_unchanged_records_nothing(client, root):
    target = make_user("someone", role="auditor")
    url = reverse("admin:auth_user_change", args=[target.pk])
    assert client.post(url, _user_form(target)).status_code == 302
    assert _events() == []


def test_making_a_user_superuser_or_inactive_is_audited(client, root):
    target = make_user("someone", role="auditor")
    url = reverse("admin:auth_user_change", args=[target.pk])
    client.post(url, _user_form(target, is_superuser="on", is_active=""))
    (event,) = _events()
    assert event.old == {"is_superuser": False, "is_active": True}
    assert event.new == {"is_superuser": True, "is_active": False}


def test_moving_a_manager_to_another_vendor_is_audited(client, root):
    first, second = VendorFactory(), VendorFactory()
    target = make_user("someone", role="service_manager", vendor=first)
    profile = UserProfile.objects.get(user=target)
    url = reverse("admin:dispatch_userprofile_change", args=[profile.pk])
    response = client.post(url, {"user": target.pk, "vendor": second.pk})
    assert response.status_code == 302, response.content[:500]
    (event,) = _events()
    assert (event.old, event.new) == ({"vendor": first.pk}, {"vendor": second.pk})
    assert event.actor_name == "root"


def test_create_role_user_records_the_new_users_access(rules):
    vendor = VendorFactory()
    call_command(
        "create_role_user",
        "newmanager",
        "--role",
        "service_manager",
        "--vendor",
        str(vendor.pk),
        "--password",
        "a-long-password-1",
        stdout=io.StringIO(),
    )
    (event,) = _events()
    user = get_user_model().objects.get(username="newmanager")
    assert event.object_id == str(user.pk) and event.old is None
    assert event.new["roles"] == ["service_manager"] and event.new["vendor"] == vendor.pk
    assert event.actor_name == "system"
