"""config.client_ip: X-Forwarded-For is believed only through the configured trusted proxies."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from config.client_ip import client_ip


def _request(xff: str | None = None, remote: str = "10.0.0.1"):
    meta = {"REMOTE_ADDR": remote}
    if xff is not None:
        meta["HTTP_X_FORWARDED_FOR"] = xff
    return RequestFactory().get("/", **meta)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request("203.0.113.5")) == "10.0.0.1"


@pytest.mark.parametrize(
    ("count", "xff", "expected"),
    [
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "6.6.6.6, 203.0.113.5", "203.0.113.5"),
        (2, "6.6.6.6, 203.0.113.5, 192.0.2.1", "203.0.113.5"),
        (3, "203.0.113.5", "203.0.113.5"),
        (1, "2001:db8::1", "2001:db8::1"),
        (1, "not-an-address", "10.0.0.1"),
        (1, "", "10.0.0.1"),
        (1, " , ", "10.0.0.1"),
    ],
)
def test_through_trusted_proxies_the_nth_address_from_the_right(settings, count, xff, expected):
    settings.TRUSTED_PROXY_COUNT = count
    assert client_ip(_request(xff)) == expected


def test_no_header_means_the_socket_address(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request(None)) == "10.0.0.1"
