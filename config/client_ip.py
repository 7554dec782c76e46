"""The client's address, as throttles and the login lockout see it.

``X-Forwarded-For`` is believed only through ``TRUSTED_PROXY_COUNT`` reverse proxies (default 0:
the header is ignored and the socket's address counts). Each trusted proxy appends the address it
received the request from, so with N proxies the client is the N-th address from the right; any
address a client put in the header itself sits further left and is never read. A value that is
not an IP address falls back to the socket's address, so a forged header cannot make every
request look new.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings


def _valid(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip(request: Any) -> str:
    remote = request.META.get("REMOTE_ADDR") or ""
    trusted = int(settings.TRUSTED_PROXY_COUNT)
    if trusted <= 0:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR")
    if not header:
        return remote
    hops = [hop for hop in header.split(",") if hop.strip()]
    if not hops:
        return remote
    chosen = hops[-min(trusted, len(hops))]
    return _valid(chosen) or remote
