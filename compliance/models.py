"""Compliance records: rule sets, screening lists, licences, decisions, approvals, the audit log.

Decisions, findings, approvals and audit events are append-only: the model refuses an update or a
delete, and so does its queryset (admin, API and code all go through these).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from dispatch.models import Activity, Customer, Engineer, Facility, Vendor, Visit


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


EFFECT_RANK = {e: i for i, e in enumerate(Effect.values)}


# --- Rules -----------------------------------------------------------------------------------
class RuleSet(models.Model):
    """One version of the rule packs plus the policy switches in force; identified by content hash."""

    version = models.CharField(max_length=64, unique=True)
    packs = models.JSONField(
        help_text="File name → YAML text of every rule pack and reference file."
    )
    enabled_policies = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=False)
    loaded_at = models.DateTimeField(auto_now_add=True)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-loaded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_ruleset"
            ),
        ]

    def __str__(self) -> str:
        return f"Rule set {self.version[:12]}{' (active)' if self.is_active else ''}"


class Rule(models.Model):
    """A rule of a rule set, kept as rows so that admin and API can list and filter them."""

    ruleset = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="rules")
    code = models.CharField(max_length=100)
    pack = models.CharField(max_length=100)
    jurisdiction = models.CharField(max_length=20)
    title = models.CharField(max_length=300)
    citation = models.CharField(max_length=300)
    source_url = models.URLField(max_length=500, blank=True)
    confidence = models.CharField(max_length=20)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    scope = models.CharField(max_length=20)
    effect = models.CharField(max_length=20, choices=Effect.choices)
    licence_authority = models.CharField(max_length=30, blank=True)
    condition = models.TextField()
    message = models.TextField()
    is_policy = models.BooleanField(default=False)
    is_enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["jurisdiction", "code"]
        constraints = [models.UniqueConstraint(fields=["ruleset", "code"], name="rule_code_unique")]

    def __str__(self) -> str:
        return self.code


class CountryGroupMembership(models.Model):
    """Effective-dated country-group membership (e.g. US:D5), as loaded with a rule set."""

    ruleset = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="country_groups")
    group = models.CharField(max_length=30)
    country = models.CharField(max_length=2)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True, help_text="Exclusive.")
    citation = models.CharField(max_length=300, blank=True)
    confidence = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["group", "country"]

    def __str__(self) -> str:
        return f"{self.group}: {self.country}"


# --- Screening lists -------------------------------------------------------------------------
class ListSnapshot(models.Model):
    """An immutable import of a restricted-party list file."""

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
                fields=["is_active"], condition=Q(is_active=True), name="one_active_snapshot"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_name} ({self.imported_at:%Y-%m-%d %H:%M})"

    @property
    def version(self) -> str:
        return f"{self.pk}:{self.source_hash[:16]}"


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

    The mark is bound to the entry's content hash: when the entry changes, the mark lapses and the
    next check flags the hit again.
    """

    party = models.CharField(max_length=100, help_text='e.g. "customer:12" or "engineer:7".')
    party_name = models.CharField(max_length=300)
    entry_id = models.CharField(max_length=100)
    entry_hash = models.CharField(max_length=64)
    list_code = models.CharField(max_length=20)
    entry_name = models.CharField(max_length=1000)
    reason = models.TextField()
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    marked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-marked_at"]
        indexes = [models.Index(fields=["party", "entry_id", "entry_hash"])]

    def __str__(self) -> str:
        return f"False positive: {self.party_name} ≠ {self.entry_name}"


# --- Licences --------------------------------------------------------------------------------
class LicenceAuthority(models.TextChoices):
    BIS = "BIS", "US Commerce — BIS"
    NL = "NL-MFA", "Netherlands — Ministry of Foreign Affairs (CDIU)"
    METI = "METI", "Japan — METI"
    MOTIE = "MOTIE", "Korea — MOTIE"
    OFAC = "OFAC", "US Treasury — OFAC"


class Licence(models.Model):
    """An export licence or a licence-like authorisation (e.g. a VEU) on file."""

    class Kind(models.TextChoices):
        LICENCE = "licence", "Licence"
        VEU = "veu", "Validated end-user authorisation"

    authority = models.CharField(max_length=20, choices=LicenceAuthority.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.LICENCE)
    number = models.CharField(max_length=100)
    holder = models.ForeignKey(
        Vendor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="licences",
        help_text="Empty for an authorisation that any exporter may use (e.g. a VEU).",
    )
    valid_from = models.DateField()
    valid_until = models.DateField(help_text="Last day of validity (inclusive).")
    facilities = models.ManyToManyField(Facility, blank=True, related_name="licences")
    owners = models.ManyToManyField(
        Customer,
        blank=True,
        related_name="licences",
        help_text="Covers every building of these owners.",
    )
    activities = models.JSONField(default=list, blank=True, help_text="Empty = any activity.")
    classifications = models.JSONField(
        default=list, blank=True, help_text="Classification prefixes covered; empty = any."
    )
    engineers = models.ManyToManyField(
        Engineer,
        blank=True,
        related_name="licences",
        help_text="Empty = any engineer of the holder.",
    )
    conditions = models.TextField(blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.TextField(blank=True)
    # Users who recorded or changed the licence: it does not count for a visit any of them
    # requested or edited (separation of duties, compliance.separation).
    # [{"id": user id, "username": …}], oldest first.
    recorded_by = models.JSONField(default=list, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["authority", "number"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "number"], name="licence_number_unique"),
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("valid_from")),
                name="licence_valid_until_after_from",
                violation_error_message="A licence cannot end before it starts.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.authority} {self.number}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


ACTIVITY_VALUES = Activity.values


# --- Decisions -------------------------------------------------------------------------------
class Trigger(models.TextChoices):
    SUBMISSION = "submission", "Submission"
    EDIT = "edit", "Edit of the visit or what it references"
    RULE_CHANGE = "rule_change", "Rule set change"
    LIST_IMPORT = "list_import", "Screening list import"
    LICENCE_CHANGE = "licence_change", "Licence change"
    FALSE_POSITIVE = "false_positive", "False-positive mark"
    PRE_TRAVEL = "pre_travel", "Pre-travel re-check"
    MANUAL = "manual", "Re-check requested"
    SWEEP = "sweep", "Re-enqueued by the sweeper"


class Decision(AppendOnlyModel):
    """The engine's answer for a visit, with everything needed to replay it."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="decisions")
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    request_key = models.CharField(
        max_length=64, help_text="The check request this decision answers (idempotency key)."
    )
    input_digest = models.CharField(max_length=64)
    document = models.JSONField(help_text="The visit document (DESIGN sec. 3) the engine saw.")
    screening_input = models.JSONField(
        default=list, help_text="Screening hits given to the engine."
    )
    licences_input = models.JSONField(default=list, help_text="Licences given to the engine.")
    ruleset = models.ForeignKey(
        RuleSet, on_delete=models.PROTECT, null=True, related_name="decisions"
    )
    rules_version = models.CharField(max_length=64, blank=True)
    snapshot = models.ForeignKey(
        ListSnapshot, on_delete=models.PROTECT, null=True, blank=True, related_name="decisions"
    )
    lists_version = models.CharField(max_length=100, blank=True)
    list_is_stale = models.BooleanField(default=False)
    outcome = models.CharField(max_length=20, choices=Effect.choices)
    status = models.CharField(max_length=10)
    result = models.JSONField(help_text="The decision as returned (DESIGN sec. 4).")
    as_of = models.DateField()
    decided_at = models.DateTimeField()
    duration_ms = models.FloatField(default=0)
    error = models.TextField(blank=True)
    previous = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    change_reason = models.TextField(
        blank=True, help_text="Why the outcome changed from the previous decision."
    )

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "request_key"], name="decision_request_unique"
            ),
        ]
        indexes = [models.Index(fields=["decided_at"])]

    def __str__(self) -> str:
        return f"Decision #{self.pk} for visit #{self.visit_id}: {self.outcome}"


class Finding(AppendOnlyModel):
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="findings")
    rule_code = models.CharField(max_length=100)
    jurisdiction = models.CharField(max_length=20)
    citation = models.CharField(max_length=300)
    effect = models.CharField(max_length=20, choices=Effect.choices)
    engineer = models.CharField(max_length=200, blank=True)
    tool = models.CharField(max_length=200, blank=True)
    message = models.TextField()
    facts = models.JSONField(default=dict)
    covered_by_licence = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["id"]
        # Plain b-tree indexes (exact matches only): db_index on a CharField also builds a
        # pattern-ops index on PostgreSQL, one more write per finding that nothing reads.
        indexes = [
            models.Index(fields=["rule_code"], name="finding_rule_code_idx"),
            models.Index(fields=["jurisdiction"], name="finding_jurisdiction_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_code} ({self.effect})"


class Approval(AppendOnlyModel):
    class Action(models.TextChoices):
        APPROVE = "approve", "Approved"
        REJECT = "reject", "Rejected"

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="approvals")
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="approvals")
    action = models.CharField(max_length=10, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    justification = models.TextField()
    licence = models.ForeignKey(
        Licence, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} visit #{self.visit_id} by {self.actor}"


# --- Audit log -------------------------------------------------------------------------------
class AuditEventType(models.TextChoices):
    VISIT_SUBMITTED = "visit_submitted", "Visit submitted"
    VISIT_EDITED = "visit_edited", "Visit edited"
    VISIT_CANCELLED = "visit_cancelled", "Visit cancelled"
    CHECK_REQUESTED = "check_requested", "Check requested"
    DECISION_RECORDED = "decision_recorded", "Decision recorded"
    VISIT_APPROVED = "visit_approved", "Visit approved"
    VISIT_REJECTED = "visit_rejected", "Visit rejected"
    RULESET_LOADED = "ruleset_loaded", "Rule set loaded"
    RULESET_ACTIVATED = "ruleset_activated", "Rule set activated"
    LIST_IMPORTED = "list_imported", "Screening list imported"
    LICENCE_CHANGED = "licence_changed", "Licence changed"
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


class Hold(Visit):
    """The approvers' queue: visits on hold or blocked, as an admin view of Visit."""

    class Meta:
        proxy = True
        verbose_name = "hold"
        verbose_name_plural = "hold queue"
        permissions = [("approve_hold", "Can approve or reject holds")]


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
