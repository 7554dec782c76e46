"""Every way of setting a password runs the configured password validators."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from compliance.models import AuditEvent
from dispatch.models import UserProfile
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _create(username: str, password: str, **kw: str) -> str:
    out = io.StringIO()
    args = [username, "--role", "auditor", "--password", password]
    for k, v in kw.items():
        args += [f"--{k}", v]
    call_command("create_role_user", *args, stdout=out)
    return out.getvalue()


def test_create_role_user_refuses_a_weak_password_and_creates_no_user():
    with pytest.raises(CommandError) as exc:
        _create("weakling", "1")
    message = str(exc.value)
    assert "--password" in message
    assert "at least 8 characters" in message and "No user was created" in message
    assert not get_user_model().objects.filter(username="weakling").exists()
    assert not UserProfile.objects.exists()
    assert not AuditEvent.objects.exists()


def test_create_role_user_refuses_a_password_like_the_username_or_email():
    with pytest.raises(CommandError, match="too similar to the email address"):
        _create("ines", "ines.garcia.fab@example.com", email="ines.garcia.fab@example.com")
    assert not get_user_model().objects.filter(username="ines").exists()


def test_create_role_user_accepts_a_good_password():
    out = _create("reviewer", "correct-horse-battery-staple")
    user = get_user_model().objects.get(username="reviewer")
    assert user.check_password("correct-horse-battery-staple")
    assert list(user.groups.values_list("name", flat=True)) == ["auditor"]
    assert "Created reviewer" in out


def test_the_admin_add_user_form_refuses_a_weak_password(client):
    client.force_login(make_user("root", superuser=True))
    response = client.post(
        reverse("admin:auth_user_add"),
        {"username": "weakling", "usable_password": "true", "password1": "1", "password2": "1"},
    )
    assert response.status_code == 200
    assert "This password is too short" in response.content.decode()
    assert not get_user_model().objects.filter(username="weakling").exists()


def test_the_admin_password_change_form_refuses_a_weak_password(client):
    client.force_login(make_user("root", superuser=True))
    target = make_user("target", role="auditor")
    response = client.post(
        reverse("admin:auth_user_password_change", args=[target.pk]),
        {"usable_password": "true", "password1": "password", "password2": "password"},
    )
    assert response.status_code == 200
    assert "This password is too common" in response.content.decode()
    target.refresh_from_db()
    assert target.check_password("pw-target")


@pytest.mark.parametrize("password", ["        ", "aaaaaaaaaaaa", "\t\t\t\t\t\t\t\t\t"])
def test_a_password_of_one_repeated_character_is_refused(password):
    with pytest.raises(CommandError, match="one character repeated"):
        _create("weakling", password)
    assert not get_user_model().objects.filter(username="weakling").exists()
