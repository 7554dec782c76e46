"""The one error type for expected failures (HackSoft styleguide).

Services raise ``ApplicationError`` with a message a user can act on and, where a field is at
fault, ``errors = {field: [messages]}``. The API renders it as ``{"message", "errors"}``; pages
and admin show the same text beside the field.
"""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    status_code = 400

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None, **extra: Any):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        self.extra = extra


class NotFound(ApplicationError):
    status_code = 404


class PermissionDenied(ApplicationError):
    status_code = 403


class Conflict(ApplicationError):
    """The request is valid but the object's current state does not allow it."""

    status_code = 409
