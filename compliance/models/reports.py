"""Stored weekly audit reports."""

from __future__ import annotations

from django.db import models


# --- Weekly audit reports --------------------------------------------------------------------
class AuditReport(models.Model):
    """The stored weekly audit report of one ISO week (``compliance.reports``).

    One row per week, written only by ``compliance.reports.services.report_weekly_generate``.
    Regenerating a week whose content is unchanged leaves the row as it is (same hash, same files,
    same ``generated_at``). When the records of a closed week changed, the row is re-rendered in
    place and the hash it replaces is appended to ``previous_hashes``: a closed week whose hash
    changes is itself something for the auditors to look at.
    """

    week = models.CharField(max_length=8, unique=True, help_text='ISO week, e.g. "2026-W47".')
    period_start = models.DateTimeField(help_text="Monday 00:00 in the report time zone.")
    period_end = models.DateTimeField(help_text="The next Monday 00:00 (exclusive).")
    time_zone = models.CharField(max_length=64)
    generated_at = models.DateTimeField()
    content_hash = models.CharField(
        max_length=64, help_text="SHA-256 of the content's canonical JSON."
    )
    content = models.JSONField(help_text="The report content (what the hash covers).")
    generation = models.JSONField(
        default=dict, blank=True, help_text="Facts of the generation run the hash does not cover."
    )
    html = models.TextField()
    pdf = models.BinaryField()
    csv_zip = models.BinaryField()
    previous_hashes = models.JSONField(
        default=list, blank=True, help_text="Hashes this week's report had before, oldest first."
    )
    emailed_at = models.DateTimeField(null=True, blank=True)
    emailed_hash = models.CharField(
        max_length=64, blank=True, help_text="The content hash of the report last emailed."
    )
    emailed_to = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-period_start"]
        verbose_name = "weekly audit report"

    def __str__(self) -> str:
        return f"Weekly audit report {self.week}"
