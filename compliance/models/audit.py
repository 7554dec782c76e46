"""The hash-chained audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from compliance.models.base import AppendOnlyModel


# --- Audit log -------------------------------------------------------------------------------
class AuditEventType(models.TextChoices):
    VISIT_SUBMITTED = "visit_submitted", "Visit submitted"
    VISIT_EDITED = "visit_edited", "Visit edited"
    VISIT_CANCELLED = "visit_cancelled", "Visit cancelled"
    CHECK_REQUESTED = "check_requested", "Check requested"
    DECISION_RECORDED = "decision_recorded", "Decision recorded"
    DECISION_RECONFIRMED = "decision_reconfirmed", "Decision re-confirmed"
    VISIT_APPROVED = "visit_approved", "Visit approved"
    VISIT_REJECTED = "visit_rejected", "Visit rejected"
    RULESET_LOADED = "ruleset_loaded", "Rule set loaded"
    RULESET_ACTIVATED = "ruleset_activated", "Rule set activated"
    LIST_IMPORTED = "list_imported", "Screening list imported"
    LIST_REFUSED = "list_refused", "Screening list download refused"
    LIST_SOURCE_CHANGED = "list_source_changed", "Screening list source switched"
    LICENCE_CHANGED = "licence_changed", "Licence changed"
    LICENCE_EXPIRY_NOTIFIED = "licence_expiry_notified", "Licence expiry notified"
    FALSE_POSITIVE_MARKED = "false_positive_marked", "Hit marked false positive"
    REFERENCE_CHANGED = "reference_changed", "Reference data changed"
    ACCESS_CHANGED = "access_changed", "User access changed"


class AuditEvent(AppendOnlyModel):
    """Append-only, hash-chained: each event stores the previous event's hash and its own."""

    event_type = models.CharField(max_length=40, choices=AuditEventType.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(max_length=150, help_text="Username, or 'system'.")
    object_type = models.CharField(max_length=50)
    object_id = models.CharField(max_length=50)
    old = models.JSONField(null=True, blank=True)
    new = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["event_type"], name="auditevent_event_type_idx"),
        ]
        # A constraint, not unique=True: no extra pattern-ops index on PostgreSQL.
        constraints = [models.UniqueConstraint(fields=["hash"], name="auditevent_hash_unique")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.event_type} {self.object_type}:{self.object_id}"


class AuditChainHead(models.Model):
    """A single row locked while an event is appended, so the chain never forks."""

    last_hash = models.CharField(max_length=64)
    last_event_id = models.BigIntegerField(null=True)

    def __str__(self) -> str:
        return f"audit chain head at event #{self.last_event_id}"
