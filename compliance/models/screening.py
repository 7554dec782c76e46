"""Screening list snapshots, their entries and the reviews of matches."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from compliance.models.base import AppendOnlyModel
from dispatch.validators import validate_list_code, validate_multiline_text, validate_plain_text


# --- Screening lists -------------------------------------------------------------------------
class ListSnapshot(models.Model):
    """An immutable import of a restricted-party list file of one source (sources.yaml)."""

    source = models.CharField(
        max_length=40, default="us-csl", db_index=True, help_text="The list source (sources.yaml)."
    )
    source_name = models.CharField(max_length=300)
    source_hash = models.CharField(max_length=64, db_index=True)
    format = models.CharField(max_length=20)
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    entry_count = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, help_text="Entries per list code.")
    diff = models.JSONField(
        default=dict, help_text="Added / removed / changed entry ids vs the previous snapshot."
    )
    warnings = models.JSONField(default=list, blank=True)
    previous = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    is_active = models.BooleanField(default=False)

    class Meta:
        ordering = ["-imported_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source"],
                condition=Q(is_active=True),
                name="one_active_snapshot_per_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_name} ({self.imported_at:%Y-%m-%d %H:%M})"

    @property
    def version(self) -> str:
        return f"{self.pk}:{self.source_hash[:16]}"


class ListSource(models.Model):
    """The state of one list source: whether it is in use, and how its refreshes went.

    What the source is (URL, format, meaning of a hit) is in sources.yaml; this row holds what
    changes at run time. Switching a source on or off is audited (compliance.services.sources).
    """

    key = models.CharField(max_length=40, unique=True)
    enabled = models.BooleanField(default=True)
    url = models.CharField(
        max_length=1000, blank=True, help_text="Overrides the official URL of sources.yaml."
    )
    etag = models.CharField(max_length=300, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(
        null=True, blank=True, help_text="When the list in force was last confirmed current."
    )
    last_outcome = models.CharField(max_length=30, blank=True)
    last_error = models.TextField(blank=True)
    next_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class ListEntry(models.Model):
    snapshot = models.ForeignKey(ListSnapshot, on_delete=models.PROTECT, related_name="entries")
    entry_id = models.CharField(max_length=100)
    list_code = models.CharField(max_length=20, db_index=True)
    name = models.CharField(max_length=1000)
    alt_names = models.JSONField(default=list)
    countries = models.JSONField(default=list)
    content_hash = models.CharField(max_length=64)
    data = models.JSONField(help_text="Every field of the entry as imported.")

    class Meta:
        ordering = ["list_code", "name"]
        verbose_name_plural = "list entries"
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "entry_id"], name="list_entry_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.list_code}: {self.name}"


class MatchReview(AppendOnlyModel):
    """An approver's false-positive mark for one party against one list entry's content.

    The mark is bound to both sides: the entry's content hash and the party's fingerprint as
    screened (name; the facility country for the owner; citizenships and date of birth for an engineer). When either changes, the mark lapses
    and the next check flags the hit again. Marks made before parties were fingerprinted have an
    empty ``party_hash`` and count for nobody.
    """

    party = models.CharField(max_length=100, help_text='e.g. "customer:12" or "engineer:7".')
    party_name = models.CharField(max_length=300, validators=[validate_plain_text])
    entry_id = models.CharField(max_length=100)
    entry_hash = models.CharField(max_length=64)
    party_hash = models.CharField(
        max_length=64,
        blank=True,
        default="",
        help_text="sha256 of the party as screened: name, country, citizenships, date of birth.",
    )
    list_code = models.CharField(max_length=20, validators=[validate_list_code])
    entry_name = models.CharField(max_length=1000)
    reason = models.TextField(validators=[validate_multiline_text])
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    marked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-marked_at"]
        indexes = [models.Index(fields=["party", "entry_id", "entry_hash"])]

    def __str__(self) -> str:
        return f"False positive: {self.party_name} ≠ {self.entry_name}"
