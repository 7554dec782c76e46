"""The compliance API's documented shapes: the decision (DESIGN sec. 4) and what is built on it.

The views answer with the engine's and the services' dicts; these serializers are the contract
those dicts follow, so that a client generated from ``/api/schema/`` reads every field typed. A
test drives the API through such a client: a field added, renamed or dropped on one side only
fails it.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from compliance.engine.decision import STATUSES
from compliance.models import Effect, Licence, ListSnapshot, Rule
from config.api_base import StrictSerializer, id_field
from config.codes import MAX_CODE_LENGTH
from config.text import nfc, unsafe_message
from dispatch.countries import is_country_code
from dispatch.validators import (
    multiline_text_problem,
    validate_classification_code,
    validate_classification_prefix,
)


# --- Text fields of the input serializers --------------------------------------------------------
class SingleLineField(serializers.CharField):
    """A name, address, number or identifier: one line of plain text. A line break, tab or other
    control character (and a direction control or invisible character) is refused, also at either
    end, where a plain ``CharField`` would trim it silently; surrounding spaces are trimmed."""

    def run_validation(self, data=serializers.empty):  # type: ignore[no-untyped-def]
        if isinstance(data, str) and (message := unsafe_message(data)):
            raise serializers.ValidationError(message, code="unsafe_character")
        return super().run_validation(data)


class MultiLineField(serializers.CharField):
    """A justification, purpose, condition or reason: it may span lines (line breaks and tabs),
    but carries no other control, direction or invisible character."""

    def run_validation(self, data=serializers.empty):  # type: ignore[no-untyped-def]
        if isinstance(data, str) and (message := multiline_text_problem(data)):
            raise serializers.ValidationError(message, code="unsafe_character")
        return super().run_validation(data)


def classification_code_field(*, prefix: bool = False) -> serializers.CharField:
    """One classification code (a licence's may be a prefix ending in '.' or ':')."""
    validator = validate_classification_prefix if prefix else validate_classification_code
    return serializers.CharField(max_length=MAX_CODE_LENGTH, validators=[validator])


# --- The decision (DESIGN sec. 4) --------------------------------------------------------------
class FindingOut(serializers.Serializer):
    """One rule that fired, with its citation and the facts that triggered it."""

    rule = serializers.CharField(help_text="The rule's code, e.g. US-EAR-744.6-ADVANCED-FAB.")
    jurisdiction = serializers.CharField(help_text="US, EU, NL, JP, KR, or SYSTEM.")
    citation = serializers.CharField(help_text="The legal source, e.g. 15 CFR 744.6(c)(2).")
    effect = serializers.ChoiceField(choices=Effect.choices)
    engineer = serializers.CharField(
        allow_null=True, help_text="The engineer it concerns; null when it concerns the visit."
    )
    tool = serializers.CharField(
        allow_null=True, help_text="The tool it concerns; null when it concerns no one tool."
    )
    message = serializers.CharField(help_text="Plain language, naming the facts that triggered it.")
    facts = serializers.DictField(
        child=serializers.JSONField(),
        help_text='The facts that triggered the rule, e.g. {"us_person_basis": ["citizen:US"]}.',
    )
    covered_by_licence = serializers.CharField(
        allow_null=True,
        help_text="The licence on file that covers this finding (it then holds nothing); null "
        "when none does.",
    )
    title = serializers.CharField(required=False)
    source_url = serializers.CharField(required=False, allow_null=True)
    confidence = serializers.CharField(
        required=False, help_text="How settled the encoded fact is: high, medium or low."
    )
    licence_authority = serializers.CharField(
        required=False, allow_null=True, help_text="Who grants the licence the finding asks for."
    )


class ScreeningHitOut(serializers.Serializer):
    """A restricted-party list entry that matched one of the visit's parties."""

    party = serializers.CharField(
        help_text='"facility.owner", "facility.owners[i]" (an owner of the owner), '
        '"facility.parties[i]" (purchaser, consignee, end user, operator) or "engineers[i]".'
    )
    name = serializers.CharField(help_text="The party's name as screened.")
    list = serializers.CharField(help_text="The list code, e.g. EL (Entity List).")
    entry = serializers.CharField(help_text="The list entry's name.")
    entry_id = serializers.CharField()
    score = serializers.FloatField(help_text="Match score, 0 to 1.")
    explanation = serializers.CharField(allow_blank=True)
    false_positive = serializers.BooleanField(
        help_text="An approver dismissed this match for this party and the entry is unchanged."
    )
    false_positive_by = serializers.CharField(
        required=False, help_text="Who dismissed it (absent when nobody did)."
    )
    withheld_by = serializers.CharField(
        required=False,
        help_text="The approver whose dismissal does not count for this visit, because they "
        "requested or edited it (separation of duties): the hit stays live.",
    )
    entry_hash = serializers.CharField(allow_blank=True)
    notice = serializers.CharField()


class DecisionOut(serializers.Serializer):
    """The engine's decision on one visit document (DESIGN sec. 4)."""

    status = serializers.ChoiceField(choices=STATUSES)
    outcome = serializers.ChoiceField(
        choices=Effect.choices,
        help_text="The highest effect among findings not covered by a licence.",
    )
    findings = FindingOut(many=True)
    screening = ScreeningHitOut(many=True)
    rules_version = serializers.CharField(allow_null=True)
    lists_version = serializers.CharField(allow_null=True)
    as_of = serializers.DateField(help_text="The day the rules in force were taken from.")
    decided_at = serializers.DateTimeField(allow_null=True)


class VisitDecisionOut(DecisionOut):
    """A visit's current decision: the stored decision, with its id and why it was made."""

    id = serializers.IntegerField()
    change_reason = serializers.CharField(
        allow_null=True, help_text="What changed since the previous decision; null if nothing."
    )
    trigger = serializers.CharField(help_text="filed, edited, recheck, rules, lists, …")


class DecisionRecordOut(serializers.Serializer):
    """One stored decision of a visit's history."""

    id = serializers.IntegerField()
    trigger = serializers.CharField()
    outcome = serializers.ChoiceField(choices=Effect.choices)
    status = serializers.ChoiceField(choices=STATUSES)
    decided_at = serializers.DateTimeField()
    rules_version = serializers.CharField(allow_blank=True)
    lists_version = serializers.CharField(allow_blank=True)
    change_reason = serializers.CharField(allow_blank=True)
    error = serializers.CharField(
        allow_blank=True, help_text="Why the check failed (it then fails closed); empty if not."
    )
    result = DecisionOut()


class ReconfirmationOut(serializers.Serializer):
    """A re-check that gave the visit's current decision again: "same as decision #N"."""

    id = serializers.IntegerField()
    decision = serializers.IntegerField(
        source="decision_id", help_text="The decision it re-confirms."
    )
    trigger = serializers.CharField()
    basis = serializers.ChoiceField(
        choices=["evaluated", "out_of_reach"],
        help_text="evaluated: the check ran and gave the same outcome and findings; "
        "out_of_reach: a rule-set change no changed rule of which can reach the visit.",
    )
    confirmed_at = serializers.DateTimeField()
    rules_version = serializers.CharField()
    lists_version = serializers.CharField(allow_blank=True)
    same_as = serializers.CharField(help_text="The re-confirmation in words.")


class EventOut(serializers.Serializer):
    id = serializers.IntegerField()
    event_type = serializers.CharField()
    actor = serializers.CharField(source="actor_name", allow_blank=True)
    created_at = serializers.DateTimeField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class HistoryOut(serializers.Serializer):
    visit = serializers.IntegerField()
    status = serializers.CharField()
    decisions = DecisionRecordOut(many=True, help_text="Newest first (at most 200).")
    reconfirmations = ReconfirmationOut(many=True, help_text="Newest first (at most 200).")
    events = EventOut(many=True, help_text="The visit's audit events, newest first (at most 500).")


# --- Suggestions, screening search, rules impact -------------------------------------------------
class CandidateOut(serializers.Serializer):
    engineer = serializers.IntegerField(help_text="The engineer's id.")
    name = serializers.CharField()
    reason = serializers.CharField(help_text="Why this engineer would do.")
    outcome = serializers.ChoiceField(choices=Effect.choices)


class WithoutOut(serializers.Serializer):
    engineer = serializers.IntegerField(help_text="The id of the engineer left out.")
    name = serializers.CharField()
    outcome = serializers.ChoiceField(choices=Effect.choices)
    status = serializers.ChoiceField(choices=STATUSES)


class SuggestionsOut(serializers.Serializer):
    visit = serializers.IntegerField()
    candidates = CandidateOut(
        many=True, help_text="The vendor's other active engineers who would clear it, best first."
    )
    without = WithoutOut(
        many=True, help_text="The visit's outcome without each of its engineers (if several)."
    )


class ScreeningSearchIn(StrictSerializer):
    name = SingleLineField(max_length=300)
    country = serializers.CharField(max_length=2, min_length=2, required=False, allow_null=True)
    date_of_birth = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="A person's date of birth: lifts or lowers near misses against listed persons.",
    )

    def validate_name(self, value: str) -> str:
        """Plain text, in NFC: no direction control, invisible or control character."""
        if message := unsafe_message(value):
            raise serializers.ValidationError(message)
        return nfc(value)

    def validate_country(self, value: str | None) -> str | None:
        """An ISO 3166-1 alpha-2 code (any case), as the matcher requires (else it raises)."""
        if value is None:
            return None
        code = value.strip().upper()
        if not is_country_code(code):
            raise serializers.ValidationError(
                f"{value!r} is not an ISO 3166-1 alpha-2 country code (e.g. CN, US, NL)."
            )
        return code


class ScreeningMatchOut(serializers.Serializer):
    list = serializers.CharField()
    entry = serializers.CharField()
    entry_id = serializers.CharField()
    matched_name = serializers.CharField(help_text="The entry's name or alias that matched.")
    score = serializers.FloatField()
    explanation = serializers.CharField(allow_blank=True)
    notice = serializers.CharField()


class ScreeningSearchOut(serializers.Serializer):
    name = serializers.CharField()
    country = serializers.CharField(allow_null=True)
    date_of_birth = serializers.DateField(allow_null=True)
    list_version = serializers.CharField()
    hits = ScreeningMatchOut(many=True)


class ImpactIn(StrictSerializer):
    enabled_policies = serializers.ListField(child=SingleLineField(max_length=100), max_length=100)
    activate = serializers.BooleanField(default=False)


class ImpactChangeOut(serializers.Serializer):
    visit = serializers.IntegerField()
    facility = serializers.CharField()
    vendor = serializers.CharField()
    status = serializers.CharField()
    outcome = serializers.ChoiceField(choices=Effect.choices)
    new_outcome = serializers.ChoiceField(choices=Effect.choices)
    new_status = serializers.ChoiceField(choices=STATUSES)
    added_rules = serializers.ListField(child=serializers.CharField())
    removed_rules = serializers.ListField(child=serializers.CharField())


class ImpactOut(serializers.Serializer):
    ruleset = serializers.CharField(help_text="The candidate rule set's version.")
    enabled_policies = serializers.ListField(child=serializers.CharField())
    changes = ImpactChangeOut(many=True, help_text="Open visits whose outcome would change.")
    activated = serializers.BooleanField()
    rechecks_queued = serializers.IntegerField(
        allow_null=True, help_text="Visits queued for a re-check; null unless activated."
    )


# --- Rules, lists, approvals, licences, false positives ------------------------------------------
class RuleOut(serializers.ModelSerializer):
    # An IRI, not always a URI: the Korean pack cites https://www.law.go.kr/법령/…, which the
    # model's URLField stores as is but which fails the "uri" format the schema would declare.
    source_url = serializers.CharField()

    class Meta:
        model = Rule
        fields = (
            "code",
            "jurisdiction",
            "title",
            "citation",
            "source_url",
            "confidence",
            "effective_from",
            "effective_to",
            "scope",
            "effect",
            "licence_authority",
            "condition",
            "message",
            "is_policy",
            "is_enabled",
        )


class SnapshotDiffOut(serializers.Serializer):
    added = serializers.IntegerField()
    removed = serializers.IntegerField()
    changed = serializers.IntegerField()


class SnapshotOut(serializers.ModelSerializer):
    version = serializers.CharField()
    diff = serializers.SerializerMethodField()

    class Meta:
        model = ListSnapshot
        fields = (
            "id",
            "version",
            "source",
            "source_name",
            "source_hash",
            "format",
            "imported_at",
            "entry_count",
            "counts",
            "diff",
            "is_active",
        )

    @extend_schema_field(SnapshotDiffOut)
    def get_diff(self, obj: ListSnapshot) -> dict[str, int]:
        d = obj.diff or {}
        return {
            "added": d.get("added", 0),
            "removed": d.get("removed", 0),
            "changed": d.get("changed", 0),
        }


class JustificationIn(StrictSerializer):
    justification = MultiLineField(max_length=5000)
    licence = id_field(
        required=False, allow_null=True, help_text="A licence on file the approval relies on."
    )


class RejectIn(StrictSerializer):
    justification = MultiLineField(max_length=5000)


class LicenceOut(serializers.ModelSerializer):
    facilities = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    owners = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    engineers = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    activities = serializers.ListField(child=serializers.CharField())
    classifications = serializers.ListField(child=serializers.CharField())
    countries = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = Licence
        fields = (
            "id",
            "authority",
            "kind",
            "number",
            "holder",
            "valid_from",
            "valid_until",
            "facilities",
            "owners",
            "activities",
            "classifications",
            "engineers",
            "countries",
            "conditions",
            "revoked_at",
            "revocation_reason",
        )


class LicenceIn(StrictSerializer):
    authority = serializers.CharField(max_length=20)
    kind = serializers.CharField(max_length=10, default="licence")
    number = SingleLineField(max_length=100)
    holder = id_field(required=False, allow_null=True)
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()
    facilities = serializers.ListField(child=id_field(), max_length=200, default=list)
    owners = serializers.ListField(child=id_field(), max_length=200, default=list)
    activities = serializers.ListField(
        child=serializers.CharField(max_length=30), max_length=20, default=list
    )
    classifications = serializers.ListField(
        child=classification_code_field(prefix=True),
        max_length=50,
        default=list,
        help_text="Classification codes or prefixes covered (3B001, 3B001.f., METI-23:); "
        "empty: any.",
    )
    engineers = serializers.ListField(child=id_field(), max_length=200, default=list)
    # Bulk licences only: the destination countries they cover.
    countries = serializers.ListField(
        child=serializers.CharField(max_length=2), max_length=250, default=list
    )
    conditions = MultiLineField(max_length=5000, required=False, allow_blank=True, default="")


class FalsePositiveIn(StrictSerializer):
    visit = id_field()
    party = SingleLineField(max_length=30)
    entry_id = SingleLineField(max_length=100)
    reason = MultiLineField(max_length=5000)


class FalsePositiveOut(serializers.Serializer):
    id = serializers.IntegerField()
    party = serializers.CharField()
    entry_id = serializers.CharField()
    entry_hash = serializers.CharField()
    list = serializers.CharField()
    reason = serializers.CharField()
