"""A password validator beside Django's own: nothing made of one repeated character.

Django's validators take "        " (eight spaces) or "aaaaaaaa" when it is long enough and not in
their common list; neither is a password.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError


class NotOneCharacterValidator:
    def validate(self, password: str, user: Any = None) -> None:
        if not password.strip() or len(set(password)) == 1:
            raise ValidationError(
                "This password is one character repeated (or only spaces).",
                code="password_one_character",
            )

    def get_help_text(self) -> str:
        return "Your password can't be one character repeated or only spaces."
