"""The API token lookup: the token, its user, the user's profile and roles in one statement."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from config.authentication import ExpiringTokenAuthentication
from tests.factories import VendorFactory, make_user

pytestmark = pytest.mark.django_db


def authenticate(key: str):
    return ExpiringTokenAuthentication().authenticate_credentials(key)


def test_one_statement_gives_the_user_their_vendor_and_roles():
    vendor = VendorFactory()
    manager = make_user("lookup.manager", role="service_manager", vendor=vendor)
    manager.groups.add(Group.objects.get(name="auditor"))
    key = Token.objects.create(user=manager).key
    with CaptureQueriesContext(connection) as queries:
        user, token = authenticate(key)
        # Everything a request reads next is cached: no further statement.
        assert user.pk == manager.pk and user.username == "lookup.manager"
        assert user.profile.vendor_id == vendor.pk
        assert user.profile.user is user
        assert token.user is user and token.key == key
        assert user._role_cache == frozenset({"service_manager", "auditor"})
        assert user.is_active is True and user.is_superuser is False
    assert len(queries) == 1
    # Read back as the ORM reads them: an aware datetime, the stored password hash.
    stored = Token.objects.get(key=key)
    assert token.created == stored.created and timezone.is_aware(token.created)
    assert user.password == get_user_model().objects.get(pk=manager.pk).password
    assert user.date_joined == get_user_model().objects.get(pk=manager.pk).date_joined


def test_a_user_without_a_profile_has_none_cached():
    user = get_user_model().objects.create_user(username="lookup.noprofile", password="x-1")
    user.groups.add(Group.objects.get(name="approver"))
    key = Token.objects.create(user=user).key
    with CaptureQueriesContext(connection) as queries:
        found, _ = authenticate(key)
        assert not hasattr(found, "profile")
    assert len(queries) == 1
    assert found._role_cache == frozenset({"approver"})


def test_unknown_inactive_roleless_and_expired_tokens_are_refused(settings):
    with pytest.raises(AuthenticationFailed, match="Invalid token"):
        authenticate("0" * 40)
    with pytest.raises(AuthenticationFailed, match="Invalid token"):
        authenticate("' OR 1=1 --")

    inactive = make_user("lookup.inactive", role="service_manager", vendor=VendorFactory())
    inactive.is_active = False
    inactive.save()
    with pytest.raises(AuthenticationFailed, match="inactive"):
        authenticate(Token.objects.create(user=inactive).key)

    roleless = make_user("lookup.roleless", vendor=VendorFactory())
    with pytest.raises(AuthenticationFailed, match="holds no role"):
        authenticate(Token.objects.create(user=roleless).key)

    old = make_user("lookup.old", role="auditor")
    token = Token.objects.create(user=old)
    Token.objects.filter(pk=token.pk).update(
        created=timezone.now() - dt.timedelta(hours=settings.API_TOKEN_TTL_HOURS, seconds=1)
    )
    with pytest.raises(AuthenticationFailed, match="expired"):
        authenticate(token.key)
    assert not Token.objects.filter(pk=token.pk).exists()
