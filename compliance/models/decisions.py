"""Decisions of the compliance check, their findings and approvals; the hold queue."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from compliance.models.base import AppendOnlyModel, Effect
from compliance.models.licences import Licence
from compliance.models.rules import RuleSet
from compliance.models.screening import ListSnapshot
from dispatch.models import Visit
from dispatch.validators import validate_multiline_text


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
    lists_version = models.CharField(
        max_length=600, blank=True, help_text="The version of every list source used."
    )
    list_is_stale = models.BooleanField(default=False)
    list_problems = models.JSONField(
        default=list,
        blank=True,
        help_text="Sources binding the visit that were missing or stale, as given to the engine.",
    )
    # " un-sc eu-fsf ": the sources of list_problems, so the visits held for one are found cheaply.
    list_problem_sources = models.CharField(max_length=300, blank=True, default="")
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
    # What a later re-check must give again to be recorded as a re-confirmation of this decision
    # (compliance.checks.compact): its inputs and its answer, without the rule and list versions.
    basis_digest = models.CharField(max_length=64, blank=True, default="")

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


class Reconfirmation(AppendOnlyModel):
    """A re-check that gave the visit's current decision again, under newer rule or list versions.

    It says "same as decision #N under versions X": the inputs (document, hits, licences) and the
    answer (outcome, findings, screening) are those of ``decision``; only the versions and the
    time differ. Replaying it evaluates the decision's inputs under this rule set and list version
    (``compliance.checks.compact.reconfirmation_replay``).
    """

    class Basis(models.TextChoices):
        EVALUATED = "evaluated", "Evaluated: the same outcome and findings"
        OUT_OF_REACH = "out_of_reach", "Not evaluated: no changed rule can reach the visit"

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="reconfirmations")
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="reconfirmations")
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    request_key = models.CharField(max_length=64)
    basis = models.CharField(max_length=20, choices=Basis.choices)
    input_digest = models.CharField(
        max_length=64, help_text="The decision's inputs under this re-confirmation's versions."
    )
    ruleset = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="+")
    rules_version = models.CharField(max_length=64)
    snapshot = models.ForeignKey(
        ListSnapshot, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lists_version = models.CharField(max_length=600, blank=True)
    confirmed_at = models.DateTimeField()
    duration_ms = models.FloatField(default=0)

    class Meta:
        ordering = ["-confirmed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "request_key"], name="reconfirmation_request_unique"
            ),
        ]
        indexes = [models.Index(fields=["confirmed_at"])]

    def __str__(self) -> str:
        return f"Re-confirmation #{self.pk} of decision #{self.decision_id}"

    @property
    def same_as(self) -> str:
        return (
            f"Same as decision #{self.decision_id} under rules {self.rules_version[:12]}"
            f" and lists {self.lists_version or 'none'}"
        )


class Finding(AppendOnlyModel):
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="findings")
    rule_code = models.CharField(max_length=100)
    jurisdiction = models.CharField(max_length=20)
    # A list hit's citation names the regime and the act that implements it: longer than a rule's.
    citation = models.CharField(max_length=1000)
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
    justification = models.TextField(validators=[validate_multiline_text])
    licence = models.ForeignKey(
        Licence, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} visit #{self.visit_id} by {self.actor}"


class Hold(Visit):
    """The approvers' queue: visits on hold or blocked, as an admin view of Visit."""

    class Meta:
        proxy = True
        verbose_name = "hold"
        verbose_name_plural = "hold queue"
        permissions = [("approve_hold", "Can approve or reject holds")]
