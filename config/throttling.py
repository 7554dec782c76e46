"""Request throttles (DRF throttling): per client address before login, per user after.

Rates are settings (``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``), each from the environment. A
throttled request answers 429 with ``Retry-After`` in the API error shape.
"""

from __future__ import annotations

import logging
from typing import Any

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from config.client_ip import client_ip
from config.errors import ApplicationError

logger = logging.getLogger(__name__)


class Unavailable(ApplicationError):
    status_code = 503


class ClientAddressMixin:
    scope: str

    def get_ident(self, request: Any) -> str:
        return client_ip(request)

    def get_rate(self) -> str | None:
        # Read at each request (DRF reads it once, at import), so a changed setting applies.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request: Any, view: Any) -> bool:
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)  # type: ignore[attr-defined]
        try:
            return super().allow_request(request, view)  # type: ignore[misc]
        except Exception as exc:  # the cache (Redis in production) is down
            # Refuse rather than wave through: the limit cannot be counted.
            logger.error("throttle %s: the cache is unavailable (%s)", self.scope, exc)
            raise Unavailable(
                "The request limiter is unavailable; nothing was done. Retry shortly."
            ) from exc


class TokenThrottle(ClientAddressMixin, AnonRateThrottle):
    """The token endpoint, per client address (it needs no authentication)."""

    scope = "token"


class _PerUser(ClientAddressMixin, UserRateThrottle):
    """Per authenticated user (per address for an anonymous caller, which is refused anyway)."""


class DryRunThrottle(_PerUser):
    scope = "dry_run"


class ScreeningSearchThrottle(_PerUser):
    scope = "screening_search"


class SuggestionsThrottle(_PerUser):
    scope = "suggestions"


class ImpactThrottle(_PerUser):
    scope = "impact"


class ReportGenerationThrottle(_PerUser):
    """Generating a weekly report that is not stored yet (reading a stored one is not counted)."""

    scope = "report_generation"
