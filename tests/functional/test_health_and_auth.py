"""Health endpoints, token expiry and rotation, login lockout, CSRF."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_healthz_answers_ok_when_the_database_answers(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


def test_healthz_answers_503_when_the_database_does_not(client, monkeypatch):
    from config import health

    monkeypatch.setattr(
        health, "_database_ok", lambda: (False, "OperationalError: connection refused")
    )
    r = client.get("/healthz")
    assert r.status_code == 503
    assert r.json()["status"] == "unavailable"


def test_system_health_is_for_staff_and_reports_the_queue(client, db):
    assert client.get("/healthz/system").status_code == 302  # to the admin login
    client.force_login(make_user("root", superuser=True))
    body = client.get("/healthz/system").json()
    assert body["mode"] in {"embedded", "celery"}
    assert "unanswered_checks" in body and "queue_depth" in body


def test_a_token_is_rotated_on_every_request_for_one(db):
    make_user("alice", role="approver")
    c = APIClient()
    first = c.post(
        "/api/v1/auth/token/", {"username": "alice", "password": "pw-alice"}, format="json"
    ).json()["token"]
    second = c.post(
        "/api/v1/auth/token/", {"username": "alice", "password": "pw-alice"}, format="json"
    ).json()["token"]
    assert first != second
    c.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    assert c.get("/api/v1/visits/").status_code == 401
    c.credentials(HTTP_AUTHORIZATION=f"Token {second}")
    assert c.get("/api/v1/visits/").status_code == 200


def test_an_expired_token_is_refused(db, settings):
    user = make_user("bob", role="approver")
    token = Token.objects.create(user=user)
    Token.objects.filter(pk=token.pk).update(
        created=token.created - dt.timedelta(hours=settings.API_TOKEN_TTL_HOURS + 1)
    )
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    r = c.get("/api/v1/visits/")
    assert r.status_code == 401
    assert "expired" in r.json()["message"]


def test_repeated_failed_logins_lock_the_account_out(db, settings):
    make_user("carol", role="approver")
    c = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        c.post("/login/", {"username": "carol", "password": "wrong"})
    r = c.post("/login/", {"username": "carol", "password": "pw-carol"})
    assert r.status_code in (403, 429)
    assert "_auth_user_id" not in c.session


def test_forms_require_a_csrf_token(db):
    user = make_user("dave", role="approver")
    c = Client(enforce_csrf_checks=True)
    c.force_login(user)
    assert c.post("/checks/dry-run/", {"document": "{}"}).status_code == 403


def test_pages_send_a_content_security_policy(client, db):
    r = client.get("/login/")
    assert "default-src 'self'" in r["Content-Security-Policy"]
    assert "script-src 'self';" in r["Content-Security-Policy"]
