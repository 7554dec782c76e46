"""Append-only records and the effect vocabulary every compliance model shares."""

from __future__ import annotations

from typing import Any

from django.db import models


class AppendOnlyError(Exception):
    pass


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError(
            f"{self.model.__name__} records are append-only; they cannot be updated."
        )

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(
            f"{self.model.__name__} records are append-only; they cannot be deleted."
        )


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(
                f"{type(self).__name__} records are append-only; they cannot be updated."
            )
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(
            f"{type(self).__name__} records are append-only; they cannot be deleted."
        )


class Effect(models.TextChoices):
    CLEAR = "clear", "Clear"
    REVIEW = "review", "Review"
    LICENCE_REQUIRED = "licence_required", "Licence required"
    PROHIBITED = "prohibited", "Prohibited"
