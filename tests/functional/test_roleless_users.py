"""A user who holds no role (their last one was removed) reaches nothing: not the login page,
not a session they already had, not the API by session or token. Superusers need no role."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_the_login_page_refuses_an_account_without_a_role(world):
    make_user("offboarded")
    c = Client()
    r = c.post("/login/", {"username": "offboarded", "password": "pw-offboarded"})
    assert r.status_code == 200
    assert b"holds no role" in r.content
    assert c.get("/api/v1/facilities/").status_code in (401, 403)


def test_a_session_ends_when_the_last_role_goes(world):
    user = make_user("leaver", role="service_manager", vendor=world.lam)
    c = Client()
    assert c.post("/login/", {"username": "leaver", "password": "pw-leaver"}).status_code == 302
    assert c.get("/api/v1/licences/").status_code == 200
    assert c.get("/checks/dry-run/").status_code == 200
    user.groups.remove(Group.objects.get(name="service_manager"))
    assert c.get("/api/v1/licences/").status_code in (401, 403)
    r = c.get("/checks/dry-run/")
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_a_token_is_not_issued_to_an_account_without_a_role(world):
    make_user("tokenless")
    r = APIClient().post(
        "/api/v1/auth/token/",
        {"username": "tokenless", "password": "pw-tokenless"},
        format="json",
    )
    assert r.status_code == 403
    assert "holds no role" in r.json()["message"]


def test_the_api_refuses_a_forced_login_without_a_role(world):
    api = APIClient()
    api.force_authenticate(make_user("nobody"))
    r = api.get("/api/v1/facilities/")
    assert r.status_code == 403 and "holds no role" in r.json()["message"]


def test_a_superuser_needs_no_role(world):
    c = Client()
    assert c.post("/login/", {"username": "boss", "password": "pw-boss"}).status_code == 302
    assert c.get("/api/v1/licences/").status_code == 200
