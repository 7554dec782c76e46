"""Licences on file: who holds them, what they cover, and their revocation."""

from __future__ import annotations

from typing import Final

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from dispatch.countries import is_country_code
from dispatch.models import Activity, Customer, Engineer, Facility, Vendor
from dispatch.validators import (
    validate_classification_prefixes,
    validate_multiline_text,
    validate_plain_text,
)


# --- Licences --------------------------------------------------------------------------------
class LicenceAuthority(models.TextChoices):
    BIS = "BIS", "US Commerce — BIS"
    NL = "NL-MFA", "Netherlands — Ministry of Foreign Affairs (CDIU)"
    METI = "METI", "Japan — METI"
    MOTIE = "MOTIE", "Korea — MOTIE"
    OFAC = "OFAC", "US Treasury — OFAC"
    EU_MS = "EU-MS", "EU member state — dual-use authorisation (Reg. 2021/821)"


class Licence(models.Model):
    """An export licence or a licence-like authorisation (e.g. a VEU) on file."""

    class Kind(models.TextChoices):
        LICENCE = "licence", "Licence"
        VEU = "veu", "Validated end-user authorisation"
        BULK = "bulk", "Bulk licence (covers the countries it lists)"

    authority = models.CharField(max_length=20, choices=LicenceAuthority.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.LICENCE)
    number = models.CharField(max_length=100, validators=[validate_plain_text])
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
        default=list,
        blank=True,
        help_text="Classification prefixes covered; empty = any.",
        validators=[validate_classification_prefixes],
    )
    engineers = models.ManyToManyField(
        Engineer,
        blank=True,
        related_name="licences",
        help_text="Empty = any engineer of the holder.",
    )
    countries = models.JSONField(
        default=list,
        blank=True,
        help_text='Bulk licences only: the destination countries covered, e.g. ["KR", "TW"].',
    )
    conditions = models.TextField(blank=True, validators=[validate_multiline_text])
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.TextField(blank=True, validators=[validate_multiline_text])
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

    def clean(self) -> None:
        problems = bulk_problems(self.kind, self.authority, self.countries, self.holder_id)
        if problems:
            raise ValidationError(problems)


# METI's simplified bulk licences do not cover China, Hong Kong or Macau (DOMAIN sec. 8 [H]).
METI_BULK_EXCLUDED: Final = ("CN", "HK", "MO")
BULK_GROUP: Final = "JP:BULK42"


def bulk_destinations() -> frozenset[str]:
    """The destinations of METI's simplified bulk licences as the active rule set knows them
    (reference/country_groups.yaml, JP:BULK42; partial until completed from METI's list)."""
    from compliance.models.rules import CountryGroupMembership

    return frozenset(
        CountryGroupMembership.objects.filter(
            ruleset__is_active=True, group=BULK_GROUP
        ).values_list("country", flat=True)
    )


def bulk_problems(kind: str, authority: str, countries: object, holder: object) -> dict[str, str]:
    """Why a licence's kind, authority, countries and holder do not fit; empty when they do.

    Only METI issues bulk licences (DOMAIN sec. 8); one is held by an exporter, and covers only
    destinations of the JP:BULK42 group, never China, Hong Kong or Macau. A country the group
    does not list (yet) is refused rather than assumed."""
    if kind != Licence.Kind.BULK:
        return {"countries": "Only a bulk licence lists countries."} if countries else {}
    problems: dict[str, str] = {}
    if authority != LicenceAuthority.METI:
        problems["kind"] = "Only METI issues bulk licences; record this as an individual licence."
    if holder is None:
        problems["holder"] = "A bulk licence is held by an exporter: name the holder."
    if not isinstance(countries, list) or not countries:
        problems["countries"] = "A bulk licence must list the destination countries it covers."
    elif bad := [c for c in countries if not is_country_code(c)]:
        problems["countries"] = (
            f"Not ISO 3166-1 alpha-2 country codes: {', '.join(map(str, bad[:5]))}."
        )
    elif excluded := sorted(set(countries) & set(METI_BULK_EXCLUDED)):
        problems["countries"] = f"A METI bulk licence cannot cover {', '.join(excluded)}."
    elif unknown := sorted(set(countries) - bulk_destinations()):
        problems["countries"] = (
            f"{', '.join(unknown)}: not among the destinations of METI's bulk licences that the "
            f"product knows ({BULK_GROUP}); record an individual licence, or complete the group."
        )
    return problems


ACTIVITY_VALUES = Activity.values
