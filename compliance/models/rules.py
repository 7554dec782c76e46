"""Rule sets (versions of the rule packs), their rules and country-group memberships."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from compliance.models.base import Effect
from dispatch.validators import validate_plain_text


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
    note = models.CharField(max_length=300, blank=True, validators=[validate_plain_text])

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
