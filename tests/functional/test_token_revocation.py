"""API tokens end with the password, the active flag and the last role they were issued for."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from compliance.models import AuditEvent
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _token(user) -> str:
    return Token.objects.create(user=user).key


def _status(key: str) -> int:
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return c.get("/api/v1/visits/").status_code


def _working_token(user) -> str:
    key = _token(user)
    assert _status(key) == 200
    return key


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
def root(client):
    user = make_user("root", superuser=True)
    client.force_login(user)
    return user


@pytest.fixture
def alice():
    return make_user("alice", role="approver")


# --- Password ---------------------------------------------------------------------------------


def test_setting_a_new_password_on_the_model_revokes_the_token(alice):
    key = _working_token(alice)
    alice.set_password("a-new-long-passphrase")
    alice.save()
    assert _status(key) == 401
    assert not Token.objects.filter(user=alice).exists()


def test_changing_the_password_in_the_admin_form_revokes_the_token(client, root, alice):
    key = _working_token(alice)
    url = reverse("admin:auth_user_password_change", args=[alice.pk])
    response = client.post(
        url,
        {
            "usable_password": "true",
            "password1": "a-new-long-passphrase",
            "password2": "a-new-long-passphrase",
        },
    )
    assert response.status_code == 302, response.content[:500]
    alice.refresh_from_db()
    assert alice.check_password("a-new-long-passphrase")
    assert _status(key) == 401


def test_the_changepassword_command_revokes_the_token(alice, monkeypatch):
    key = _working_token(alice)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "a-new-long-passphrase")
    call_command("changepassword", "alice", stdout=io.StringIO())
    assert _status(key) == 401


def test_making_the_password_unusable_revokes_the_token(alice):
    key = _working_token(alice)
    alice.set_unusable_password()
    alice.save()
    assert _status(key) == 401


def test_a_new_token_after_the_password_change_works(alice):
    alice.set_password("a-new-long-passphrase")
    alice.save()
    c = APIClient()
    r = c.post(
        "/api/v1/auth/token/",
        {"username": "alice", "password": "a-new-long-passphrase"},
        format="json",
    )
    assert r.status_code == 200
    assert _status(r.json()["token"]) == 200


def test_rehashing_the_same_password_with_a_newer_hasher_keeps_the_token(alice, settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    ]
    get_user_model().objects.filter(pk=alice.pk).update(
        password=make_password("pw-alice", hasher="pbkdf2_sha1")
    )
    alice.refresh_from_db()
    key = _working_token(alice)
    assert alice.check_password("pw-alice")  # upgrades the stored hash to MD5
    alice.refresh_from_db()
    assert alice.password.startswith("md5$")
    assert _status(key) == 200


def test_saving_a_user_without_changing_password_or_status_keeps_the_token(alice):
    key = _working_token(alice)
    alice.first_name = "Alice"
    alice.save()
    alice.save(update_fields=["last_login"])
    assert _status(key) == 200


def test_a_password_change_that_is_rolled_back_keeps_the_token(alice):
    key = _working_token(alice)
    with pytest.raises(RuntimeError), transaction.atomic():
        alice.set_password("a-new-long-passphrase")
        alice.save()
        raise RuntimeError("refused")
    assert _status(key) == 200


def test_a_revocation_is_audited_with_its_reason(alice):
    _working_token(alice)
    alice.set_password("a-new-long-passphrase")
    alice.save()
    (event,) = AuditEvent.objects.filter(event_type="access_changed", object_id=str(alice.pk))
    assert event.old == {"api_tokens": 1}
    assert event.new == {"api_tokens": 0, "revoked_because": "password changed"}
    assert event.actor_name == "system"


def test_a_password_change_without_a_token_records_nothing(alice):
    alice.set_password("a-new-long-passphrase")
    alice.save()
    assert not AuditEvent.objects.filter(event_type="access_changed").exists()


# --- Deactivation -----------------------------------------------------------------------------


def test_deactivating_a_user_on_the_model_revokes_the_token(alice):
    key = _working_token(alice)
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert not Token.objects.filter(user=alice).exists()
    alice.is_active = True
    alice.save()
    assert _status(key) == 401


def test_deactivating_a_user_in_the_admin_revokes_the_token(client, root, alice):
    key = _working_token(alice)
    url = reverse("admin:auth_user_change", args=[alice.pk])
    response = client.post(url, _user_form(alice, is_active=""))
    assert response.status_code == 302, response.content[:500]
    alice.is_active = True
    alice.save()
    assert _status(key) == 401


# --- Roles ------------------------------------------------------------------------------------


def test_removing_the_last_role_revokes_the_token(alice):
    key = _working_token(alice)
    alice.groups.remove(Group.objects.get(name="approver"))
    assert not Token.objects.filter(user=alice).exists()
    alice.groups.add(Group.objects.get(name="approver"))
    assert _status(key) == 401


@pytest.mark.parametrize("how", ["clear", "set_empty"])
def test_clearing_the_roles_revokes_the_token(alice, how):
    _working_token(alice)
    if how == "clear":
        alice.groups.clear()
    else:
        alice.groups.set([])
    assert not Token.objects.filter(user=alice).exists()


@pytest.mark.parametrize("how", ["remove", "clear", "set_others", "delete"])
def test_removing_the_last_role_from_the_group_side_revokes_the_token(alice, how):
    _working_token(alice)
    group = Group.objects.get(name="approver")
    if how == "remove":
        group.user_set.remove(alice)
    elif how == "clear":
        group.user_set.clear()
    elif how == "set_others":
        group.user_set.set([make_user("bob")])
    else:
        group.delete()
    assert not Token.objects.filter(user=alice).exists()


def test_removing_the_last_role_in_the_admin_revokes_the_token(client, root, alice):
    key = _working_token(alice)
    url = reverse("admin:auth_user_change", args=[alice.pk])
    response = client.post(url, _user_form(alice, groups=[]))
    assert response.status_code == 302, response.content[:500]
    alice.groups.add(Group.objects.get(name="approver"))
    assert _status(key) == 401


def test_removing_one_of_two_roles_keeps_the_token(alice):
    alice.groups.add(Group.objects.get(name="auditor"))
    key = _working_token(alice)
    alice.groups.remove(Group.objects.get(name="auditor"))
    Group.objects.get(name="auditor").user_set.clear()
    assert _status(key) == 200


def test_removing_one_of_two_roles_in_the_admin_keeps_the_token(client, root, alice):
    alice.groups.add(Group.objects.get(name="auditor"))
    key = _working_token(alice)
    url = reverse("admin:auth_user_change", args=[alice.pk])
    approver = Group.objects.get(name="approver")
    response = client.post(url, _user_form(alice, groups=[str(approver.pk)]))
    assert response.status_code == 302, response.content[:500]
    assert _status(key) == 200


def test_removing_a_group_that_is_no_role_keeps_the_token(alice):
    team = Group.objects.create(name="night-shift")
    alice.groups.add(team)
    key = _working_token(alice)
    alice.groups.remove(team)
    team.delete()
    assert _status(key) == 200


def test_a_superuser_losing_their_last_group_keeps_the_token(root):
    root.groups.add(Group.objects.get(name="auditor"))
    key = _working_token(root)
    root.groups.clear()
    assert _status(key) == 200


def test_a_token_of_a_user_without_a_role_is_refused(db):
    key = _token(make_user("nobody"))
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    r = c.get("/api/v1/visits/")
    assert r.status_code == 401
    assert "no role" in r.json()["message"]
